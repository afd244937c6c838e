"""The README's example commands are real: run every `valueproof …` command of its bash blocks."""

from __future__ import annotations

import re
import shlex

from tests.conftest import EXAMPLES, ROOT, invoke


def readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            for part in line.split("&&"):
                words = shlex.split(part)
                if words and words[0].endswith("valueproof"):
                    commands.append(words[1:])
    return commands


def test_readme_commands_work(runner, tmp_path, monkeypatch):
    commands = readme_commands()
    assert [c[0] for c in commands] == ["report", "batch"]
    (tmp_path / "examples").symlink_to(EXAMPLES)
    monkeypatch.chdir(tmp_path)
    for command in commands:
        result = invoke(runner, *command)
        assert result.exit_code == 0, (command, result.output)
    assert (tmp_path / "support_qbr.pdf").stat().st_size > 10_000
    assert len(list((tmp_path / "qbrs").glob("*.pdf"))) == len(list(EXAMPLES.glob("*/experiment.yaml")))
