// The hello function of the fidelity check: the smallest handler, as public cold-start
// benchmarks deploy it, so Init and Duration measure the runtime and the platform only.
export const handler = () => ({ statusCode: 200, body: "hello" });
