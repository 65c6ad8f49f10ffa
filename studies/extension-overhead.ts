/**
 * What merely having an extension costs, apart from what its work costs: a function with a
 * fixed 500 ms delay with no extension, with blank extensions (register, loop on /next), and with
 * collector extensions that do I/O on every INVOKE (the SQS-forwarding ones), under load.
 *
 * @module
 */
import type { Study } from "../lib/studies/study.ts";
import { composedName } from "../lib/variants.ts";

export const study: Study = {
  name: "extension-overhead",
  title: "Extension overhead: none vs blank vs collector extensions on a 500 ms function",
  question: "How much Duration and post-runtime time does an extension add to a function that " +
    "sleeps 500 ms, when it does nothing (a blank extension) and when it does I/O on every " +
    "INVOKE (a collector), in Rust and in JavaScript, at 128 and 512 MB and under load?",
  source: {
    title: "Optimizing AWS Lambda extensions in C# and Rust",
    url: "https://aws.amazon.com/blogs/compute/optimizing-aws-lambda-extensions-in-c-and-rust/",
    author: "Siarhei Kazhura, AWS Compute Blog",
    published: "2023-04-13",
    finding: "on a function with a static 500 ms delay at 128 MB, loaded with 5,000 requests at " +
      "250 concurrent, blank and event-collector extensions written in Rust added the least " +
      "Duration, PostRuntimeExtensionsDuration, memory and cold start; the C# ones cost more " +
      "until optimized (about three times better after). Sample code: " +
      "github.com/aws-samples/lambda-extension-optimization.",
  },
  matrix: {
    functions: ["nodejs"],
    extensions: ["none", "blankrust", "blanknode", "rust", "node"],
    workloads: ["delay"],
    memoryMb: [128, 512],
  },
  counts: { cold: 10, warm: 20 },
  settings: { delayMs: 500, payloadBytes: 1024 },
  load: { requests: 200, concurrency: 10, source: { requests: 5000, concurrency: 250 } },
  headlines: [
    {
      label: "Warm Duration: blank Rust extension vs none",
      metric: "warmDurationMs",
      subject: composedName("nodejs", "blankrust", "delay"),
      baseline: composedName("nodejs", "none", "delay"),
    },
    {
      label: "Warm Duration: blank JS extension (Node.js) vs none",
      metric: "warmDurationMs",
      subject: composedName("nodejs", "blanknode", "delay"),
      baseline: composedName("nodejs", "none", "delay"),
    },
    {
      label: "Post-runtime under load: Rust collector vs blank Rust (ms more)",
      metric: "loadPostRuntimeMs",
      subject: composedName("nodejs", "rust", "delay"),
      baseline: composedName("nodejs", "blankrust", "delay"),
      compare: "difference",
    },
    {
      label: "Post-runtime under load: JS collector (Node.js) vs Rust collector (ms more)",
      metric: "loadPostRuntimeMs",
      subject: composedName("nodejs", "node", "delay"),
      baseline: composedName("nodejs", "rust", "delay"),
      compare: "difference",
    },
    {
      label: "Init: blank Rust extension vs none",
      metric: "initMs",
      subject: composedName("nodejs", "blankrust", "delay"),
      baseline: composedName("nodejs", "none", "delay"),
    },
  ],
  caveats: [
    "The source's function and extensions are .NET 6 and Rust behind API Gateway; here the " +
    "function is Node.js and the extensions are Rust and JavaScript, invoked directly.",
    "The collector here forwards the function's payload to SQS (ElasticMQ locally) before its " +
    "next /next; the source's event collector sent its events to an HTTP endpoint.",
  ],
};
