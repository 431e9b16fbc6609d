// An official socket.io 4.x server for the pursocket client to talk to.
// Usage: node js_server.mjs. Listens on a free port of 127.0.0.1 and prints one JSON
// object per line, the first being {"type": "listening", "port": ...}.
import { createServer } from "node:http";
import { Server } from "socket.io";

const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const httpServer = createServer();
const io = new Server(httpServer);
const lobby = io.of("/lobby");

lobby.use((socket, next) => {
  if (socket.handshake.auth.token === "t") {
    next();
  } else {
    next(Object.assign(new Error("a valid token is required"), { data: { retry: false } }));
  }
});

lobby.on("connection", (socket) => {
  print({ type: "connection", id: socket.id, auth: socket.handshake.auth });
  socket.emit("userCount", { count: lobby.sockets.size });

  socket.on("chat", async (message) => {
    print({ type: "chat", payload: message });
    const answer = await socket.timeout(5000).emitWithAck("confirm", message);
    print({ type: "confirmAnswer", answer });
    lobby.emit("userCount", { count: -1 });
  });
  socket.on("join", (request, answer) => {
    print({ type: "join", request });
    answer({ success: request.name === "Alice" });
  });
  socket.on("disconnect", (reason) => print({ type: "disconnect", reason }));
});

httpServer.listen(0, "127.0.0.1", () => {
  print({ type: "listening", port: httpServer.address().port });
});
