// A function that sleeps SLEEP_MS (default 200) and answers: the load tests' workload.
export const handler = async () => {
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.SLEEP_MS ?? 200)));
  return { ok: true };
};
