"""pytest: the PyO3 function runs the Python handler with its hot path from the Rust library.

Needs the wheel's module in build/runtimes/python-pyo3/ (`deno task build`); skipped with that
reason where it was not built.
"""

import importlib.util
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILT = ROOT / "build" / "runtimes" / "python-pyo3"
if BUILT.is_dir():
    sys.path.insert(0, str(BUILT))

battle_native = pytest.importorskip(
    "battle_native", reason=f"no PyO3 build in {BUILT} (run deno task build)"
)
import battle_handler  # noqa: E402 - after the build folder is on sys.path


def test_native_cpu_work_matches_the_python_one():
    for iterations in (0, 1, 10, 2000, 100_000):
        assert battle_native.cpu_work(iterations) == battle_handler.cpu_work(iterations)


def test_the_entry_point_uses_the_native_hot_path(monkeypatch):
    monkeypatch.setenv("BATTLE_MODE", "none")
    monkeypatch.setenv("BATTLE_WORK_ITERATIONS", "2000")
    spec = importlib.util.spec_from_file_location("pyo3_handler", BUILT / "handler.py")
    module = importlib.util.module_from_spec(spec)
    calls = []
    real = battle_native.cpu_work
    monkeypatch.setattr(battle_native, "cpu_work", lambda n: calls.append(n) or real(n))
    spec.loader.exec_module(module)
    result = module.handler({}, None)
    assert calls == [2000]
    assert result["checksum"] == battle_handler.cpu_work(2000)
