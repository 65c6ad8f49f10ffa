"""execute.py runs a notebook again on a fresh kernel only after a message with a bad signature;
a cell error is never run again. The kernel is replaced by a scripted client."""
import os
import sys

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, os.path.dirname(__file__))
import execute  # noqa: E402


def scripted(outcomes):
    """A NotebookClient stand-in whose execute() raises the next outcome (None: success)."""
    calls = []

    class Client:
        def __init__(self, nb, **_kwargs):
            self.nb = nb

        def execute(self):
            outcome = outcomes[len(calls)]
            calls.append(outcome)
            if outcome is not None:
                raise outcome

    return Client, calls


@pytest.fixture
def notebook(tmp_path):
    path = tmp_path / "01_probe.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), path)
    out = tmp_path / "out"
    out.mkdir()
    return str(path), str(out)


def test_a_bad_signature_is_run_again_once_and_said(notebook, monkeypatch, capsys):
    path, out = notebook
    client, calls = scripted([ValueError("Invalid Signature: b'3e3c'"), None])
    monkeypatch.setattr(execute, "NotebookClient", client)
    monkeypatch.setattr(sys, "argv", ["execute.py", out, path])
    assert execute.main() == 0
    assert len(calls) == 2
    line = capsys.readouterr().out.strip()
    assert line.startswith("ok 01_probe.ipynb ")
    assert "run again on a fresh kernel after: ValueError: Invalid Signature" in line


def test_a_second_bad_signature_fails(notebook, monkeypatch, capsys):
    path, out = notebook
    bad = ValueError("Invalid Signature: b'00'")
    client, calls = scripted([bad, bad])
    monkeypatch.setattr(execute, "NotebookClient", client)
    monkeypatch.setattr(sys, "argv", ["execute.py", out, path])
    assert execute.main() == 1
    assert len(calls) == 2
    assert capsys.readouterr().out.startswith("FAILED 01_probe.ipynb ")


def test_a_cell_error_is_never_run_again(notebook, monkeypatch, capsys):
    path, out = notebook
    client, calls = scripted([CellExecutionError("boom", "ReferenceError", "x is not defined")])
    monkeypatch.setattr(execute, "NotebookClient", client)
    monkeypatch.setattr(sys, "argv", ["execute.py", out, path])
    assert execute.main() == 1
    assert len(calls) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("FAILED 01_probe.ipynb ")
    assert "cell error" in captured.err
