"""The project's own import graph, read statically: imports inside functions, relative imports and
``import_module("...")`` with a literal name included. The wiring and DVC-deps tests both read it."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("augmentation", "tasks", "flows")


def modules(package: str) -> dict[str, Path]:
    """Every module of ``package`` by dotted name, found on disk (nothing is left out by hand)."""
    return {".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): path
            for path in sorted((ROOT / package).rglob("*.py"))}


def module_file(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def imports_in(name: str, path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in the file at any depth, relative ones resolved; ``from package import
    name`` counts as importing ``package.name`` when that is a module of the project."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            for alias in node.names:
                found.append((node.lineno, f"{base}.{alias.name}" if module_file(f"{base}.{alias.name}") else base))
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None))
              in {"import_module", "__import__"} and node.args and isinstance(node.args[0], ast.Constant)):
            found.append((node.lineno, str(node.args[0].value)))
    return found


@cache
def imports_of(module: str) -> frozenset[str]:
    """The project modules ``module`` imports anywhere in its file."""
    return frozenset(target for _, target in imports_in(module, module_file(module))
                     if target.split(".")[0] in PACKAGES and module_file(target))


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
