import assert from "node:assert/strict";
import { EnvironmentPool, ThrottledError } from "./pool.ts";

function fakePool(max = 3) {
  let made = 0;
  const destroyed: number[] = [];
  const pool = new EnvironmentPool({
    create: () => Promise.resolve({ id: ++made }),
    destroy: (env) => {
      destroyed.push(env.id);
      return Promise.resolve();
    },
    maxEnvironments: max,
  });
  return { pool, destroyed };
}

Deno.test("EnvironmentPool scales out while every environment is busy and reuses freed ones", async () => {
  const { pool } = fakePool();
  const a = await pool.acquire();
  const b = await pool.acquire();
  assert.deepEqual([a.env.id, b.env.id, a.fresh, b.fresh], [1, 2, true, true]);
  b.release();
  a.release();
  // The environment freed last is taken first, as Lambda keeps reusing warm environments.
  const c = await pool.acquire();
  assert.deepEqual([c.env.id, c.fresh], [1, false]);
  const s = pool.stats();
  assert.deepEqual([s.environments, s.busy, s.created, s.reused, s.peakBusy], [2, 1, 2, 1, 2]);
  c.release();
  await pool.close();
});

Deno.test("EnvironmentPool throttles past the bound and counts it", async () => {
  const { pool } = fakePool(2);
  const leases = [await pool.acquire(), await pool.acquire()];
  await assert.rejects(pool.acquire(), (e: Error) => {
    assert.ok(e instanceof ThrottledError);
    assert.equal(e.name, "TooManyRequestsException");
    assert.match(e.message, /all 2 environments of the function are busy/);
    return true;
  });
  assert.equal(pool.stats().throttles, 1);
  for (const l of leases) l.release();
  await pool.close();
});

Deno.test("EnvironmentPool queues waiting invocations at the bound and hands over on release", async () => {
  const { pool } = fakePool(1);
  const first = await pool.acquire();
  const waiting = pool.acquire({ wait: true });
  first.release();
  const second = await waiting;
  assert.equal(second.env, first.env);
  assert.equal(pool.stats().queued, 1);
  second.release();
  await pool.close();
});

Deno.test("EnvironmentPool.retire() drops idle environments now and busy ones on release", async () => {
  const { pool, destroyed } = fakePool();
  const a = await pool.acquire();
  const b = await pool.acquire();
  b.release();
  await pool.retire();
  assert.deepEqual(destroyed, [2]);
  a.release(); // busy during the retire: dropped now
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(destroyed, [2, 1]);
  const c = await pool.acquire();
  assert.deepEqual([c.env.id, c.fresh], [3, true]);
  c.release();
  await pool.close();
  assert.deepEqual(destroyed, [2, 1, 3]);
  assert.equal(pool.stats().environments, 0);
});

Deno.test("EnvironmentPool lease release and discard are idempotent", async () => {
  const { pool, destroyed } = fakePool();
  const a = await pool.acquire();
  a.discard();
  a.release();
  a.discard();
  assert.deepEqual(destroyed, [1]);
  assert.equal(pool.stats().environments, 0);
  await pool.close();
  await assert.rejects(pool.acquire(), /shut down/);
});

Deno.test("EnvironmentPool rejects a bound below 1", () => {
  assert.throws(
    () =>
      new EnvironmentPool({
        create: () => Promise.resolve(1),
        destroy: () => Promise.resolve(),
        maxEnvironments: 0,
      }),
    { name: "RangeError", message: "Invalid maxEnvironments 0: expected a whole number ≥ 1" },
  );
});

Deno.test("EnvironmentPool waits briefly for an answered environment instead of scaling out", async () => {
  const { pool } = fakePool();
  const a = await pool.acquire();
  a.answered();
  setTimeout(() => a.release(), 2);
  const b = await pool.acquire();
  assert.deepEqual([b.env.id, b.fresh], [1, false], "the answered one came back in time");
  // Not answered (still running): no wait, a new environment at once.
  const c = await pool.acquire();
  assert.deepEqual([c.env.id, c.fresh], [2, true]);
  // Answered but slow to come back (an extension's post-response work): scale out after the wait.
  c.answered();
  b.answered();
  const t0 = performance.now();
  const d = await pool.acquire();
  assert.ok(performance.now() - t0 >= 9, "waited for the answered ones first");
  assert.deepEqual([d.env.id, d.fresh], [3, true]);
  for (const l of [b, c, d]) l.release();
  await pool.close();
});

Deno.test("EnvironmentPool at the bound waits for an answered environment before throttling", async () => {
  const { pool } = fakePool(1);
  const a = await pool.acquire();
  // Running, not answered: throttled at once.
  const t0 = performance.now();
  await assert.rejects(pool.acquire(), { name: "TooManyRequestsException" });
  assert.ok(performance.now() - t0 < 200, "no wait for an environment still running");
  // Answered, back after 40 ms (past the 10 ms reuse wait): served by it, not throttled.
  a.answered();
  setTimeout(() => a.release(), 40);
  const b = await pool.acquire();
  assert.deepEqual([b.env.id, b.fresh], [1, false]);
  // Answered but not back within the bound's wait: throttled after it.
  b.answered();
  const t1 = performance.now();
  await assert.rejects(pool.acquire(), { name: "TooManyRequestsException" });
  assert.ok(performance.now() - t1 >= 240, "waited the bound's 250 ms first");
  // Answered and then dropped while waited for: a new environment in its place.
  const c = pool.acquire();
  setTimeout(() => b.discard(), 5);
  assert.deepEqual([(await c).env.id, (await c).fresh], [2, true]);
  const s = pool.stats();
  assert.deepEqual([s.throttles, s.created, s.reused], [2, 2, 1]);
  (await c).release();
  await pool.close();
});
