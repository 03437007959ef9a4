"""Every `mri …` command line README shows is parsed by the real CLI (not run).

Command lines in code blocks must parse completely. Synopsis notation is read the usual way:
`[--opt X]` is included, `A | B` are alternatives, `FILE...` is one FILE, `a|b` takes `a`, and
the placeholders N and DATE stand for a number and a date. Commands named inline in the prose
(`mri catalog add-audio`) must name a real command and real options; their required options
may be left out, and … stands for a value. Paths need not exist: whether a file exists is
checked when a command runs.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.core import TyperGroup

from mri.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PLACEHOLDERS = {"N": "2", "DATE": "2026-11-01"}
PROMPT = re.compile(
    r"^(?:sudo -u \S+\s+)?(?:[A-Z_]+=\S+\s+)*(?:\S*\.venv/bin/)?mri\s+(?P<args>.*)$"
)
CLI = typer.main.get_command(app)  # one command tree: the fixtures below adjust its parameters


def fenced_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, command) for each line of a code block that runs `mri`, continuations
    joined, comments dropped."""
    fenced, pending, start = False, "", 0
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced, pending = not fenced, ""
            continue
        if not fenced:
            continue
        if not pending:
            start = number
        line = pending + line.strip()
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        line = re.sub(r"\s+#\s.*$", "", line)  # a trailing comment
        if PROMPT.match(line):
            yield start, line


def inline_commands(text: str) -> Iterator[tuple[int, str]]:
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            for span in re.findall(r"`([^`]+)`", line):
                if PROMPT.match(span.strip()):  # in prose, … stands for a value
                    yield number, span.strip().replace("…", "X")


def expand(line: str) -> list[list[str]]:
    """Synopsis -> concrete argument lists (one per `A | B` alternative)."""
    match = PROMPT.match(line)
    assert match is not None
    first, *others = [part.strip() for part in match["args"].split(" | ")]
    words = shlex.split(first.replace("[", " ").replace("]", " "))
    words = [w.removesuffix("...").removesuffix("…") for w in words if w not in ("...", "…")]
    words = [PLACEHOLDERS.get(w, w if w.startswith("-") else w.split("|")[0]) for w in words]
    variants = [words, *([*words[:-1], alt] for alt in others)]
    return [[w for w in v if w] for v in variants]


def parse(argv: list[str]) -> dict[str, Any]:
    """Parse `mri <argv>` down to the command it names, with the real parsers; run nothing."""
    command: Any = CLI
    ctx = command.make_context("mri", list(argv))
    while isinstance(command, TyperGroup):
        rest = [*ctx._protected_args, *ctx.args]
        name, sub, rest = command.resolve_command(ctx, rest)
        assert sub is not None
        command, ctx = sub, sub.make_context(name, rest, parent=ctx)
    return dict(ctx.params)


def all_params() -> Iterator[Any]:
    def walk(command: Any) -> Iterator[Any]:
        yield from command.params
        for sub in getattr(command, "commands", {}).values():
            yield from walk(sub)

    yield from walk(CLI)


@pytest.fixture
def paths_need_not_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    for param in all_params():
        info = param.type_descriptor.parameter_info
        if getattr(info, "exists", False):
            monkeypatch.setattr(info, "exists", False)


README_TEXT = README.read_text(encoding="utf-8")
FENCED = list(fenced_lines(README_TEXT))
INLINE = list(inline_commands(README_TEXT))


def test_readme_shows_the_commands() -> None:
    assert len(FENCED) >= 30 and len(INLINE) >= 20
    shown = {tuple(a[:2]) for _, line in FENCED for a in expand(line)}
    assert ("catalog", "build") in shown and ("db", "check") in shown


@pytest.mark.usefixtures("paths_need_not_exist")
@pytest.mark.parametrize(("number", "line"), FENCED, ids=[f"L{n}" for n, _ in FENCED])
def test_every_command_line_in_a_code_block_parses(number: int, line: str) -> None:
    for argv in expand(line):
        parse(argv)


@pytest.mark.usefixtures("paths_need_not_exist")
@pytest.mark.parametrize(("number", "span"), INLINE, ids=[f"L{n}" for n, _ in INLINE])
def test_every_command_named_in_the_prose_exists_with_its_options(
    number: int, span: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for param in all_params():
        monkeypatch.setattr(param, "required", False)
    for argv in expand(span):
        parse(argv)


@pytest.mark.usefixtures("paths_need_not_exist")
def test_several_files_take_the_flag_once_per_file() -> None:
    """What README once showed (`--tag-playlists val.json test.json`) is refused; the
    repeated flag it shows now gives every file."""
    with pytest.raises(Exception, match=r"unexpected extra argument.*test\.json"):
        parse(["catalog", "build", "--playlists", "t.json", "--tag-playlists", "val.json",
               "test.json", "--out", "c"])  # fmt: skip
    params = parse(["catalog", "build", "--playlists", "t.json", "--tag-playlists", "val.json",
                    "--tag-playlists", "test.json", "--out", "c"])  # fmt: skip
    assert [p.name for p in params["tag_playlists"]] == ["val.json", "test.json"]
    params = parse(["eval", "photos", "d", "--tagger", "imagenet", "--tagger", "clip"])
    assert params["taggers"] == ["imagenet", "clip"]
