/**
 * The project's first study: the same SQS-forwarding extension in Rust, on Node.js and on LLRT,
 * beside no extension and a function that sends to SQS itself.
 *
 * @module
 */
import type { Study } from "../lib/studies/study.ts";

export const study: Study = {
  name: "battle-extensions",
  title: "Battle of the extensions: LLRT vs Rust vs Node.js extensions forwarding to SQS",
  question: "What does an extension that forwards the function's payload to SQS cost in cold " +
    "start, Duration, memory and money when it is written in Rust, for Node.js or for LLRT, " +
    "against no extension and against sending from the function itself?",
  source: {
    title: "Battle of the Extensions",
    url: "https://medium.com/meliopayments/battle-of-the-extensions-772894421b0a",
    author: "Efi Merdler-Kravitz, Melio R&D blog",
    published: "2024-04-11",
    finding: "an extension written for LLRT starts about as fast as its Rust counterpart, both " +
      "far faster than a Node.js one.",
  },
  matrix: { variants: ["none", "direct", "rust", "node", "llrt"], memoryMb: [128, 512, 1024] },
  counts: { cold: 10, warm: 20 },
  settings: { payloadBytes: 1024 },
  headlines: [
    {
      label: "Init: Rust extension vs Node.js extension",
      metric: "initMs",
      subject: "rust",
      baseline: "node",
    },
    {
      label: "Init: LLRT extension vs Node.js extension",
      metric: "initMs",
      subject: "llrt",
      baseline: "node",
    },
    {
      label: "Warm post-runtime: Rust vs Node.js extension",
      metric: "postRuntimeMs",
      subject: "rust",
      baseline: "node",
    },
    {
      label: "Max Memory Used: LLRT vs Node.js",
      metric: "maxMemoryMb",
      subject: "llrt",
      baseline: "node",
    },
  ],
  caveats: [
    "The `llrt` variant runs its function on LLRT as well (as it deploys, on provided.al2023), so " +
    "its Init and memory include a lighter function runtime, not only a lighter extension.",
  ],
};
