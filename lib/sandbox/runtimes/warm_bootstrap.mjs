// The runtime of the sandbox's warm-up environment (see warmUp() in sandbox.ts): answers every
// event with its payload. Run by Deno (always there, since the sandbox runs on it).
const api = `http://${Deno.env.get("AWS_LAMBDA_RUNTIME_API")}/2018-06-01/runtime`;
for (;;) {
  const next = await fetch(`${api}/invocation/next`);
  if (next.status !== 200) Deno.exit(1);
  const id = next.headers.get("lambda-runtime-aws-request-id");
  const body = await next.arrayBuffer();
  const res = await fetch(`${api}/invocation/${id}/response`, { method: "POST", body });
  await res.body?.cancel();
}
