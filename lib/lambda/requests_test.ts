import assert from "node:assert/strict";
import {
  acceptsAccountId,
  checkErrorType,
  checkIdentifier,
  isApiError,
  parseRegister,
} from "./requests.ts";
import { API_ERRORS } from "./wire.ts";

Deno.test("parseRegister() takes a name and INVOKE/SHUTDOWN, and no events as none", () => {
  assert.deepEqual(parseRegister("ext", '{"events":["INVOKE","SHUTDOWN"]}'), {
    name: "ext",
    events: ["INVOKE", "SHUTDOWN"],
  });
  assert.deepEqual(parseRegister("ext", "{}"), { name: "ext", events: [] });
  assert.deepEqual(parseRegister("ext", '{"events":null}'), { name: "ext", events: [] });
});

Deno.test("parseRegister() refuses requests with Lambda's error types, name first", () => {
  const cases: [string | null, string, string][] = [
    [null, '{"events":["INVOKE"]}', API_ERRORS.invalidExtensionName],
    ["", "not json", API_ERRORS.invalidExtensionName],
    ["ext", "not json", API_ERRORS.invalidRequestFormat],
    ["ext", "[]", API_ERRORS.invalidRequestFormat],
    ["ext", '{"events":"INVOKE"}', API_ERRORS.invalidRequestFormat],
    ["ext", '{"events":[1]}', API_ERRORS.invalidRequestFormat],
    ["ext", '{"events":[],"configurationKeys":["k"]}', API_ERRORS.invalidRequestFormat],
    ["ext", '{"events":["INVOKE","RESTORE"]}', API_ERRORS.invalidEventType],
  ];
  for (const [name, body, errorType] of cases) {
    const result = parseRegister(name, body);
    assert.ok(isApiError(result), `${name} ${body}`);
    assert.equal(result.errorType, errorType, `${name} ${body}`);
    assert.ok(result.errorMessage.length > 0);
  }
});

Deno.test("checkIdentifier() tells a missing identifier from one that is not a UUID", () => {
  assert.equal(checkIdentifier(crypto.randomUUID()), null);
  assert.equal(checkIdentifier(null)?.errorType, API_ERRORS.missingExtensionIdentifier);
  assert.equal(checkIdentifier("")?.errorType, API_ERRORS.missingExtensionIdentifier);
  assert.equal(checkIdentifier("nobody")?.errorType, API_ERRORS.invalidExtensionIdentifier);
});

Deno.test("checkErrorType() requires Lambda-Extension-Function-Error-Type", () => {
  assert.equal(checkErrorType("Extension.ConfigInvalid"), null);
  assert.equal(checkErrorType(null)?.errorType, API_ERRORS.missingHeader);
  assert.equal(checkErrorType("")?.errorType, API_ERRORS.missingHeader);
});

Deno.test("acceptsAccountId() reads the comma-separated Accept-Feature list", () => {
  assert.equal(acceptsAccountId("accountId"), true);
  assert.equal(acceptsAccountId("other, accountId "), true);
  assert.equal(acceptsAccountId("accountIds"), false);
  assert.equal(acceptsAccountId(null), false);
});
