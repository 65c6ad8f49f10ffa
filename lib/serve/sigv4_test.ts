import assert from "node:assert/strict";
import { parseSigV4, unsignedSigV4Headers } from "./sigv4.ts";

const SIG = "a".repeat(64);

function request(headers: Record<string, string>, query = ""): Request {
  return new Request(`http://127.0.0.1/x${query}`, { headers });
}

Deno.test("parseSigV4() accepts any key in a well-formed Authorization header", () => {
  const r = parseSigV4(request({
    authorization:
      `AWS4-HMAC-SHA256 Credential=ANYKEY/20261201/eu-west-1/logs/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIG}`,
    "x-amz-date": "20261201T101010Z",
  }));
  assert.deepEqual(r, {
    ok: true,
    credential: { accessKeyId: "ANYKEY", date: "20261201", region: "eu-west-1", service: "logs" },
  });
});

Deno.test("parseSigV4() refuses a request without authorization as AWS does", () => {
  assert.deepEqual(parseSigV4(request({})), {
    ok: false,
    errorType: "MissingAuthenticationTokenException",
    message: "Missing Authentication Token",
  });
});

Deno.test("parseSigV4() refuses malformed authorizations with IncompleteSignatureException", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ authorization: "Bearer x", "x-amz-date": "d" }, /requires the AWS4-HMAC-SHA256 algorithm/],
    [
      {
        authorization: "AWS4-HMAC-SHA256 Credential=k/20261201/r/s/aws4_request",
        "x-amz-date": "d",
      },
      /requires 'SignedHeaders', 'Signature' parameter/,
    ],
    [
      {
        authorization: `AWS4-HMAC-SHA256 Credential=k/bad, SignedHeaders=host, Signature=${SIG}`,
        "x-amz-date": "d",
      },
      /Credential should be scoped/,
    ],
    [
      {
        authorization:
          `AWS4-HMAC-SHA256 Credential=k/20261201/r/s/aws4_request, SignedHeaders=host, Signature=${SIG}`,
      },
      /'X-Amz-Date' or a 'Date' header/,
    ],
  ];
  for (const [headers, message] of cases) {
    const r = parseSigV4(request(headers));
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.errorType, "IncompleteSignatureException");
      assert.match(r.message, message);
    }
  }
});

Deno.test("parseSigV4() accepts presigned query authorization", () => {
  const q = "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=k%2F20261201%2Fus-east-1%2Flambda" +
    `%2Faws4_request&X-Amz-Date=20261201T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=${SIG}`;
  const r = parseSigV4(request({}, q));
  assert.ok(r.ok && r.credential.service === "lambda");
});

Deno.test("unsignedSigV4Headers() produce headers parseSigV4() accepts", () => {
  const r = parseSigV4(request(unsignedSigV4Headers("lambda")));
  assert.ok(r.ok && r.credential.region === "us-east-1");
});
