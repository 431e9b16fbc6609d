import { io } from "socket.io-client";
import { type ClientSocket, isPursocketError, namespaces } from "./protocol";

const lobby: ClientSocket<"lobby"> = io(namespaces.lobby); // same origin; or io(url + path)

lobby.on("userCount", ({ count }) => console.log(`${count} online`));
lobby.on("confirm", (message, ack) => ack({ success: message.text.length > 0 }));
lobby.emit("chat", { text: "hello" });

export async function join(name: string): Promise<boolean> {
  const answer = await lobby.emitWithAck("join", { name }); // JoinResult | PursocketError
  if (isPursocketError(answer)) {
    console.warn(answer.__pursocket_error__.code, answer.__pursocket_error__.message);
    return false;
  }
  return answer.success;
}
