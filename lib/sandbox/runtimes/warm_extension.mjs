// The extension of the sandbox's warm-up environment: registers, then loops on /event/next
// until SHUTDOWN. Run by Deno.
const api = `http://${Deno.env.get("AWS_LAMBDA_RUNTIME_API")}/2020-01-01/extension`;
const reg = await fetch(`${api}/register`, {
  method: "POST",
  headers: { "Lambda-Extension-Name": "warm" },
  body: JSON.stringify({ events: ["INVOKE", "SHUTDOWN"] }),
});
const id = reg.headers.get("lambda-extension-identifier");
await reg.body?.cancel();
for (;;) {
  const res = await fetch(`${api}/event/next`, { headers: { "Lambda-Extension-Identifier": id } });
  if (res.status !== 200) Deno.exit(1);
  const event = await res.json();
  if (event.eventType === "SHUTDOWN") Deno.exit(0);
}
