// The official socket.io-client sends and receives tuples (JSON arrays) with a pursocket server.
// Usage: node js_tuples.mjs <server url>. Prints one JSON object per line (binary data as
// {"binary": [bytes]}), and {"type": "done"} once everything has arrived.
import { io } from "socket.io-client";

const binary = (key, value) =>
  value && value.type === "Buffer" && Array.isArray(value.data) ? { binary: value.data } : value;
const print = (line) => process.stdout.write(JSON.stringify(line, binary) + "\n");
const socket = io(`${process.argv[2]}/tuples`, { auth: { version: [3, 4] }, reconnection: false });
let pending = 5; // moved x3, tracked, sent; then the "ask" Call
let allArrived;
const arrived = new Promise((resolve) => (allArrived = resolve));
const tick = () => --pending === 0 && allArrived();

socket.on("moved", (payload) => {
  print({ type: "moved", payload });
  tick();
});
socket.on("tracked", (payload) => {
  print({ type: "tracked", payload });
  tick();
});
socket.on("sent", (payload) => {
  print({ type: "sent", payload });
  tick();
});
const asked = new Promise((resolve) => {
  socket.on("ask", (request, answer) => {
    print({ type: "ask", request });
    answer([true, request[0]]);
    resolve();
  });
});

socket.on("connect", async () => {
  print({ type: "scale", response: await socket.emitWithAck("scale", [2, 0.5, 1]) });
  const upload = await socket.emitWithAck("upload", ["abc", Buffer.from([1, 2, 3])]);
  print({ type: "upload", response: upload });
  print({ type: "badUpload", response: await socket.emitWithAck("upload", ["abc"]) });
  print({ type: "badScale", response: await socket.emitWithAck("scale", [1, "2"]) });
  socket.emit("move", [1, 2]);
  await Promise.all([arrived, asked]);
  // Sent once the server's Call is answered: the last thing the server receives.
  socket.emit("track", { point: [1, 2], path: [[1, 2]] });
  print({ type: "done" });
  socket.disconnect();
});
socket.on("connect_error", (error) => {
  print({ type: "connect_error", message: error.message });
  process.exit(1);
});
