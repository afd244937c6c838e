"""The documentation is held to what it says (docs/dev-guide/tests.md): every shell command of
every page runs, every relative link resolves, every repository path it quotes exists, and the
definition page's table of keys is the one `valueproof schema` gives.

The pages are README.md and docs/**/*.md. A page's commands are the lines of its ```bash blocks
(`&&` chains split into their parts); each part is run, or skipped for a stated reason, by the
first rule of RULES that matches it. A command no rule matches fails the test: give it one.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, invoke

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

# (what a command starts with, None to run it, or why it is skipped); the first match decides.
RULES = [
    ("valueproof", None),                       # through Click's CliRunner
    ("python tools/", None),                    # quick checks of the checkout (--check)
    ("python tests/test_layers.py", None),
    ("python3 -m venv", "creates a virtual environment: the reader's set-up, done once"),
    ("pip", "installs packages: the reader's set-up (CI installs in a fresh venv)"),
    ("python -m pytest", "runs the whole test suite, which this test is part of"),
    ("apt-get", "installs system packages"),
    ("python benchmarks/", "takes minutes to hours; its figures are dated in the docs"),
    (".ci/run", "CI itself: a fresh venv and the whole suite"),
]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", flags=re.S | re.M)


def page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


def shell_commands(page: Path) -> list[str]:
    """Every part of every line of the page's bash blocks (a line ending in `\\` continues)."""
    commands = []
    for language, block in FENCE.findall(page.read_text(encoding="utf-8")):
        if language != "bash":
            continue
        for line in block.replace("\\\n", " ").splitlines():
            commands += [part.strip() for part in line.split("&&") if part.strip()]
    return commands


def normalised(command: str) -> str:
    """The command as RULES spell it: `.venv/bin/` and `python3` (but for `-m venv`) dropped."""
    words = shlex.split(command)
    words[0] = words[0].removeprefix(".venv/bin/")
    if words[0] == "python3" and words[1:2] != ["-m"]:
        words[0] = "python"
    return " ".join(words)


def rule(command: str) -> tuple[str, str | None] | None:
    text = normalised(command)
    return next(((start, why) for start, why in RULES if text.startswith(start)), None)


def run_command(runner, command: str, folder: Path) -> None:
    """Run one command in `folder` (the tests' working folder); assert it succeeded."""
    words = shlex.split(normalised(command))
    target = None
    if ">" in words:
        words, target = words[:words.index(">")], words[words.index(">") + 1]
    if words[0] == "valueproof":
        result = invoke(runner, *words[1:])
        output, status = result.stdout, result.exit_code
    else:
        done = subprocess.run([sys.executable, *words[1:]], cwd=ROOT, capture_output=True,
                              text=True, timeout=300)
        output, status = done.stdout + done.stderr, done.returncode
    assert status == 0, (command, output)
    if target:
        (folder / target).write_text(output, encoding="utf-8")


def run_page(runner, page: Path, folder: Path, monkeypatch) -> list[str]:
    """Run every runnable command of the page in `folder`, with examples/ at hand; the commands
    run, in order."""
    (folder / "examples").symlink_to(EXAMPLES)
    monkeypatch.chdir(folder)
    ran = []
    for command in shell_commands(page):
        if rule(command)[1] is None:
            run_command(runner, command, folder)
            ran.append(normalised(command))
    return ran


def test_every_command_has_a_rule():
    unruled = [f"{page_id(page)}: {command}" for page in PAGES for command in shell_commands(page)
               if rule(command) is None]
    assert unruled == [], "give these commands a rule in RULES (run, or skipped and why)"


RUNNABLE = [page for page in PAGES if page.name != "README.md"
            and any(rule(c) and rule(c)[1] is None for c in shell_commands(page))]


@pytest.mark.parametrize("page", RUNNABLE, ids=page_id)
def test_page_commands_work(runner, tmp_path, monkeypatch, page):
    assert run_page(runner, page, tmp_path, monkeypatch)


# Links ------------------------------------------------------------------------------------

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def prose(text: str) -> str:
    """The page without its fenced blocks and inline code (where brackets are not links)."""
    return re.sub(r"`[^`\n]*`", "", FENCE.sub("", text))


def anchors(page: Path) -> set[str]:
    """The page's headings as GitHub spells their anchors (a repeated one gets -1, -2, …)."""
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6}\s+(.*?)\s*$", FENCE.sub("", page.read_text()), flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        candidate, count = slug, 0
        while candidate in found:
            count += 1
            candidate = f"{slug}-{count}"
        found.add(candidate)
    return found


def broken_links(page: Path) -> list[str]:
    broken = []
    for target in LINK.findall(prose(page.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not relative
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.name}")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_relative_links_resolve(page):
    assert broken_links(page) == []


def test_the_link_check_sees_a_missing_file_and_heading(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Odd `title`: here (too)\n\n[a](page.md#odd-title-here-too) [b](#nothing) "
                    "[c](gone.md) [d](https://example.com) `[e](inline.md)`\n")
    assert [line.split(":")[0] for line in broken_links(page)] == ["#nothing", "gone.md"]


# Paths the pages quote ---------------------------------------------------------------------

ROOMS = ("valueproof", "tests", "tools", "benchmarks", "report_templates", "examples", "docs")


def quoted_paths(page: Path) -> list[str]:
    """Repository paths written in the page's inline code (`valueproof/data/guard.py`), but for
    patterns (`<lang>`, `*`, `{…}`)."""
    paths = []
    for code in re.findall(r"`([^`\n]+)`", FENCE.sub("", page.read_text(encoding="utf-8"))):
        for word in code.split():
            word = word.rstrip(".,;:)")
            if word.split("/")[0] in ROOMS and "/" in word and not re.search(r"[<>*{}\[\]…]", word):
                paths.append(word)
    return paths


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_quoted_paths_exist(page):
    assert [path for path in quoted_paths(page) if not (ROOT / path).exists()] == []


# The definition's keys ---------------------------------------------------------------------

def definition_keys_tool():
    spec = importlib.util.spec_from_file_location("definition_keys",
                                                  ROOT / "tools" / "definition_keys.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_definition_page_lists_every_key_of_the_schema(runner):
    import json

    tool = definition_keys_tool()
    schema = json.loads(invoke(runner, "schema").stdout)
    page = tool.PAGE.read_text(encoding="utf-8")
    assert tool.updated(page, schema) == page, "run python tools/definition_keys.py"
    for path, *_ in tool.rows(schema):
        assert path in page
