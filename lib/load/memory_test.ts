import assert from "node:assert/strict";
import { checkCapacity, environmentMemoryMb, memAvailableMb } from "./memory.ts";

const GiB = (n: number) =>
  `MemTotal: 99999999 kB\nMemFree: 1 kB\nMemAvailable: ${n * 1048576} kB\n`;

Deno.test("memAvailableMb() reads MemAvailable in MB, null without it", () => {
  assert.equal(memAvailableMb(GiB(2)), 2048);
  assert.equal(memAvailableMb("MemTotal: 1 kB\n"), null);
});

Deno.test("checkCapacity() accepts what fits and refuses a concurrency the host cannot hold", () => {
  const fits = checkCapacity({ environments: 20, memoryMb: 512, meminfo: GiB(16) });
  assert.equal(fits.perEnvironmentMb, environmentMemoryMb(512));
  assert.equal(fits.maxEnvironments, Math.floor((16384 - 1024) / 528));
  assert.throws(() => checkCapacity({ environments: 250, memoryMb: 512, meminfo: GiB(16) }), {
    name: "RangeError",
    message: "Cannot hold 250 environments of 512 MB: 16384 MB available, 528 MB each and " +
      "1024 MB kept for the host allow at most 29 (lower --concurrency or --reserved-concurrency)",
  });
  assert.throws(() => checkCapacity({ environments: 1, memoryMb: 128, meminfo: GiB(1) }), {
    name: "RangeError",
  });
});

Deno.test("checkCapacity() reads this host's /proc/meminfo", () => {
  const c = checkCapacity({ environments: 1, memoryMb: 128 });
  assert.ok(Number.isNaN(c.availableMb) || c.availableMb > 0);
});
