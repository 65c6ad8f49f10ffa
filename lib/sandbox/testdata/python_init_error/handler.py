"""Fails while importing, so awslambdaric reports the error through /runtime/init/error."""
raise RuntimeError("broken at import")
