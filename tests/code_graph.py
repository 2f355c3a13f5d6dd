"""The project's own import graph, read statically (imports inside functions included)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("augmentation", "tasks", "flows")


def module_file(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


@cache
def imports_of(module: str) -> frozenset[str]:
    """Project modules ``module`` imports anywhere in its file: ``from a.b import c`` yields a.b.c if that is a
    module, else a.b."""
    tree = ast.parse(module_file(module).read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            if name.split(".")[0] in PACKAGES and module_file(name):
                found.add(name)
    return frozenset(found)


def parents(module: str) -> list[str]:
    """The packages Python imports before ``module`` (their ``__init__`` runs too)."""
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def closure(module: str) -> set[str]:
    """Every project module that importing and running ``module`` may load."""
    seen, todo = set(), [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(imports_of(name))
        todo.extend(parents(name))
    return seen


def all_modules(package: str) -> list[str]:
    root = ROOT / package
    return sorted(".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                  for p in root.rglob("*.py"))
