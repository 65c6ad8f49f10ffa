"""Executes notebooks headless with nbclient and fails on the first cell error.

Usage: python execute.py OUT_DIR NOTEBOOK... (kernel from the notebook's metadata; set
JUPYTER_PATH so the Deno kernelspec is found). Prints one line per notebook with its time.
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
        nb = nbformat.read(path, as_version=4)
        started = time.monotonic()
        client = NotebookClient(
            nb,
            timeout=timeout,
            startup_timeout=120,
            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
        )
        name = os.path.basename(path)
        try:
            client.execute()
            status = "ok"
        except CellExecutionError as error:
            failed += 1
            status = "FAILED"
            print(f"{name}: cell error\n{error}", file=sys.stderr)
        except Exception as error:  # kernel died, timeout, bad notebook
            failed += 1
            status = "FAILED"
            print(f"{name}: {type(error).__name__}: {error}", file=sys.stderr)
        nbformat.write(nb, os.path.join(out_dir, name))
        print(f"{status} {name} {time.monotonic() - started:.1f}s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
