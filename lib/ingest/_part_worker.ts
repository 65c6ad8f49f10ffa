/**
 * The worker thread of `ingest()`: parses pieces of a large plain log file (see `parsePart`),
 * one per message, and posts each result back, its arrays transferred, until it is ended.
 *
 * @module
 */
import { parsePart, type PartRequest, type PartResult } from "./_read.ts";

interface Scope {
  onmessage: ((e: MessageEvent<PartRequest>) => void) | null;
  postMessage(message: { result: PartResult } | { error: string }, transfer?: Transferable[]): void;
}

const scope = self as unknown as Scope;

scope.onmessage = async (e) => {
  try {
    const result = await parsePart(e.data);
    const t = result.table;
    const buffers = [
      t.pool,
      t.idOff,
      t.hashes,
      t.time,
      t.duration,
      t.billed,
      t.memory,
      t.maxUsed,
      t.init,
      t.restore,
      t.billedRestore,
      t.status,
      t.requests.chars,
      t.requests.off,
      t.requests.hashes,
      t.requests.startTime,
    ].map((a) => a.buffer);
    scope.postMessage({ result }, buffers);
  } catch (err) {
    scope.postMessage({ error: (err as Error).message });
  }
};
