import assert from "node:assert/strict";
import {
  classifyInit,
  classifyInvocation,
  type CrashedProcess,
  initFailure,
  type InvocationFacts,
  type InvocationOutcome,
} from "./outcome.ts";

const NOW = new Date("2026-01-02T03:04:05.678Z");
const base: InvocationFacts = {
  requestId: "r1",
  answer: { kind: "response", errorType: null },
  crashed: null,
  oomKills: 0,
  timedOut: false,
  oversize: false,
  timeoutS: 3,
  now: NOW,
};
const runtime: CrashedProcess = {
  kind: "function",
  name: "runtime",
  code: 1,
  signal: null,
  reportedError: null,
};
const ext: CrashedProcess = { ...runtime, kind: "extension", name: "ext-a", code: 3 };
const handled = { platformFailure: false, logLines: [], errorDocument: null };
const timedOutLine = "2026-01-02T03:04:05.678Z r1 Task timed out after 3.00 seconds";

const cases: [string, Partial<InvocationFacts>, InvocationOutcome][] = [
  ["a response is a success", {}, { status: "success", errorType: null, ...handled }],
  [
    "a handler error keeps its type and is no platform failure",
    { answer: { kind: "error", errorType: "TypeError" } },
    { status: "error", errorType: "TypeError", ...handled },
  ],
  [
    "a response after a refused one over 6 MiB fails with Function.ResponseSizeTooLarge",
    { oversize: true },
    { status: "error", errorType: "Function.ResponseSizeTooLarge", ...handled },
  ],
  [
    "the runtime's exit is Runtime.ExitError",
    { answer: null, crashed: runtime },
    {
      status: "error",
      errorType: "Runtime.ExitError",
      platformFailure: true,
      logLines: [
        "RequestId: r1 Error: Runtime exited with error: exit status 1",
        "Runtime.ExitError",
      ],
      errorDocument: {
        errorType: "Runtime.ExitError",
        errorMessage: "RequestId: r1 Error: Runtime exited with error: exit status 1",
      },
    },
  ],
  [
    "an OOM kill is Runtime.OutOfMemory, whichever process died, and names the signal",
    { answer: null, crashed: { ...ext, signal: "SIGKILL" }, oomKills: 1 },
    {
      status: "error",
      errorType: "Runtime.OutOfMemory",
      platformFailure: true,
      logLines: [
        "RequestId: r1 Error: Extension ext-a exited with error: signal: SIGKILL",
        "Runtime.OutOfMemory",
      ],
      errorDocument: {
        errorType: "Runtime.OutOfMemory",
        errorMessage: "RequestId: r1 Error: Extension ext-a exited with error: signal: SIGKILL",
      },
    },
  ],
  [
    "an extension's crash after the response is Extension.Crash; the response stands",
    { crashed: ext },
    {
      status: "error",
      errorType: "Extension.Crash",
      platformFailure: true,
      logLines: [
        "RequestId: r1 Error: Extension ext-a exited with error: exit status 3",
        "Extension.Crash",
      ],
      errorDocument: null,
    },
  ],
  [
    "an extension that reported /exit/error keeps its own error type",
    { crashed: { ...ext, reportedError: "Extension.Bad" } },
    {
      status: "error",
      errorType: "Extension.Bad",
      platformFailure: true,
      logLines: [
        "RequestId: r1 Error: Extension ext-a exited with error: exit status 3",
        "Extension.Bad",
      ],
      errorDocument: null,
    },
  ],
  [
    "a crash wins over a timeout",
    { crashed: runtime, timedOut: true },
    {
      status: "error",
      errorType: "Runtime.ExitError",
      platformFailure: true,
      logLines: [
        "RequestId: r1 Error: Runtime exited with error: exit status 1",
        "Runtime.ExitError",
      ],
      errorDocument: null,
    },
  ],
  [
    "no answer within the limit is Sandbox.Timedout with an error document",
    { answer: null, timedOut: true },
    {
      status: "timeout",
      errorType: "Sandbox.Timedout",
      platformFailure: true,
      logLines: [timedOutLine],
      errorDocument: { errorMessage: timedOutLine },
    },
  ],
  [
    "an extension still busy at the limit times out after the runtime's answer",
    { answer: { kind: "error", errorType: "TypeError" }, timedOut: true },
    {
      status: "timeout",
      errorType: "Sandbox.Timedout",
      platformFailure: true,
      logLines: [timedOutLine],
      errorDocument: null,
    },
  ],
];

for (const [name, facts, expected] of cases) {
  Deno.test(`classifyInvocation(): ${name}`, () => {
    assert.deepEqual(classifyInvocation({ ...base, ...facts }), expected);
  });
}

const body = new TextEncoder().encode('{"errorType":"Runtime.ImportModuleError"}');
const running = { kind: "extension" as const, exit: null };

const initCases: [string, Parameters<typeof initFailure>[0], ReturnType<typeof initFailure>][] = [
  [
    "nothing failed yet",
    { runtimeInitError: null, extensionErrors: [null], processes: [running] },
    null,
  ],
  [
    "the runtime's /init/error comes first, with its body",
    {
      runtimeInitError: { errorType: "Runtime.ImportModuleError", body },
      extensionErrors: ["Extension.Bad"],
      processes: [{ kind: "function", exit: { success: false } }],
    },
    { errorType: "Runtime.ImportModuleError", body },
  ],
  [
    "an extension's reported error comes before exits",
    {
      runtimeInitError: null,
      extensionErrors: [null, "Extension.Bad"],
      processes: [{ kind: "function", exit: { success: false } }],
    },
    { errorType: "Extension.Bad", body: null },
  ],
  [
    "the runtime exiting at all is Runtime.ExitError",
    {
      runtimeInitError: null,
      extensionErrors: [],
      processes: [{ kind: "function", exit: { success: true } }],
    },
    { errorType: "Runtime.ExitError", body: null },
  ],
  [
    "an extension that exits cleanly is skipped; the next one's failure counts",
    {
      runtimeInitError: null,
      extensionErrors: [],
      processes: [{ kind: "extension", exit: { success: true } }, running, {
        kind: "extension",
        exit: { success: false },
      }],
    },
    { errorType: "Extension.Crash", body: null },
  ],
  [
    "an extension that exits cleanly alone is no failure",
    {
      runtimeInitError: null,
      extensionErrors: [],
      processes: [{ kind: "extension", exit: { success: true } }],
    },
    null,
  ],
];

for (const [name, facts, expected] of initCases) {
  Deno.test(`initFailure(): ${name}`, () => {
    assert.deepEqual(initFailure(facts), expected);
  });
}

Deno.test("classifyInit() is error with a failure, else success or a timeout without a type", () => {
  const failure = { errorType: "Extension.Crash", body: null };
  assert.deepEqual(classifyInit(failure, true), { status: "error", errorType: "Extension.Crash" });
  assert.deepEqual(classifyInit(failure, false), { status: "error", errorType: "Extension.Crash" });
  assert.deepEqual(classifyInit(null, true), { status: "success", errorType: null });
  assert.deepEqual(classifyInit(null, false), { status: "timeout", errorType: null });
});
