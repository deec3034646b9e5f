"""The floors of docs/architecture.md, enforced: entry points -> jobs -> library, one way only.

Every ``import`` in ``src/wavediff`` (module level and inside functions) is read with ``ast``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "wavediff"

# (importing modules, modules they must never import, why)
RULES = [
    (("data", "transforms", "models", "sampling", "metrics", "baselines", "registry", "callbacks", "config",
      "utils", "errors", "interrupts"), ("jobs", "cli", "studio"), "the library never reaches up into jobs or entry points"),
    (("baselines",), ("models", "sampling", "registry", "callbacks", "config"),
     "baselines are generators of returns: no network, sampler or bookkeeping"),
    (("data", "transforms", "models"), ("registry", "callbacks"),
     "data, transforms and models know nothing of bookkeeping"),
    (("transforms",), ("data",), "transforms do not depend on data (the scaler lives beside them)"),
    (("data", "transforms", "models", "sampling", "metrics"), ("config.checks", "config.compose", "config.env"),
     "the library may instantiate configs, not compose or check them"),
    (("jobs",), ("cli", "studio"), "jobs are called by entry points, never the reverse"),
    (("utils", "errors", "interrupts"), ("",), "the ground floor imports nothing of WaveDiff"),
    # within the library (DESIGN.md "Architecture"): data -> transforms -> models -> sampling, metrics aside
    (("data", "transforms"), ("models", "sampling", "metrics"), "data and transforms know no model or sampler"),
    (("models",), ("sampling", "metrics"), "models do not know how they are sampled or measured"),
    (("sampling",), ("metrics",), "samplers do not measure"),
    (("metrics",), ("models", "sampling"), "metrics work on series, not models"),
    (("registry",), ("data", "transforms", "models", "sampling", "metrics", "callbacks"),
     "the registry stores rows and knows nothing of what made them"),
    (("callbacks",), ("jobs", "cli", "studio"), "callbacks are wired by jobs, never the reverse"),
]


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(parts)


def wavediff_imports(path: Path) -> set[str]:
    """``wavediff.x.y`` names imported by a file, without the ``wavediff.`` prefix."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return {n.removeprefix("wavediff.") if n != "wavediff" else "" for n in names
            if n == "wavediff" or n.startswith("wavediff.")}


def inside(name: str, prefix: str) -> bool:
    return prefix == "" or name == prefix or name.startswith(prefix + ".")


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "migrations" not in p.parts}


@pytest.mark.parametrize("importers, forbidden, why", RULES, ids=[r[2] for r in RULES])
def test_import_direction(importers, forbidden, why):
    broken = []
    for name, path in MODULES.items():
        if not any(inside(name, prefix) for prefix in importers):
            continue
        for target in wavediff_imports(path):
            if target == "" and forbidden != ("",):
                continue  # `import wavediff` itself (the resolvers) is allowed everywhere
            if target == "config.resolvers" and forbidden == ("",):
                continue
            if any(inside(target, f) for f in forbidden):
                broken.append(f"{name} imports wavediff.{target}")
    assert not broken, f"{why}:\n" + "\n".join(broken)


def test_the_rules_see_every_floor():
    floors = {name.split(".")[0] for name in MODULES if name}
    assert {"data", "transforms", "models", "sampling", "metrics", "baselines", "registry", "callbacks", "config", "jobs",
            "cli", "studio", "utils", "errors"} <= floors
    # no loose modules beside the packages but the ground floor and the package entry
    loose = {name for name, path in MODULES.items() if path.parent == PACKAGE and path.name != "__init__.py"}
    assert loose == {"utils", "errors", "interrupts", "__main__"}, loose


def test_no_module_finds_the_repository_by_walking_up():
    """Configs come with the package (importlib.resources), never from a checkout found by ``parents``."""
    walkers = [name for name, path in MODULES.items() if ".parents[" in path.read_text()]
    assert walkers == []
