import assert from "node:assert/strict";
import { join } from "node:path";
import { findAwsCredentials, findAwsRegion, requireAwsCredentials } from "./credentials.ts";

function withHome(files: Record<string, string>, fn: (home: string) => void): void {
  const home = Deno.makeTempDirSync({ prefix: "aws-home-" });
  try {
    Deno.mkdirSync(join(home, ".aws"));
    for (const [name, text] of Object.entries(files)) {
      Deno.writeTextFileSync(join(home, ".aws", name), text);
    }
    fn(home);
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
}

Deno.test("findAwsCredentials() reads access keys from the environment", () => {
  const found = findAwsCredentials({
    env: {
      AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "secret",
      HOME: "/nonexistent",
    },
  });
  assert.equal(found?.kind, "env");
});

Deno.test("findAwsCredentials() ignores an access key without its secret", () => {
  withHome({}, (home) => {
    assert.equal(
      findAwsCredentials({ env: { AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", HOME: home } }),
      null,
    );
  });
});

Deno.test("findAwsCredentials() finds the default profile in the credentials file", () => {
  withHome(
    { credentials: "[default]\naws_access_key_id = AKIA\naws_secret_access_key = s\n" },
    (home) => {
      const found = findAwsCredentials({ env: { HOME: home } });
      assert.equal(found?.kind, "profile");
      assert.equal(found?.profile, "default");
    },
  );
});

Deno.test("findAwsCredentials() finds an SSO profile named by AWS_PROFILE in the config file", () => {
  withHome({ config: "[profile bench]\nsso_session = corp\nregion = eu-west-1\n" }, (home) => {
    const found = findAwsCredentials({ env: { HOME: home, AWS_PROFILE: "bench" } });
    assert.equal(found?.profile, "bench");
    assert.match(found?.detail ?? "", /sso_session/);
    assert.equal(findAwsRegion({ env: { HOME: home, AWS_PROFILE: "bench" } }), "eu-west-1");
  });
});

Deno.test("findAwsCredentials() returns null for a profile with only a region", () => {
  withHome({ config: "[default]\nregion = us-east-1\n" }, (home) => {
    assert.equal(findAwsCredentials({ env: { HOME: home } }), null);
  });
});

Deno.test("findAwsRegion() prefers the explicit region, then AWS_REGION", () => {
  assert.equal(
    findAwsRegion({ env: { AWS_REGION: "eu-central-1" }, region: "us-west-2" }),
    "us-west-2",
  );
  assert.equal(
    findAwsRegion({ env: { AWS_REGION: "eu-central-1", AWS_DEFAULT_REGION: "us-east-2" } }),
    "eu-central-1",
  );
});

Deno.test("requireAwsCredentials() names both missing settings", () => {
  withHome({}, (home) => {
    assert.throws(
      () => requireAwsCredentials({ env: { HOME: home } }),
      (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.match(err.message, /^Cannot use AWS: no AWS credentials/);
        assert.match(err.message, /no AWS region \(pass --region or set AWS_REGION\)/);
        return true;
      },
    );
  });
});

Deno.test("requireAwsCredentials() returns the source and region when both are set", () => {
  const setup = requireAwsCredentials({
    env: { AWS_ACCESS_KEY_ID: "AKIA", AWS_SECRET_ACCESS_KEY: "s", HOME: "/nonexistent" },
    region: "eu-west-1",
  });
  assert.deepEqual(setup, {
    credentials: { kind: "env", detail: "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" },
    region: "eu-west-1",
  });
});
