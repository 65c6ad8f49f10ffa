// Exercises what the JS extension needs from the runtime; prints one JSON line.
// BATTLE_FETCH_URL: an HTTP server of the test to fetch from.
import net from "node:net";
import { createHash, createHmac } from "node:crypto";

const out = {};
out.sha256 = createHash("sha256").update("abc").digest("hex");
out.hmac = createHmac("sha256", "key").update("msg").digest("hex");
out.env = process.env.BATTLE_MARKER;
// The AWS SDK's browser build signs requests with WebCrypto HMAC keys.
const key = await crypto.subtle.importKey(
  "raw",
  new TextEncoder().encode("key"),
  { name: "HMAC", hash: "SHA-256" },
  false,
  ["sign"],
);
const signature = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("msg"));
out.subtleHmac = Array.from(new Uint8Array(signature), (b) => b.toString(16).padStart(2, "0"))
  .join("");

const started = Date.now();
await new Promise((resolve) => setTimeout(resolve, 50));
out.timeoutWaited = Date.now() - started >= 45;
let ticks = 0;
await new Promise((resolve) => {
  const handle = setInterval(() => {
    if (++ticks === 3) {
      clearInterval(handle);
      resolve();
    }
  }, 5);
});
out.intervalTicks = ticks;

const external = await fetch(process.env.BATTLE_FETCH_URL, { method: "POST", body: "ping" });
out.externalFetch = { status: external.status, body: await external.text() };

// An HTTP endpoint served on node:net, as the JS extension does. LLRT's socket.end() takes
// only a callback, so the reply is written first.
const server = net.createServer((socket) => {
  let request = "";
  socket.on("data", (chunk) => {
    request += chunk.toString();
    if (!request.includes("\r\n\r\n")) return;
    const body = JSON.stringify({ accepted: true });
    socket.write(
      "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n" +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    socket.end();
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address();
const local = await fetch(`http://127.0.0.1:${port}/messages`, { method: "POST", body: "x" });
out.netServerFetch = { status: local.status, body: await local.json() };
out.netClientStatusLine = await new Promise((resolve, reject) => {
  const client = net.connect(port, "127.0.0.1", () => client.write("GET / HTTP/1.1\r\n\r\n"));
  let reply = "";
  client.on("data", (chunk) => (reply += chunk));
  client.on("end", () => resolve(reply.split("\r\n")[0]));
  client.on("error", reject);
});
server.close();
console.log(JSON.stringify(out));
