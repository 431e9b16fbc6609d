import { Server, type Namespace } from "socket.io";
import type { AppProtocol } from "./protocol";

type Lobby = AppProtocol["lobby"];
const io = new Server();
const lobby: Namespace<Lobby["c2s"], Lobby["s2c"]> = io.of("/lobby");

lobby.on("connection", (socket) => {
  socket.on("join", (request, ack) => ack({ success: request.name !== "" }));
  socket.emit("userCount", { count: lobby.sockets.size });
});
