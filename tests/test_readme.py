"""The README stays the short front door (docs/dev-guide/tests.md): its two commands on a fresh
machine are the ones CI runs, and the `valueproof …` one is real. Every other page of the
documentation is held to its word by tests/test_docs.py, whose rules run these commands too."""

from __future__ import annotations

from tests.conftest import ROOT
from tests.test_docs import run_page, shell_commands

README = ROOT / "README.md"
SET_UP_AND_RUN = ("python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/valueproof report "
                  "examples/support_copilot/experiment.yaml -o support_qbr.pdf")
RUN_THE_TESTS = ".venv/bin/pip install '.[test]' && .venv/bin/python -m pytest"


def test_readme_is_the_short_front_door():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 130, "the rest belongs in docs/ (see the map of the docs)"
    for command in (SET_UP_AND_RUN, RUN_THE_TESTS):
        assert f"```bash\n{command}\n```" in text
    assert [c.split()[0] for c in shell_commands(README)] == [
        "python3", ".venv/bin/pip", ".venv/bin/valueproof", ".venv/bin/pip", ".venv/bin/python"]


def test_readme_commands_work(runner, tmp_path, monkeypatch):
    assert run_page(runner, README, tmp_path, monkeypatch) == [
        "valueproof report examples/support_copilot/experiment.yaml -o support_qbr.pdf"]
    assert (tmp_path / "support_qbr.pdf").stat().st_size > 10_000
