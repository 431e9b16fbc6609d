// The official socket.io-client sends what pursocket's own client never would.
// Usage: node trust_js_client.mjs <server url>. Prints one JSON object per line.
import { io } from "socket.io-client";

const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const socket = io(`${process.argv[2]}/forms`, { reconnection: false, transports: ["websocket"] });
const isError = (reply) =>
  reply !== null && typeof reply === "object" && "__pursocket_error__" in reply;

socket.on("connect", async () => {
  socket.emit("number", "1"); // a string where an int is declared
  socket.emit("blob", "AAEC"); // base64 text where bytes are declared
  socket.emit("blob", Buffer.from([0, 1, 2])); // real binary: a binary attachment
  socket.emit("number", 1, 2); // two arguments
  for (const [event, payload] of [
    ["measure", { points: [] }],
    ["lookup", "explode"],
    ["nope", 1],
    ["measure", { name: "n", points: [{ x: 1, y: 2.5 }] }],
  ]) {
    const reply = await socket.timeout(5000).emitWithAck(event, payload);
    print({ event, error: isError(reply) ? reply.__pursocket_error__ : null, reply });
  }
  socket.disconnect();
});
socket.on("connect_error", (error) => {
  print({ event: "connect_error", message: error.message });
  process.exit(1);
});
