/**
 * Every function runtime as a hello function (workload `none`) and as an SQS function (workload
 * `sqs`, the SDK's client made at Init): what does the runtime alone cost at cold start, in
 * Duration and in memory, and what does its AWS SDK add?
 *
 * @module
 */
import type { Study } from "../lib/studies/study.ts";
import { composedName } from "../lib/variants.ts";

export const study: Study = {
  name: "runtimes",
  title: "Function runtimes: Node.js, LLRT, Python, Python + PyO3, Rust and Go, hello and SQS",
  question: "What does each function runtime cost by itself — Init, Duration and memory of a " +
    "function that only answers?",
  source: {
    title: "Lambda Cold Starts analysis (lambda-perf)",
    url: "https://maxday.github.io/lambda-perf/",
    author: "Maxime David",
    published: "daily",
    finding: "the daily cold starts of hello functions per runtime: compiled custom runtimes " +
      "(Rust, Go, C++) and LLRT start in tens of ms, Node.js and Python in one to two hundred.",
  },
  matrix: {
    functions: ["nodejs", "llrt", "python", "python-pyo3", "rust", "go"],
    extensions: ["none"],
    workloads: ["none", "sqs"],
    memoryMb: [128, 1024],
  },
  counts: { cold: 10, warm: 20 },
  headlines: [
    {
      label: "Init: LLRT vs Node.js",
      metric: "initMs",
      subject: composedName("llrt", "none", "none"),
      baseline: composedName("nodejs", "none", "none"),
    },
    {
      label: "Init: Rust vs Node.js",
      metric: "initMs",
      subject: composedName("rust", "none", "none"),
      baseline: composedName("nodejs", "none", "none"),
    },
    {
      label: "Init: Go vs Node.js",
      metric: "initMs",
      subject: composedName("go", "none", "none"),
      baseline: composedName("nodejs", "none", "none"),
    },
    {
      label: "Init: Python vs Node.js",
      metric: "initMs",
      subject: composedName("python", "none", "none"),
      baseline: composedName("nodejs", "none", "none"),
    },
    {
      label: "Init with the SQS client: Python vs Node.js",
      metric: "initMs",
      subject: composedName("python", "none", "sqs"),
      baseline: composedName("nodejs", "none", "sqs"),
    },
    {
      label: "Init with the SQS client: Rust vs Go",
      metric: "initMs",
      subject: composedName("rust", "none", "sqs"),
      baseline: composedName("go", "none", "sqs"),
    },
    {
      label: "Max Memory Used: Rust vs Node.js",
      metric: "maxMemoryMb",
      subject: composedName("rust", "none", "none"),
      baseline: composedName("nodejs", "none", "none"),
    },
  ],
};
