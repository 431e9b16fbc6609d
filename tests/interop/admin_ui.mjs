// Connects to a server's Socket.IO Admin UI namespace the way the Admin UI
// (@socket.io/admin-ui's web page) does: the official socket.io-client on /admin,
// with the username and password as auth, over a websocket.
// Usage: node admin_ui.mjs <server url> <username> <password>.
// Prints {"type": "connect"} and then every event the server sends the Admin UI as
// one JSON line, {"type": event name, "args": [...]}, except the periodic server_stats.
import { io } from "socket.io-client";

const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const [url, username, password] = process.argv.slice(2);
const socket = io(`${url}/admin`, {
  auth: { username, password },
  transports: ["websocket"],
  reconnection: false,
});
socket.on("connect", () => print({ type: "connect" }));
socket.on("connect_error", (error) => {
  print({ type: "connect_error", message: error.message });
  process.exit(0);
});
socket.onAny((event, ...args) => {
  if (event !== "server_stats") {
    print({ type: event, args });
  }
});
