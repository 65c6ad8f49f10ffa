// A Node.js runtime interface client for the local sandbox, modelled on the managed nodejs
// runtime: loads _HANDLER from LAMBDA_TASK_ROOT (ESM or CommonJS), runs async and callback
// handlers with Lambda's context object, reports init and handler errors through the Runtime
// API and formats console output the way the managed runtime does in text log format.
// Plain JavaScript without dependencies: run it with `node node_bootstrap.mjs`.
import http from "node:http";
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import util from "node:util";

const api = process.env.AWS_LAMBDA_RUNTIME_API;
const [apiHost, apiPort] = api.split(":");
const base = "/2018-06-01/runtime";
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

let currentRequestId = null;

function request(method, urlPath, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: apiHost,
      port: Number(apiPort),
      path: urlPath,
      method,
      agent,
      headers: body === undefined ? headers : {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
        ...headers,
      },
    }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on(
        "end",
        () =>
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// Console lines as the managed runtime writes them: "<ISO>\t<requestId>\t<LEVEL>\t<message>",
// with newlines inside one message turned into carriage returns so it stays one log line.
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
