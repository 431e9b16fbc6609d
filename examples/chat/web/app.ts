// The chat page: the official socket.io-client speaking the chat protocol of
// examples/chat/protocol.py, typed by protocol.ts, which `pursocket export typescript`
// generates from that protocol (`make test` checks it is current). Calls are
// emitWithAck; the answer is the ack's one argument: the response or a PursocketError.
import type { io as connect } from "socket.io-client";
import {
  type ClientSocket,
  type NicknameAuth,
  type Outcome,
  type PursocketError,
  isPursocketError,
  namespaces,
} from "./protocol.js";

// The official client's browser bundle, loaded by index.html before this module.
declare const io: typeof connect;

// The nickname is the namespace's auth: the socket connects once the user picks one, and
// the server refuses it (connect_error) when it is malformed or taken.
const socket: ClientSocket<"chat"> = io(namespaces.chat, { autoConnect: false });
let current: string | null = null; // the room the page shows and sends to
const members = new Map<string, string[]>(); // room -> member list, as the server last described it

function $<E extends HTMLElement = HTMLElement>(id: string): E {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no element #${id}`);
  return found as E;
}

function show(text: string, kind?: string): void {
  const item = document.createElement("li");
  if (kind) item.className = kind;
  item.textContent = text;
  $("messages").appendChild(item);
}

/** The answer of a Call that can be refused, with the error answer read as a refusal. */
function outcomeOf(answer: Outcome | PursocketError): Outcome {
  return isPursocketError(answer) ? { ok: false, reason: answer.__pursocket_error__.message } : answer;
}

function status(id: string, outcome: Outcome, success: string): void {
  $(id).textContent = outcome.ok ? success : `Refused: ${outcome.reason}`;
  $(id).className = outcome.ok ? "ok" : "refused";
}

function render(): void {
  $("current-room").textContent = current ?? "none";
  for (const id of ["leave", "text", "send"]) {
    $<HTMLButtonElement | HTMLInputElement>(id).disabled = current === null;
  }
  $("members").replaceChildren(
    ...(current === null ? [] : (members.get(current) ?? [])).map((name) => {
      const item = document.createElement("li");
      item.textContent = name;
      return item;
    }),
  );
}

async function refreshRooms(): Promise<void> {
  const answer = await socket.emitWithAck("listRooms", {});
  if (isPursocketError(answer)) {
    show(`Could not list the rooms: ${answer.__pursocket_error__.message}`, "notice");
    return;
  }
  $("rooms").replaceChildren(
    ...answer.rooms.map((room) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = `${room.name} (${room.members})`;
      button.addEventListener("click", () => join(room.name));
      item.appendChild(button);
      return item;
    }),
  );
}

async function join(room: string): Promise<void> {
  const answer = await socket.emitWithAck("joinRoom", { room });
  const outcome = outcomeOf(answer);
  status("room-status", outcome, `You joined ${room}.`);
  if (!isPursocketError(answer) && answer.ok) {
    members.set(room, answer.members);
    current = room;
    show(`You joined ${room}`, "notice");
    render();
    await refreshRooms();
  }
}

socket.on("connect", () => {
  $("status").textContent = "connected";
  const { nickname } = socket.auth as NicknameAuth;
  status("nickname-status", { ok: true, reason: "" }, `You are ${nickname}.`);
  $<HTMLInputElement>("nickname").disabled = $<HTMLButtonElement>("set-nickname").disabled = true;
  void refreshRooms();
});
socket.on("connect_error", (error) => {
  $("status").textContent = "not connected";
  status("nickname-status", { ok: false, reason: error.message }, "");
});
socket.on("disconnect", (reason) => {
  $("status").textContent = `disconnected (${reason})`;
});

socket.on("message", (line) => {
  const item = document.createElement("li");
  const room = document.createElement("span");
  room.className = "room";
  room.textContent = `[${line.room}] `;
  item.append(room, `${line.nickname}: ${line.text}`);
  $("messages").appendChild(item);
});
for (const [event, verb] of [
  ["joined", "joined"],
  ["left", "left"],
] as const) {
  socket.on(event, (presence) => {
    members.set(presence.room, presence.members);
    show(`${presence.nickname} ${verb} ${presence.room}`, "notice");
    render();
  });
}

$("nickname-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const auth: NicknameAuth = { nickname: $<HTMLInputElement>("nickname").value.trim() };
  socket.auth = auth;
  socket.connect();
});

$("join-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void join($<HTMLInputElement>("room-name").value.trim());
});

$("refresh-rooms").addEventListener("click", () => void refreshRooms());

$("leave").addEventListener("click", async () => {
  const room = current;
  if (room === null) return;
  const outcome = outcomeOf(await socket.emitWithAck("leaveRoom", { room }));
  status("room-status", outcome, `You left ${room}.`);
  if (outcome.ok) {
    members.delete(room);
    show(`You left ${room}`, "notice");
    current = members.keys().next().value ?? null;
    render();
    await refreshRooms();
  }
});

$("say-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $<HTMLInputElement>("text");
  if (text.value.trim() && current !== null) socket.emit("say", { room: current, text: text.value.trim() });
  text.value = "";
});

render();
