/**
 * Turns a cell's platform output (the sandbox's log files, or CloudWatch messages) plus what
 * the invoker saw into schema rows, and checks them: every invocation has a REPORT, cold rows
 * have an Init Duration and warm rows have none.
 *
 * @module
 */
import { type ClientObservation, joinInvocations, LogParser, type RunMeta } from "../parse/mod.ts";
import type { CellResult, ClientRecord } from "./types.ts";

/** Where a cell's platform output comes from. */
export type CellSource = { files: string[] } | { messages: string[] };

/**
 * Parses and joins one cell.
 *
 * @param options The output (files or raw messages), the row fields the logs cannot know, and
 *   the invoker's records in invocation order.
 * @returns Rows for exactly the client's request ids, with the checks filled in.
 */
export async function collectCell(
  options: CellSource & { meta: RunMeta; client: readonly ClientRecord[] },
): Promise<CellResult> {
  const parser = new LogParser();
  if ("files" in options) {
    for (const file of options.files) {
      let text: string;
      try {
        text = await Deno.readTextFile(file);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) continue; // e.g. no telemetry was written
        throw error;
      }
      let lineNo = 0;
      for (const line of text.split("\n")) {
        lineNo++;
        if (line !== "") parser.line(line, lineNo);
      }
    }
  } else {
    options.messages.forEach((m, i) => parser.message(m, i + 1));
  }
  const client = new Map<string, ClientObservation>();
  for (const c of options.client) {
    client.set(c.requestId, {
      clientRttMs: c.clientRttMs,
      timestamp: c.timestamp,
      cold: c.intendedCold,
    });
  }
  const { records, stats } = parser.result();
  const joined = joinInvocations({ records, meta: options.meta, client });
  const intended = new Map(options.client.map((c) => [c.requestId, c.intendedCold]));
  const coldMismatches = joined.rows
    .filter((r) => r.status === "success" || r.status === "error")
    .filter((r) => r.error_type === null || !r.error_type.startsWith("Battle."))
    .filter((r) => intended.get(r.request_id) !== r.cold)
    .map((r) => `${r.request_id}: meant ${intended.get(r.request_id) ? "cold" : "warm"}`);
  const notes: string[] = [];
  if (joined.initFailures > 0) notes.push(`${joined.initFailures} failed Init phases`);
  if (joined.droppedRecords > 0) {
    notes.push(`${joined.droppedRecords} telemetry records dropped (platform.logsDropped)`);
  }
  if (Object.keys(stats.unknownTypes).length > 0) {
    notes.push(`unknown record types: ${JSON.stringify(stats.unknownTypes)}`);
  }
  return {
    rows: joined.rows,
    rejectedLines: stats.rejected,
    rejectedByReason: { ...stats.rejectedByReason },
    missingReport: joined.missingReport,
    coldMismatches,
    coldRetries: 0,
    messages: null,
    notes,
  };
}
