// The chat page: the official socket.io-client speaking the chat protocol of
// examples/chat/protocol.py. Calls are emitWithAck; the answer is the ack's one argument.
"use strict";

const socket = io("/chat");
const $ = (id) => document.getElementById(id);
let current = null; // the room the page shows and sends to
const members = new Map(); // room -> member list, as the server last described it

function show(text, kind) {
  const item = document.createElement("li");
  if (kind) item.className = kind;
  item.textContent = text;
  $("messages").appendChild(item);
}

function status(id, outcome, success) {
  $(id).textContent = outcome.ok ? success : `Refused: ${outcome.reason}`;
  $(id).className = outcome.ok ? "ok" : "refused";
}

function render() {
  $("current-room").textContent = current ?? "none";
  for (const id of ["leave", "text", "send"]) $(id).disabled = current === null;
  const list = $("members");
  list.replaceChildren(
    ...(members.get(current) ?? []).map((name) => {
      const item = document.createElement("li");
      item.textContent = name;
      return item;
    }),
  );
}

async function refreshRooms() {
  const { rooms } = await socket.emitWithAck("listRooms", {});
  $("rooms").replaceChildren(
    ...rooms.map((room) => {
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

async function join(room) {
  const outcome = await socket.emitWithAck("joinRoom", { room });
  status("room-status", outcome, `You joined ${room}.`);
  if (outcome.ok) {
    members.set(room, outcome.members);
    current = room;
    show(`You joined ${room}`, "notice");
    render();
    await refreshRooms();
  }
}

socket.on("connect", () => {
  $("status").textContent = "connected";
  refreshRooms();
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
for (const [event, verb] of [["joined", "joined"], ["left", "left"]]) {
  socket.on(event, (presence) => {
    members.set(presence.room, presence.members);
    show(`${presence.nickname} ${verb} ${presence.room}`, "notice");
    render();
  });
}

$("nickname-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const nickname = $("nickname").value.trim();
  const outcome = await socket.emitWithAck("setNickname", { nickname });
  status("nickname-status", outcome, `You are ${nickname}.`);
  if (outcome.ok) $("nickname").disabled = $("set-nickname").disabled = true;
});

$("join-form").addEventListener("submit", (event) => {
  event.preventDefault();
  join($("room-name").value.trim());
});

$("refresh-rooms").addEventListener("click", refreshRooms);

$("leave").addEventListener("click", async () => {
  const room = current;
  const outcome = await socket.emitWithAck("leaveRoom", { room });
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
  const text = $("text").value.trim();
  if (text && current !== null) socket.emit("say", { room: current, text });
  $("text").value = "";
});

render();
