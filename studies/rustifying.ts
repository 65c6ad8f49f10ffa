/**
 * Python vs Python with its hot path in Rust (PyO3) vs Rust, over memory sizes as power tuning
 * does: where does each get cheapest and fastest?
 *
 * @module
 */
import type { Study } from "../lib/studies/study.ts";
import { composedName } from "../lib/variants.ts";

export const study: Study = {
  name: "rustifying",
  title: "Rustifying: Python vs Python + PyO3 vs Rust, tuned over memory",
  question: "How much Duration and money does moving a CPU-bound hot path from Python to Rust " +
    "save — through PyO3 inside the Python function, or by rewriting the function in Rust — " +
    "and at which memory size is each cheapest?",
  source: {
    title: "“Rustifying” Serverless: Boost AWS Lambda performance with Rust",
    url: "https://community.aws/content/2ZSJAWJt2VbYrGOXPTv1rfmmLSP/rustifying-serverless-boost-" +
      "aws-lambda-performance-with-rust",
    author: "AWS Community",
    published: "2023-12-17",
    finding: "integrating Rust into Python functions with PyO3 and maturin cut invocation time " +
      "and cost without a rewrite, and rewriting whole functions in Rust cut them further; the " +
      "memory setting was chosen with power tuning.",
  },
  matrix: {
    functions: ["python", "python-pyo3", "rust"],
    extensions: ["none"],
    workloads: ["cpu"],
    memoryMb: [128, 256, 512, 1024, 1769, 3008],
  },
  counts: { cold: 5, warm: 20 },
  settings: { workIterations: 200000 },
  headlines: [
    {
      label: "Warm Duration: Python + PyO3 vs Python",
      metric: "warmDurationMs",
      subject: composedName("python-pyo3", "none", "cpu"),
      baseline: composedName("python", "none", "cpu"),
    },
    {
      label: "Warm Duration: Rust vs Python",
      metric: "warmDurationMs",
      subject: composedName("rust", "none", "cpu"),
      baseline: composedName("python", "none", "cpu"),
    },
    {
      label: "Warm Billed Duration: Rust vs Python + PyO3",
      metric: "warmBilledMs",
      subject: composedName("rust", "none", "cpu"),
      baseline: composedName("python-pyo3", "none", "cpu"),
    },
    {
      label: "Init: Python + PyO3 vs Python",
      metric: "initMs",
      subject: composedName("python-pyo3", "none", "cpu"),
      baseline: composedName("python", "none", "cpu"),
    },
  ],
  caveats: [
    "Power tuning is the memory sweep here: the report's cheapest and fastest memory per variant " +
    "and its cost–latency Pareto front.",
  ],
};
