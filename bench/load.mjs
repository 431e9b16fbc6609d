// The load generator of bench/runtime.py and bench/scaleout.py: the official npm
// socket.io-client, the same for every server, in a process of its own.
//
//   node bench/load.mjs '{"scenario": "msg", "urls": ["http://127.0.0.1:PORT"], "clients": 50, "count": 20000}'
//
// Connects `clients` clients to the /bench namespace (websocket transport unless
// "transports" says otherwise; client i to urls[i % urls.length]), runs one
// scenario and prints one JSON line: {"operations", "seconds", "cpu_seconds"}, where
// cpu_seconds is the CPU time the servers (one per url) spent between "start" and
// "stats". Scenarios:
//
//   msg        the clients together send `count` "hit" Msgs as fast as they can; the
//              server says "finished" when it has handled the last one
//   call       the clients together make `count` "echo" Call round trips, each client
//              one after another (so `clients` Calls are in flight at once)
//   broadcast  one client asks for `count` broadcasts of "tick" to the namespace; done
//              when every client has received every tick
//   room       every client joins the room "hall"; one asks for `count` broadcasts
//              of "tick" to the room; done when every client has received every tick
//   idle       connect, print {"connected": clients}, and stay connected until
//              standard input closes (for measuring the server's memory)
import { io } from "socket.io-client";

const options = JSON.parse(process.argv[2]);
const { scenario, urls, clients: clientCount, count = 0 } = options;
const transports = options.transports ?? ["websocket"];
const TEXT = "the quick brown fox jumps over the lazy dog";
const TIMEOUT_MS = (options.timeout ?? 120) * 1000;

function fail(message) {
  console.error(`load.mjs: ${message}`);
  process.exit(1);
}

const watchdog = setTimeout(() => fail(`${scenario} did not finish in ${TIMEOUT_MS / 1000} s`), TIMEOUT_MS);

function connectOne(url) {
  return new Promise((resolve, reject) => {
    const socket = io(`${url}/bench`, { transports, forceNew: true, reconnection: false, timeout: 60000 });
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (error) => reject(new Error(`cannot connect to ${url}: ${error.message}`)));
  });
}

async function connectAll() {
  const sockets = [];
  for (let first = 0; first < clientCount; first += 50) {
    const batch = [];
    for (let i = first; i < Math.min(first + 50, clientCount); i++) batch.push(connectOne(urls[i % urls.length]));
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

// The first client of each server: it starts and reads that server's counters.
function controls(sockets) {
  return urls.map((_, index) => sockets[index]);
}

async function start(sockets, expected) {
  await Promise.all(controls(sockets).map((socket) => socket.emitWithAck("start", { expected })));
}

async function cpuSeconds(sockets) {
  const stats = await Promise.all(controls(sockets).map((socket) => socket.emitWithAck("stats", null)));
  return stats.reduce((sum, { cpu_seconds }) => sum + cpu_seconds, 0);
}

function everyoneReceives(sockets, ticks) {
  return Promise.all(
    sockets.map(
      (socket) =>
        new Promise((resolve) => {
          let seen = 0;
          socket.on("tick", () => {
            seen += 1;
            if (seen === ticks) resolve();
          });
        }),
    ),
  );
}

const scenarios = {
  async msg(sockets) {
    const perClient = Math.floor(count / sockets.length);
    const expected = perClient * sockets.length;
    await start(sockets, expected);
    const finished = new Promise((resolve) => sockets[0].once("finished", resolve));
    const began = performance.now();
    for (let seq = 0; seq < perClient; seq++) {
      for (const socket of sockets) socket.emit("hit", { seq, text: TEXT });
    }
    await finished;
    return [expected, performance.now() - began];
  },

  async call(sockets) {
    const perClient = Math.floor(count / sockets.length);
    await start(sockets, 0);
    const began = performance.now();
    await Promise.all(
      sockets.map(async (socket) => {
        for (let seq = 0; seq < perClient; seq++) {
          const answer = await socket.emitWithAck("echo", { seq, text: TEXT });
          if (answer.seq !== seq) fail(`echo answered ${JSON.stringify(answer)} to seq ${seq}`);
        }
      }),
    );
    return [perClient * sockets.length, performance.now() - began];
  },

  async broadcast(sockets) {
    await start(sockets, 0);
    const done = everyoneReceives(sockets, count);
    const began = performance.now();
    sockets[0].emit("fanout", { count });
    await done;
    return [count * sockets.length, performance.now() - began];
  },

  async room(sockets) {
    await Promise.all(sockets.map((socket) => socket.emitWithAck("join", null)));
    await start(sockets, 0);
    const done = everyoneReceives(sockets, count);
    const began = performance.now();
    sockets[0].emit("roomfanout", { count });
    await done;
    return [count * sockets.length, performance.now() - began];
  },
};

async function main() {
  const sockets = await connectAll();
  if (scenario === "idle") {
    clearTimeout(watchdog);
    console.log(JSON.stringify({ connected: sockets.length }));
    process.stdin.resume();
    await new Promise((resolve) => process.stdin.once("end", resolve));
  } else {
    const run = scenarios[scenario];
    if (run === undefined) fail(`unknown scenario ${JSON.stringify(scenario)}`);
    const [operations, milliseconds] = await run(sockets);
    const cpu = await cpuSeconds(sockets);
    console.log(JSON.stringify({ operations, seconds: milliseconds / 1000, cpu_seconds: cpu }));
  }
  for (const socket of sockets) socket.disconnect();
  process.exit(0);
}

main().catch((error) => fail(error.stack ?? String(error)));
