/**
 * Lambda platform log parsing: text and JSON formats, whole exports, and the join into
 * invocation rows.
 *
 * @module
 */
export * from "./records.ts";
export {
  checkDuration,
  type CheckedFields,
  checkReport,
  type FieldLabels,
  JSON_LABELS,
  LAMBDA_LIMITS,
  TEXT_LABELS,
} from "./limits.ts";
export {
  parseTextLine,
  readReportLine,
  type ReportFields,
  reportFields,
  type TextLineResult,
  type XrayLine,
} from "./text.ts";
export {
  ReportTable,
  type ReportTableData,
  RequestTable,
  type RequestTableData,
  STATUS_CODES,
} from "./columns.ts";
export { type JsonEventResult, parsePlatformEvent, type UnknownType } from "./json.ts";
export { LogParser, type LogParserOptions, parseLines } from "./parser.ts";
export {
  ExportReader,
  type ExportReaderOptions,
  type ExportResult,
  type ExportShape,
  insightsTimestamp,
  parseExport,
  readsLineByLine,
} from "./export.ts";
export {
  SCAN_BLANK,
  SCAN_END,
  SCAN_INIT_START,
  SCAN_NOISE,
  SCAN_NUMS,
  SCAN_OFFS,
  SCAN_OTHER,
  SCAN_REPORT,
  SCAN_START,
  SCAN_XRAY,
  type ScannedLines,
  scannedLines,
} from "./scanned.ts";
export {
  type ClientObservation,
  type ColumnJoinOptions,
  type ColumnJoinResult,
  joinInvocationColumns,
  joinInvocations,
  type JoinOptions,
  type JoinResult,
  MISSING_REPORT,
  type Orphan,
  type RunMeta,
} from "./join.ts";
