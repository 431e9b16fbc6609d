// The official socket.io-client connects to several namespaces of one pursocket server
// over one connection (one Manager), each namespace with its own auth.
// Usage: node js_auth_client.mjs <server url> '<JSON {namespace: auth or null}>'
// Prints one JSON object per line: each namespace's connect (with the server's answer
// to its "whoami" Call) or connect_error, then {"type": "done"}.
import { Manager } from "socket.io-client";

const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const manager = new Manager(process.argv[2], { reconnection: false });
const wanted = Object.entries(JSON.parse(process.argv[3]));
const sockets = [];

const outcomes = wanted.map(
  ([namespace, auth]) =>
    new Promise((resolve) => {
      const socket = manager.socket(`/${namespace}`, auth === null ? {} : { auth });
      sockets.push(socket);
      socket.on("connect", async () => {
        const whoami = await socket.emitWithAck("whoami", "js");
        print({ type: "connect", namespace, engine: manager.engine.id, whoami });
        resolve();
      });
      socket.on("connect_error", (error) => {
        print({ type: "connect_error", namespace, message: error.message, data: error.data ?? null });
        resolve();
      });
    }),
);
await Promise.all(outcomes);
print({ type: "done" });
for (const socket of sockets) socket.disconnect();
