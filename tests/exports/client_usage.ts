// The generated every_type.ts used with the official socket.io-client, as a browser app
// uses it. Every `@ts-expect-error` line is a mistake that tsc --strict must report:
// if one stops being an error, tsc reports the unused directive (TS2578) and the test fails.
import { io } from "socket.io-client";
import {
  type Box_Point,
  type ClientSocket,
  type EveryType,
  type Labelled,
  type Profile,
  type PursocketError,
  type Route,
  isPursocketError,
  namespaces,
} from "./every_type";

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2
  ? true
  : false;

const auth: EveryType["lobby"]["auth"] = { token: "secret" };
const lobby: ClientSocket<"lobby"> = io(`http://127.0.0.1:8000${namespaces.lobby}`, { auth });
const root: ClientSocket<"/"> = io("http://127.0.0.1:8000/");
const battle: ClientSocket<"battle-field"> = io(`http://127.0.0.1:8000${namespaces["battle-field"]}`);
const battlePath: "/battle-field" = namespaces["battle-field"];
const forms: ClientSocket<"forms"> = io(`http://127.0.0.1:8000${namespaces.forms}`);

const profile: Profile = {
  id: "u1",
  nickname: "ada",
  avatar: new ArrayBuffer(4),
  scores: { chess: 1.5 },
  tags: [],
  settings: { name: "mine", theme: "dark" },
  extra: { anything: [1, "two"] },
  verified: true,
  nothing: null,
  level: 2,
  mood: "ok",
  home: null,
  either: "x",
  nested: [{ a: [{ x: 0, y: 0.5 }] }],
};

export async function positive(): Promise<void> {
  lobby.emit("update", profile);
  lobby.emit("update", { ...profile, bio: null, thumbnails: [new ArrayBuffer(1)] });
  lobby.emit("upload", new ArrayBuffer(16));
  lobby.emit("count", 3);
  const planted = await lobby.emitWithAck("plant", { value: 1, children: [{ value: 2, children: [] }] });
  const sameType: Equals<typeof planted, Labelled | PursocketError> = true;
  if (isPursocketError(planted)) {
    const code: string = planted.__pursocket_error__.code;
  } else {
    const label: string = planted.label;
  }
  const pong: null | PursocketError = await lobby.emitWithAck("ping", {});
  const counts = await lobby.emitWithAck("lookup", ["a", "b"]);
  if (!isPursocketError(counts)) {
    const a: number | undefined = counts["a"];
  }
  lobby.timeout(1000).emit("lookup", ["a"], (err, res) => {});
  lobby.on("profile", (received) => {
    const avatar: ArrayBuffer = received.avatar;
    const theme: "dark" | "light" | undefined = received.settings.theme;
  });
  lobby.on("confirm", (point, ack) => ack(point.x > 0));
  root.on("tick", (seconds) => {
    const s: number = seconds;
  });
  battle.emit("move-to", { x: 1, y: 2 });
  const reset = await battle.emitWithAck("reset", {});
  // The protocol language's other forms: tagged unions, generics, aliases, constraints.
  forms.emit("draw", { kind: "circle", radius: 1.5 });
  forms.emit("draw", { kind: "square", side: 2, label: "s" });
  forms.emit("draw", null);
  const stored = await forms.emitWithAck("store", { item: { x: 1, y: 2 }, tag: "t" });
  if (!isPursocketError(stored)) {
    const first: ArrayBuffer | undefined = stored.item[0];
  }
  forms.emit("value", [[{ deep: [] }]]);
  forms.emit("tags", ["a", "b"]);
  forms.emit("age", 42);
  forms.emit("name", "ada");
  // Tuples: fixed length, any length, empty.
  forms.emit("pair", [1, "one"]);
  const route: Route = {
    start: [0, 0],
    stops: [{ x: 1, y: 2 }],
    legs: [[1.5, "walk"], [null, "ride"]],
    done: [],
    ticket: ["t", new ArrayBuffer(2)],
    codes: [1, 2, 3],
  };
  const routed = await forms.emitWithAck("route", route);
  if (!isPursocketError(routed)) {
    const [found, best]: [boolean, Route | null] = routed;
    const start: [number, number] | undefined = best?.start;
  }
}

export async function mistakes(): Promise<void> {
  // An event the protocol does not declare.
  // @ts-expect-error
  lobby.emit("updat", profile);
  // A wrong payload.
  // @ts-expect-error
  lobby.emit("count", "3");
  // A payload missing a required key.
  // @ts-expect-error
  lobby.emit("update", { ...profile, nickname: undefined });
  // An s2c event emitted by the client.
  // @ts-expect-error
  lobby.emit("profile", profile);
  // emitWithAck on a Msg event.
  // @ts-expect-error
  await lobby.emitWithAck("count", 3);
  // emitWithAck with the wrong request.
  // @ts-expect-error
  await lobby.emitWithAck("plant", { value: 1 });
  const planted = await lobby.emitWithAck("plant", { value: 1, children: [] });
  // A field of the response read before ruling out the error answer.
  // @ts-expect-error
  planted.label;
  if (!isPursocketError(planted)) {
    // A field that the response does not have.
    // @ts-expect-error
    planted.nope;
  }
  // Listening to a c2s event on the client.
  // @ts-expect-error
  lobby.on("update", (p: Profile) => {});
  // Answering a Call with the wrong type.
  // @ts-expect-error
  lobby.on("confirm", (point, ack) => ack("yes"));
  // A ReadOnly key.
  // @ts-expect-error
  profile.id = "u2";
  // A value outside a Literal.
  // @ts-expect-error
  const level: Profile["level"] = 4;
  // Something other than the empty object for an empty TypedDict.
  // @ts-expect-error
  await battle.emitWithAck("reset", 5);
  // Nothing may be emitted in a direction the namespace leaves out.
  // @ts-expect-error
  root.emit("tick", 1);
  // A wrong auth.
  // @ts-expect-error
  const wrongAuth: EveryType["lobby"]["auth"] = { tokn: "secret" };
  // A tagged union member with the other member's keys.
  // @ts-expect-error
  forms.emit("draw", { kind: "circle", side: 2 });
  // A tag no member has.
  // @ts-expect-error
  forms.emit("draw", { kind: "triangle", radius: 1 });
  // A generic TypedDict with the wrong type argument's value.
  // @ts-expect-error
  await forms.emitWithAck("store", { item: 5, tag: "t" });
  // A ReadOnly key of a generic TypedDict.
  const box: Box_Point = { item: { x: 0, y: 0 }, tag: "t" };
  // @ts-expect-error
  box.tag = "u";
  // Something no JSON value is, inside a recursive alias.
  // @ts-expect-error
  forms.emit("value", [undefined]);
  // A number for an alias of a list of strings.
  // @ts-expect-error
  forms.emit("tags", 5);
  // A tuple of the wrong length.
  // @ts-expect-error
  forms.emit("pair", [1, "one", 2]);
  // A tuple with a wrong item.
  // @ts-expect-error
  forms.emit("pair", [1, 2]);
  // A tuple of any length with a wrong item.
  // @ts-expect-error
  const codes: Route["codes"] = [1, "2"];
  // An empty tuple that is not empty.
  // @ts-expect-error
  const done: Route["done"] = [1];
  // An item past the end of a fixed-length tuple.
  // @ts-expect-error
  const third: Route["start"][2] = 0;
}
