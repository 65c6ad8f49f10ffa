/**
 * Go, Node.js and Rust functions recording each request in a DynamoDB table (one PutItem,
 * client made lazily once per environment): cold start, execution time, memory, and throughput
 * under load.
 *
 * @module
 */
import type { Study } from "../lib/studies/study.ts";
import { composedName } from "../lib/variants.ts";

export const study: Study = {
  name: "multi-runtime",
  title: "Go vs Node.js vs Rust functions writing each request to DynamoDB",
  question: "How do Go, Node.js and Rust compare in cold start, Duration, memory and " +
    "throughput under load when each request is recorded with one DynamoDB PutItem?",
  source: {
    title: "AWS Lambda battle 2021: performance comparison for all languages (cold and warm start)",
    url: "https://filia-aleks.medium.com/aws-lambda-battle-2021-performance-comparison-for-all-" +
      "languages-c1b441005fd1",
    author: "Aleksandr Filichkin, Medium",
    published: "2021-09-16",
    finding:
      "with every function saving a record to DynamoDB behind API Gateway, Go and Rust had " +
      "small cold starts, Rust the smallest at every memory size but 128 MB, and the compiled " +
      "runtimes the lowest warm duration and memory.",
  },
  matrix: {
    functions: ["go", "nodejs", "rust"],
    extensions: ["none"],
    workloads: ["dynamodb"],
    memoryMb: [128, 512, 1024],
  },
  counts: { cold: 10, warm: 20 },
  settings: { payloadBytes: 256 },
  load: { requests: 300, concurrency: 10 },
  headlines: [
    {
      label: "Init: Rust vs Node.js",
      metric: "initMs",
      subject: composedName("rust", "none", "dynamodb"),
      baseline: composedName("nodejs", "none", "dynamodb"),
    },
    {
      label: "Init: Go vs Node.js",
      metric: "initMs",
      subject: composedName("go", "none", "dynamodb"),
      baseline: composedName("nodejs", "none", "dynamodb"),
    },
    {
      label: "Warm Duration: Rust vs Node.js",
      metric: "warmDurationMs",
      subject: composedName("rust", "none", "dynamodb"),
      baseline: composedName("nodejs", "none", "dynamodb"),
    },
    {
      label: "Warm Duration: Go vs Node.js",
      metric: "warmDurationMs",
      subject: composedName("go", "none", "dynamodb"),
      baseline: composedName("nodejs", "none", "dynamodb"),
    },
    {
      label: "Max Memory Used: Rust vs Node.js",
      metric: "maxMemoryMb",
      subject: composedName("rust", "none", "dynamodb"),
      baseline: composedName("nodejs", "none", "dynamodb"),
    },
    {
      label: "Round trip under load: Go vs Node.js",
      metric: "loadLatencyMs",
      subject: composedName("go", "none", "dynamodb"),
      baseline: composedName("nodejs", "none", "dynamodb"),
    },
  ],
  caveats: [
    "The functions here make their DynamoDB client on the first invocation (lazily), so the " +
    "first invocation's Duration, not Init, carries the client's construction.",
    "DynamoDB is dynalite on loopback locally: the put's own latency is far below DynamoDB's.",
  ],
};
