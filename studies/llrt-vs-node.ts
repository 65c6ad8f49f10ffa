/**
 * LLRT's own benchmark: a DynamoDB put at 128 MB on LLRT and on Node.js, cold and warm.
 *
 * @module
 */
import type { Study } from "../lib/studies/study.ts";
import { composedName } from "../lib/variants.ts";

export const study: Study = {
  name: "llrt-vs-node",
  title: "LLRT vs Node.js: a DynamoDB put at 128 MB",
  question: "How much faster does the same function (one DynamoDB PutItem) start and run on " +
    "LLRT than on Node.js at 128 MB, and how much less memory does it use?",
  source: {
    title: "LLRT (Low Latency Runtime): README benchmark, DynamoDB Put, ARM, 128MB",
    url: "https://github.com/awslabs/llrt",
    author: "AWS Labs",
    published: "2024-02",
    finding: "LLRT offers up to over 10x faster startup and up to 2x overall lower cost than " +
      "other JavaScript runtimes on Lambda; its benchmark is a DynamoDB put at 128 MB on arm64, " +
      "LLRT against Node.js 20.",
  },
  matrix: {
    functions: ["nodejs", "llrt"],
    extensions: ["none"],
    workloads: ["dynamodb"],
    memoryMb: [128],
  },
  counts: { cold: 10, warm: 20 },
  settings: { payloadBytes: 256 },
  headlines: [
    {
      label: "Init: LLRT vs Node.js",
      metric: "initMs",
      subject: composedName("llrt", "none", "dynamodb"),
      baseline: composedName("nodejs", "none", "dynamodb"),
    },
    {
      label: "Cold round trip: LLRT vs Node.js",
      metric: "coldRttMs",
      subject: composedName("llrt", "none", "dynamodb"),
      baseline: composedName("nodejs", "none", "dynamodb"),
    },
    {
      label: "Warm Duration: LLRT vs Node.js",
      metric: "warmDurationMs",
      subject: composedName("llrt", "none", "dynamodb"),
      baseline: composedName("nodejs", "none", "dynamodb"),
    },
    {
      label: "Max Memory Used: LLRT vs Node.js",
      metric: "maxMemoryMb",
      subject: composedName("llrt", "none", "dynamodb"),
      baseline: composedName("nodejs", "none", "dynamodb"),
    },
  ],
  caveats: [
    "The source ran on arm64; the local sandbox runs on this host's architecture.",
    "An LLRT built from the llrt_core crate has no embedded AWS SDK: the function bundle then " +
    "carries @aws-sdk/client-dynamodb itself (the label on every chart says which LLRT ran).",
  ],
};
