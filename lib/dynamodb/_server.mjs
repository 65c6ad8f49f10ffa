// Runs dynalite (in memory) on 127.0.0.1 under Node.js for lib/dynamodb. Usage:
//   node _server.mjs <path of dynalite's index.js> <port, 0 for a free one>
// Prints one line `{"port":N}` once it listens. Exits when its stdin closes — when the owner
// calls terminate(), and also when the owner dies without cleaning up — so the server never
// outlives the process that started it. Tables are ACTIVE at once (no CREATING delay).
import { createRequire } from "node:module";

const [entry, portText] = process.argv.slice(2);
const dynalite = createRequire(import.meta.url)(entry);
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
let closing = false;
const stop = () => {
  if (closing) return;
  closing = true;
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 2000).unref();
};
server.on("error", (error) => {
  console.error(`dynalite: ${error.message}`);
  process.exit(1);
});
server.listen(Number(portText ?? 0), "127.0.0.1", () => {
  console.log(JSON.stringify({ port: server.address().port }));
});
process.stdin.on("data", () => {});
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
