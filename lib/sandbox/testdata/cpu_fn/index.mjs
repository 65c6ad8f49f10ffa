// Burns a fixed amount of CPU work at import (Init) and again on every invocation, so Init
// and Invoke can be timed under their CPU budgets.
function work() {
  let x = 0;
  for (let i = 0; i < 30_000_000; i++) x = (x + i * 7) % 1_000_003;
  return x;
}
work();
export const handler = () => ({ x: work() });
