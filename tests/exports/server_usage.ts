// The generated every_type.ts used with the official Node socket.io server: a
// namespace typed Namespace<c2s, s2c> listens to the c2s events and emits the s2c ones.
import type { Namespace } from "socket.io";
import type { EveryType } from "./every_type";

type Lobby = EveryType["lobby"];
declare const lobby: Namespace<Lobby["c2s"], Lobby["s2c"]>;

lobby.on("connection", (socket) => {
  socket.on("plant", (tree, ack) => ack({ x: tree.value, y: 0, label: "planted" }));
  socket.on("upload", (data) => {
    const size: number = data.byteLength;
  });
  socket.emit("profile", {
    id: "u1",
    nickname: "ada",
    avatar: new ArrayBuffer(0),
    scores: {},
    tags: [],
    settings: { name: "n" },
    extra: null,
    verified: false,
    nothing: null,
    level: 1,
    mood: null,
    home: { x: 0, y: 0 },
    either: 1,
    nested: [],
  });
  // The server may not emit a c2s event.
  // @ts-expect-error
  socket.emit("count", 1);
  // A Call answered with the wrong type.
  // @ts-expect-error
  socket.on("ping", (req, ack) => ack("pong"));
});

type Forms = EveryType["forms"];
declare const forms: Namespace<Forms["c2s"], Forms["s2c"]>;

forms.on("connection", (socket) => {
  socket.on("pair", ([count, name]) => {
    const both: [number, string] = [count, name];
  });
  socket.on("route", (route, ack) => ack([route.done.length === 0, route]));
  // A Call answered with a tuple of the wrong length.
  // @ts-expect-error
  socket.on("route", (route, ack) => ack([true]));
  // A Call answered with a tuple with a wrong item.
  // @ts-expect-error
  socket.on("route", (route, ack) => ack([1, null]));
});
