// The official socket.io-client drives a pursocket server.
// Usage: node js_client.mjs <server url> [namespace, default lobby].
// Prints one JSON object per line; disconnects once its Calls are answered and the
// server has broadcast the barrier {"count": -1}.
import { io } from "socket.io-client";

const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const namespace = process.argv[3] ?? "lobby";
const socket = io(`${process.argv[2]}/${namespace}`, {
  auth: { token: "js" },
  reconnection: false,
});
let barrierSeen;
const barrier = new Promise((resolve) => (barrierSeen = resolve));

socket.on("connect", async () => {
  print({ type: "connect", id: socket.id });
  socket.emit("chat", { text: "from js" });
  print({ type: "join", response: await socket.emitWithAck("join", { name: "Alice" }) });
  print({ type: "badJoin", response: await socket.emitWithAck("join", { name: 42 }) });
  await barrier;
  socket.disconnect();
});
socket.on("connect_error", (error) => {
  print({ type: "connect_error", message: error.message, data: error.data ?? null });
  process.exit(0);
});
socket.on("confirm", (request, answer) => {
  print({ type: "confirm", request });
  answer({ success: request.text === "from js" });
});
socket.on("userCount", (payload) => {
  print({ type: "userCount", payload });
  if (payload.count === -1) {
    barrierSeen();
  }
});
socket.on("disconnect", (reason) => print({ type: "disconnect", reason }));
