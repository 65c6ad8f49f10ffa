import assert from "node:assert/strict";
import { ChartRenderer } from "./chromium.ts";

Deno.test("ChartRenderer.start() names the missing browser and the install command", async () => {
  await assert.rejects(
    () => ChartRenderer.start({ chromium: "/nonexistent/chromium" }),
    {
      name: "Error",
      message:
        "Chromium not found at /nonexistent/chromium (set $CHROMIUM, or install it: apt-get install -y chromium)",
    },
  );
});
