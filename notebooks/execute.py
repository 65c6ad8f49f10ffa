"""Executes notebooks headless with nbclient and fails on the first cell error.

Usage: python execute.py OUT_DIR NOTEBOOK... (kernel from the notebook's metadata; set
JUPYTER_PATH so the Deno kernelspec is found). Prints one line per notebook with its time.

A notebook whose kernel sends a message that fails jupyter_client's HMAC check ("Invalid
Signature") is run again once on a fresh kernel, and its line says so: Deno's kernel (2.9.6) did
that in one CI run and in 1 of 26 runs of all five notebooks here, both times in 05_cost.ipynb, a
fault of the kernel's transport, not of a cell. A cell error is never retried.
"""
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main() -> int:
    out_dir, paths = sys.argv[1], sys.argv[2:]
    timeout = int(os.environ.get("BATTLE_NOTEBOOK_TIMEOUT", "600"))
    failed = 0
    for path in paths:
        name = os.path.basename(path)
        started = time.monotonic()
        retried = ""
        for attempt in range(2):
            nb, status, error = run_one(path, timeout)
            if status == "ok" or not is_transport_fault(error) or attempt == 1:
                break
            retried = f" (run again on a fresh kernel after: {error})"
            print(f"{name}: {error}; running it again on a fresh kernel", file=sys.stderr)
        if status != "ok":
            failed += 1
            print(f"{name}: {error}", file=sys.stderr)
        nbformat.write(nb, os.path.join(out_dir, name))
        print(f"{status} {name} {time.monotonic() - started:.1f}s{retried}", flush=True)
    return 1 if failed else 0


def run_one(path: str, timeout: int):
    """One execution on a fresh kernel: (notebook, "ok" | "FAILED", error text)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        startup_timeout=120,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
    )
    try:
        client.execute()
        return nb, "ok", ""
    except CellExecutionError as error:
        return nb, "FAILED", f"cell error\n{error}"
    except Exception as error:  # kernel died, timeout, bad notebook, bad message
        return nb, "FAILED", f"{type(error).__name__}: {error}"


def is_transport_fault(error: str) -> bool:
    """A message from the kernel that failed the signature check (never a cell's own error)."""
    return error.startswith("ValueError: Invalid Signature")


if __name__ == "__main__":
    sys.exit(main())
