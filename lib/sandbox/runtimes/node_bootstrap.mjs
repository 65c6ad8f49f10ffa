// A Node.js runtime interface client for the local sandbox, modelled on the managed nodejs
// runtime: loads _HANDLER from LAMBDA_TASK_ROOT (ESM or CommonJS), runs async and callback
// handlers with Lambda's context object, reports init and handler errors through the Runtime
// API and formats console output the way the managed runtime does in text log format.
// Plain JavaScript without dependencies: run it with `node node_bootstrap.mjs`.
import net from "node:net";
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import util from "node:util";

const api = process.env.AWS_LAMBDA_RUNTIME_API;
const [apiHost, apiPort] = api.split(":");
const base = "/2018-06-01/runtime";

let currentRequestId = null;

// The Runtime API client is a plain HTTP/1.1 exchange over one kept-alive socket, as Lambda's
// own Node.js runtime talks to it through a small native client rather than node:http: the
// CPU an invocation costs is then the handler's and the runtime's, not an HTTP stack's (at
// 128 MB a 20 ms CPU period holds 1.45 ms of CPU).
let socket = null;
let buffered = Buffer.alloc(0);
let waiting = null;

function connect() {
  socket = net.connect({ host: apiHost, port: Number(apiPort), noDelay: true });
  socket.on("data", (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    waiting?.();
  });
  const fail = (err) => {
    socket = null;
    const w = waiting;
    waiting = null;
    w?.(err ?? new Error("The Runtime API closed the connection"));
  };
  socket.on("error", fail);
  socket.on("close", () => fail());
}

/** Resolves once `test()` returns a value, reading more from the socket in between. */
function readUntil(test) {
  return new Promise((resolve, reject) => {
    const check = (err) => {
      let value;
      try {
        value = test();
      } catch (e) {
        waiting = null;
        reject(e);
        return;
      }
      if (value !== undefined) {
        waiting = null;
        resolve(value);
      } else if (err) {
        waiting = null;
        reject(err);
      } else waiting = check;
    };
    check();
  });
}

function parseHead(head) {
  const lines = head.split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1]);
  if (!status) throw new Error(`Bad response from the Runtime API: ${lines[0]}`);
  const headers = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status, headers };
}

/** A chunked body's end, or undefined while it is incomplete. */
function chunkedBody(buf, from) {
  const parts = [];
  let at = from;
  for (;;) {
    const eol = buf.indexOf("\r\n", at);
    if (eol === -1) return undefined;
    const size = parseInt(buf.toString("latin1", at, eol), 16);
    if (Number.isNaN(size)) throw new Error("Bad chunk from the Runtime API");
    if (buf.length < eol + 2 + size + 2) return undefined;
    if (size === 0) return { body: Buffer.concat(parts), end: eol + 4 };
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

async function request(method, urlPath, body, headers = {}) {
  if (socket === null) connect();
  const payload = body === undefined ? null : Buffer.from(body);
  let head = `${method} ${urlPath} HTTP/1.1\r\nHost: ${api}\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  if (payload !== null) {
    head += `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\n`;
  }
  socket.write(
    payload === null ? `${head}\r\n` : Buffer.concat([Buffer.from(`${head}\r\n`), payload]),
  );
  return await readUntil(() => {
    const headEnd = buffered.indexOf("\r\n\r\n");
    if (headEnd === -1) return undefined;
    const res = parseHead(buffered.toString("latin1", 0, headEnd));
    const start = headEnd + 4;
    let end;
    let resBody;
    if (res.headers["transfer-encoding"]?.includes("chunked")) {
      const chunked = chunkedBody(buffered, start);
      if (chunked === undefined) return undefined;
      ({ body: resBody, end } = chunked);
    } else {
      const length = Number(res.headers["content-length"] ?? 0);
      if (buffered.length < start + length) return undefined;
      end = start + length;
      resBody = Buffer.from(buffered.subarray(start, end));
    }
    buffered = buffered.subarray(end);
    return { status: res.status, headers: res.headers, body: resBody };
  });
}

function patchConsole() {
  const write = (level) => (...args) => {
    const message = util.format(...args).replace(/\n/g, "\r");
    process.stdout.write(
      `${new Date().toISOString()}\t${currentRequestId ?? "undefined"}\t${level}\t${message}\n`,
    );
  };
  console.log = write("INFO");
  console.info = write("INFO");
  console.warn = write("WARN");
  console.error = write("ERROR");
  console.debug = write("DEBUG");
  console.trace = write("TRACE");
}

function errorDocument(err) {
  if (err instanceof Error) {
    return {
      errorType: err.name || "Error",
      errorMessage: err.message,
      stackTrace: (err.stack ?? "").split("\n").slice(1).map((l) => l.trim()),
    };
  }
  return {
    errorType: typeof err === "object" && err !== null ? "object" : typeof err,
    errorMessage: typeof err === "string" ? err : util.inspect(err),
    stackTrace: [],
  };
}

class TypedError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

async function loadHandler() {
  const root = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
  const spec = process.env._HANDLER ?? "index.handler";
  const match = /^([^.]*(?:\/[^/.]*)*)\.(.+)$/.exec(spec);
  if (!match) throw new TypedError("Runtime.MalformedHandlerName", `Bad handler ${spec}`);
  const [, modulePath, fnPath] = match;
  const candidates = [".mjs", ".js", ".cjs"].map((ext) => path.resolve(root, modulePath + ext));
  const file = candidates.find((f) => existsSync(f));
  if (!file) {
    throw new TypedError(
      "Runtime.ImportModuleError",
      `Error: Cannot find module '${modulePath}'`,
    );
  }
  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (err) {
    if (err instanceof SyntaxError) {
      throw new TypedError("Runtime.UserCodeSyntaxError", String(err));
    }
    throw err;
  }
  let fn = mod;
  for (const part of fnPath.split(".")) fn = fn?.[part] ?? fn?.default?.[part];
  if (typeof fn !== "function") {
    throw new TypedError("Runtime.HandlerNotFound", `${spec} is undefined or not exported`);
  }
  return fn;
}

function makeContext(headers, handlerDone) {
  const deadline = Number(headers["lambda-runtime-deadline-ms"]);
  const parse = (v) => (v === undefined ? undefined : JSON.parse(v));
  return {
    awsRequestId: headers["lambda-runtime-aws-request-id"],
    invokedFunctionArn: headers["lambda-runtime-invoked-function-arn"],
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parse(headers["lambda-runtime-client-context"]),
    identity: parse(headers["lambda-runtime-cognito-identity"]),
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: (err, result) => handlerDone(err, result),
    succeed: (result) => handlerDone(null, result),
    fail: (err) => handlerDone(err ?? "handled", undefined),
  };
}

function runHandler(handler, event, headers) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (err, result) => {
      if (settled) return;
      settled = true;
      if (err !== null && err !== undefined) reject(err);
      else resolve(result);
    };
    const context = makeContext(headers, done);
    let returned;
    try {
      returned = handler(event, context, done);
    } catch (err) {
      done(err);
      return;
    }
    if (returned && typeof returned.then === "function") {
      returned.then((r) => done(null, r), (e) => done(e ?? new Error("rejected")));
    } else if (handler.length < 3) {
      // Neither a promise nor a callback handler: the return value is the response.
      done(null, returned);
    }
  });
}

// The JSON the managed runtime logs after "Invoke Error" / "Uncaught Exception".
function logDocument(err) {
  const doc = errorDocument(err);
  return JSON.stringify({
    errorType: doc.errorType,
    errorMessage: doc.errorMessage,
    stack: err instanceof Error ? (err.stack ?? "").split("\n") : [],
  });
}

async function postError(urlPath, err) {
  const doc = errorDocument(err);
  await request("POST", urlPath, JSON.stringify(doc), {
    "Lambda-Runtime-Function-Error-Type": doc.errorType,
  });
  return doc;
}

async function main() {
  patchConsole();
  let handler;
  try {
    handler = await loadHandler();
  } catch (err) {
    console.error(`Uncaught Exception \t${logDocument(err)}`);
    await postError(`${base}/init/error`, err);
    process.exit(129);
  }
  process.on("uncaughtException", async (err) => {
    console.error(`Uncaught Exception \t${logDocument(err)}`);
    if (currentRequestId !== null) {
      await postError(`${base}/invocation/${currentRequestId}/error`, err).catch(() => {});
    }
    process.exit(129);
  });
  for (;;) {
    const next = await request("GET", `${base}/invocation/next`);
    if (next.status !== 200) throw new Error(`/next answered ${next.status}`);
    const requestId = next.headers["lambda-runtime-aws-request-id"];
    currentRequestId = requestId;
    process.env._X_AMZN_TRACE_ID = next.headers["lambda-runtime-trace-id"] ?? "";
    let event;
    try {
      event = JSON.parse(next.body.toString("utf8") || "null");
    } catch (err) {
      await postError(`${base}/invocation/${requestId}/error`, err);
      continue;
    }
    try {
      const result = await runHandler(handler, event, next.headers);
      const body = JSON.stringify(result === undefined ? null : result);
      const res = await request("POST", `${base}/invocation/${requestId}/response`, body);
      if (res.status === 413) {
        console.error(`Invoke Error \t${res.body.toString("utf8")}`);
      }
    } catch (err) {
      console.error(`Invoke Error \t${logDocument(err)}`);
      await postError(`${base}/invocation/${requestId}/error`, err);
    }
  }
}

main().catch((err) => {
  process.stderr.write(`node bootstrap failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});
