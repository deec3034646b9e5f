"""The docs match the code: every command in README.md and docs/ is accepted as written (composed
and checked as the command would, without training), links resolve, generated pages are current,
and the README's headline table is the benchmark's (docs/benchmark.json)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from conftest import ROOT

DOCS = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md"))]
HYDRA = {"train", "generate", "evaluate"}


def commands() -> list[tuple[str, str]]:
    """``(file, command line)`` of every ``wavediff ...`` or ``python scripts/...`` line in a code block
    (usage lines with ``[optional]`` or ``<placeholder>`` parts are syntax, not commands)."""
    found = []
    for path in DOCS:
        for block in re.findall(r"```(?:bash|sh)?\n(.*?)```", path.read_text(), re.S):
            for line in block.replace("\\\n", " ").splitlines():
                line = line.split(" #")[0].strip()
                if re.match(r"^(\w+=\S+ )*(wavediff |python scripts/)", line) and not re.search(r" \[|<", line):
                    found.append((path.relative_to(ROOT).as_posix(), line))
    return found


def split(line: str) -> tuple[dict[str, str], str, list[str]]:
    """``(environment, command, arguments)`` of a documented command line."""
    words = shlex.split(line)
    env = {}
    while "=" in words[0] and not words[0].startswith(("wavediff", "python")):
        key, value = words.pop(0).split("=", 1)
        env[key] = value
    if words[0] == "python":
        script = Path(words[1]).stem
        return env, {"market_data": "market-data"}.get(script, script), words[2:]
    return env, words[1], words[2:]


def first_of_each_sweep(args: list[str]) -> list[str]:
    """A multirun's overrides with each ``a,b`` sweep replaced by ``a`` and the launcher left to Hydra."""
    out = []
    for a in args:
        if a in ("-m", "--multirun") or a.startswith(("hydra/", "hydra.")):
            continue
        key, sep, value = a.partition("=")
        out.append(f"{key}={value.split(',')[0]}" if sep and "[" not in value else a)
    return out


@pytest.mark.parametrize("where, line", commands(), ids=[f"{w}: {c}" for w, c in commands()])
def test_documented_command_is_accepted(where, line, monkeypatch, tmp_path):
    import importlib

    from wavediff.cli.main import COMMANDS
    from wavediff.config.compose import check_overrides
    from wavediff.config.env import env_overrides

    env, command, args = split(line)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert command in COMMANDS, f"{where}: unknown command {command!r}"
    if "--help" in args:
        return  # --help is exercised by tests/test_cli.py
    if command in HYDRA:
        overrides = env_overrides(command, args) + first_of_each_sweep(args)
        cfg = check_overrides(command, [*overrides, f"paths.output_root={tmp_path}"])
        if command == "train" and not any(a.startswith(("resume=", "hparams_search=")) for a in args):
            from wavediff.config.checks import check_train_config

            check_train_config(cfg)
    elif command == "benchmark":  # composed and checked as the command does, before any cell runs
        from wavediff.cli.benchmark import parse_args

        parse_args([*args, f"paths.output_root={tmp_path}"])
    else:
        module = importlib.import_module(f"wavediff.cli.{COMMANDS[command][0]}")
        module.parse_args(args)  # argparse exits on anything it does not accept


def test_the_docs_show_the_main_commands():
    lines = [line for _, line in commands()]
    for command in ("train", "generate", "evaluate", "simulate", "registry", "studio", "market-data"):
        assert any(split(line)[1] == command for line in lines), command


def test_relative_links_resolve():
    broken = []
    for path in DOCS:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text()):
            if "://" in target:
                continue
            if not (path.parent / target).exists():
                broken.append(f"{path.relative_to(ROOT)} -> {target}")
    assert not broken, "\n".join(broken)


def test_generated_reference_pages_are_current():
    from wavediff.cli.reference import pages

    stale = [path for path, text in pages().items() if (ROOT / path).read_text() != text]
    assert not stale, f"regenerate with `python scripts/reference_docs.py`: {stale}"


def test_readme_headline_is_the_benchmark_table():
    """README's table is the one the benchmark wrote into docs/benchmark.json (make benchmark), and
    that table covers the default suite: its data sets and its generators, in order."""
    import json

    from wavediff.jobs.benchmark import headline_table, readme_block, suite_config

    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- benchmark:start -->\n", 1)[1].split("\n<!-- benchmark:end -->", 1)[0]
    summary = json.loads((ROOT / "docs" / "benchmark.json").read_text())
    assert block == readme_block(summary), "README's table is stale: run make benchmark (or table_only=true)"
    assert headline_table(summary) in (ROOT / "docs" / "benchmark.md").read_text()
    suite = suite_config([]).suite
    assert summary["suite"] == "default"
    assert summary["datasets"] == list(suite.datasets) and summary["generators"] == list(suite.generators)


def test_readme_is_the_front_door():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 200
    assert "make train" in "\n".join(lines) and "make test" in "\n".join(lines)
