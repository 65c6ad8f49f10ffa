"""The plain polars peer of `deno task ingest` (scripts/bench_ingest.ts): REPORT lines to Parquet.

Usage: python scripts/ingest_peer.py LOG OUT.parquet (needs polars; bench_ingest installs it).
"""
import sys
import polars as pl

lines = pl.scan_csv(sys.argv[1], has_header=False, separator="\x1f", quote_char=None,
                    new_columns=["line"], schema={"line": pl.String}, truncate_ragged_lines=True)
line = pl.col("line")
num = lambda key, unit: line.str.extract(f"\t{key}: ([0-9.]+) {unit}").cast(pl.Float64)
reports = lines.filter(line.str.contains("REPORT RequestId: ", literal=True)).select(
    request_id=line.str.extract(r"RequestId: ([^\t ]+)"), duration_ms=num("Duration", "ms"),
    billed_ms=num("Billed Duration", "ms"), memory_mb=num("Memory Size", "MB").cast(pl.Int32),
    max_memory_mb=num("Max Memory Used", "MB"), init_ms=num("Init Duration", "ms"),
    status=line.str.extract(r"\tStatus: (\w+)").fill_null("success"),
    error_type=line.str.extract(r"\tError Type: ([^\t]+)"),
    timestamp=line.str.extract(r"^(\S+) ").str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", strict=False),
).filter(pl.col("duration_ms").is_not_null()).with_columns(cold=pl.col("init_ms").is_not_null())
df = reports.collect()
df.write_parquet(sys.argv[2])
print(f"{df.height} REPORTs")
