// The benchmark's ceiling: the official Node socket.io 4.x server doing the same work
// as the Python servers of bench/runtime.py, on the same namespace and events.
//
//   node bench/node_server.mjs PORT
//
// Prints "ready" once it listens on 127.0.0.1:PORT. Default socket.io settings
// (no per-message compression, long-polling and websocket both allowed).
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.argv[2]);
const ROOM = "hall";
const TEXT = "the quick brown fox jumps over the lazy dog";

const httpServer = createServer();
const io = new Server(httpServer);
const bench = io.of("/bench");

let expected = 0;
let received = 0;
let cpuStart = process.cpuUsage();

function stats() {
  const used = process.cpuUsage(cpuStart);
  return { received, cpu_seconds: (used.user + used.system) / 1e6 };
}

bench.on("connection", (socket) => {
  socket.on("start", (request, ack) => {
    expected = request.expected;
    received = 0;
    cpuStart = process.cpuUsage();
    ack(null);
  });
  socket.on("stats", (_request, ack) => ack(stats()));
  socket.on("hit", (_message) => {
    received += 1;
    if (received === expected) bench.emit("finished", stats());
  });
  socket.on("echo", (message, ack) => ack(message));
  socket.on("join", (_request, ack) => {
    socket.join(ROOM);
    ack(null);
  });
  socket.on("fanout", (request) => {
    for (let seq = 0; seq < request.count; seq++) bench.emit("tick", { seq, text: TEXT });
  });
  socket.on("roomfanout", (request) => {
    for (let seq = 0; seq < request.count; seq++) bench.to(ROOM).emit("tick", { seq, text: TEXT });
  });
});

httpServer.listen(port, "127.0.0.1", () => console.log("ready"));
