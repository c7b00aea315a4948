"""The dependency rule, enforced by parsing the imports of every module under src/xeploai (see
docs/architecture.md): the program side never sees YAML, pydantic or the document model, stages never import the
façade or the command line, and importing the core loads no optional package."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "xeploai"

# The program side: evaluation and explanation must work from a compiled program alone.
PROGRAM_SIDE = ["ir", "trace", "explain", "evidence", "runners.*"]
FORMAT_SIDE = {"yaml", "pydantic", "xeploai.schema", "xeploai.loader", "xeploai.checker", "xeploai.compiler"}

# Stages sit below the façade; only the façade knows their order, and only the command line sits on top of it.
STAGES = [
    "loader",
    "schema",
    "conditions",
    "checker",
    "compiler",
    "ir",
    "issues",
    "evidence",
    "trace",
    "explain",
    "messages",
    "runners.*",
]
ABOVE_STAGES = {"xeploai.api", "xeploai.cli"}

# Installed only with extras; the core must import without them.
OPTIONAL = {"jsonschema", "hypothesis", "openpyxl", "numpy", "pyarrow", "durable", "durable_rules_engine", "zen"}
CORE = ["xeploai", "xeploai.api"]


def module_files() -> dict[str, Path]:
    """Every module of the package by dotted name (``xeploai.runners.interpreter``)."""
    out: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = module_files()


def matching(pattern: str) -> list[str]:
    """Module names matching ``ir`` or ``runners.*`` (relative to the package)."""
    full = f"xeploai.{pattern}"
    if full.endswith(".*"):
        prefix = full[:-1]
        return [m for m in MODULES if m.startswith(prefix) or m == full[:-2]]
    return [full] if full in MODULES else []


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(node: ast.AST, at_import_time: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements under ``node``; with ``at_import_time``, only those run when the module is imported
    (not inside functions, not under ``if TYPE_CHECKING``)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        elif at_import_time and isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        elif at_import_time and isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.orelse:
                yield from _import_nodes(ast.Module(body=[stmt], type_ignores=[]), at_import_time)
        else:
            yield from _import_nodes(child, at_import_time)


def imports(module: str, at_import_time: bool = False) -> set[str]:
    """Absolute names of the modules ``module`` imports. ``from xeploai import schema`` yields both ``xeploai``
    and ``xeploai.schema``, since the name may be a submodule."""
    return imports_in(MODULES[module], module, at_import_time)


def imports_in(path: Path, module: str, at_import_time: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _import_nodes(tree, at_import_time):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        if node.level:
            parts = package.split(".")
            base = ".".join(parts[: len(parts) - node.level + 1])
            source = f"{base}.{node.module}" if node.module else base
        else:
            source = node.module or ""
        found.add(source)
        found.update(f"{source}.{alias.name}" for alias in node.names)
    return found


def hits(found: set[str], banned: set[str]) -> set[str]:
    return {name for name in found for ban in banned if name == ban or name.startswith(ban + ".")}


def test_the_package_has_modules() -> None:
    assert "xeploai" in MODULES, f"no package at {PACKAGE}"
    assert len(MODULES) > 1, f"no modules under {PACKAGE}"


def test_every_module_parses() -> None:
    for module in MODULES:
        imports(module)


@pytest.mark.parametrize("pattern", PROGRAM_SIDE)
def test_program_side_never_imports_yaml_pydantic_or_the_document_model(pattern: str) -> None:
    modules = matching(pattern)
    if not modules:
        pytest.skip(f"xeploai.{pattern} does not exist yet")
    for module in modules:
        bad = hits(imports(module), FORMAT_SIDE)
        assert not bad, f"{module} imports {sorted(bad)}; the program side must not see the framework format"


@pytest.mark.parametrize("pattern", STAGES)
def test_stages_never_import_the_facade_or_the_command_line(pattern: str) -> None:
    modules = matching(pattern)
    if not modules:
        pytest.skip(f"xeploai.{pattern} does not exist yet")
    for module in modules:
        bad = hits(imports(module), ABOVE_STAGES)
        assert not bad, f"{module} imports {sorted(bad)}; stages sit below xeploai.api and xeploai.cli"


def test_nothing_imports_the_command_line() -> None:
    for module in MODULES:
        if module in ("xeploai.cli", "xeploai.__main__") or module.startswith("xeploai.cli."):
            continue
        bad = hits(imports(module), {"xeploai.cli"})
        assert not bad, f"{module} imports the command line {sorted(bad)}"


def _closure(roots: list[str]) -> dict[str, str]:
    """Every package module loaded at import time from ``roots`` → the module that first imports it."""
    seen: dict[str, str] = {}
    todo = [r for r in roots if r in MODULES]
    for root in todo:
        seen[root] = root
    while todo:
        module = todo.pop()
        parts = module.split(".")
        # importing a.b.c runs a and a.b first
        parents = [".".join(parts[:i]) for i in range(1, len(parts))]
        for name in [*parents, *imports(module, at_import_time=True)]:
            if name in MODULES and name not in seen:
                seen[name] = module
                todo.append(name)
    return seen


@pytest.mark.parametrize("root", CORE)
def test_core_imports_no_optional_package_at_import_time(root: str) -> None:
    if root not in MODULES:
        pytest.skip(f"{root} does not exist yet")
    for module, via in _closure([root]).items():
        bad = hits(imports(module, at_import_time=True), OPTIONAL)
        assert not bad, (
            f"importing {root} imports {sorted(bad)} through {module} (reached from {via}); "
            "import optional packages inside the function that needs them"
        )


def test_importing_the_core_loads_no_optional_package() -> None:
    present = [m for m in CORE if m in MODULES]
    code = (
        "import importlib, sys\n"
        f"for name in {present!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({sorted(OPTIONAL)!r})))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    if done.returncode != 0 and "No module named 'xeploai." in done.stderr:
        pytest.skip(f"a module the core imports does not exist yet: {done.stderr.strip().splitlines()[-1]}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"importing {present} loads optional packages {done.stdout.strip()}"


# --- the checker of this file is itself checked --------------------------------------------------------------


def test_relative_and_aliased_imports_are_resolved(tmp_path: Path) -> None:
    source = (
        "from . import schema\n"
        "from ..loader import load\n"
        "import yaml as y\n"
        "def f():\n"
        "    import numpy\n"
        "if TYPE_CHECKING:\n"
        "    import pydantic\n"
    )
    probe = tmp_path / "probe.py"
    probe.write_text(source, encoding="utf-8")
    everything = imports_in(probe, "xeploai.runners.probe")
    at_import = imports_in(probe, "xeploai.runners.probe", at_import_time=True)
    assert {"xeploai.runners.schema", "xeploai.loader", "xeploai.loader.load", "yaml", "numpy"} <= everything
    assert "pydantic" in everything
    assert "numpy" not in at_import and "pydantic" not in at_import and "yaml" in at_import
    assert hits(everything, FORMAT_SIDE) == {"xeploai.loader", "xeploai.loader.load", "yaml", "pydantic"}
