/**
 * The worker thread of `ingest()`: parses pieces of a large plain log file (see `parsePart`),
 * one per message, and posts each result back, its arrays transferred, until it is ended.
 *
 * @module
 */
import { REPORT_NUMBER_COLUMNS } from "../parse/columns.ts";
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
      ...REPORT_NUMBER_COLUMNS.map((k) => t[k]),
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
