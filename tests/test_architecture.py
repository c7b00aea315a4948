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

# The packages of the pipeline, lowest first. A module may import modules of its own package and of the packages
# listed before it, never after: the tree shows the order of the stages (docs/architecture.md).
LAYERS: list[set[str]] = [
    {"program"},  # the IR and problems as data: shared by everything
    {"framework"},  # YAML framework files → Program
    {"evaluation"},  # Program × evidence → results (runners, populations)
    {"explanation"},  # results → what a person reads; receipts and case histories
    {"tables"},  # population files in, result tables out
    {"process"},  # the review ladder, ballots, quarters, official forms
    {"analysis"},  # frameworks as a whole: tests, search, readings, diff
    {"api"},  # the façade
    {"service"},  # the HTTP decision service and its page
    {"cli", "__main__"},  # the command line
]

# The program side: evaluation and explanation must work from a compiled program alone.
PROGRAM_SIDE = [
    "program.*",
    "evaluation.trace",
    "evaluation.evidence",
    "evaluation.runners.*",
    "explanation.reasons",
    "explanation.explain",
    "explanation.counterfactual",
    "explanation.counterfactual_search",
    "explanation.counterfactual_domains",
    "explanation.counterfactual_checker",
    "explanation.self_assessment",
]
FORMAT_SIDE = {"yaml", "pydantic", "xeploai.framework"}

# Stages sit below the façade; only the command line and the service sit on top of it.
ABOVE_STAGES = {"xeploai.api", "xeploai.cli", "xeploai.service"}
STAGES = ["program.*", "framework.*", "evaluation.*", "explanation.*", "tables.*", "process.*", "analysis.*"]

# Installed only with extras; the core must import without them.
OPTIONAL = {
    "cryptography",
    "jsonschema",
    "hypothesis",
    "openpyxl",
    "numpy",
    "pyarrow",
    "durable",
    "durable_rules_engine",
    "zen",
    "fastapi",
    "uvicorn",
    "starlette",
}
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


def layer_of(module: str) -> int | None:
    """The index in LAYERS of a module's package (``xeploai.evaluation.runners.columnar`` → evaluation's);
    None for the package face ``xeploai`` itself, which holds only the version."""
    if module == "xeploai":
        return None
    top = module.split(".")[1]
    for index, packages in enumerate(LAYERS):
        if top in packages:
            return index
    raise AssertionError(f"{module}: its package {top!r} is in no layer of LAYERS; add it where it belongs")


def upward_imports(module: str, found: set[str]) -> set[str]:
    """The imports of ``module`` that reach a package above its own."""
    own = layer_of(module)
    if own is None:
        return set()
    bad = set()
    for name in found:
        if name.split(".")[0] != "xeploai" or name == "xeploai" or name == "xeploai.__version__":
            continue
        target = name if name in MODULES else name.rpartition(".")[0]
        if target not in MODULES:
            continue
        layer = layer_of(target)
        if layer is not None and layer > own:
            bad.add(target)
    return bad


def test_every_package_has_a_layer_and_a_docstring() -> None:
    for module, path in MODULES.items():
        layer_of(module)
        if path.name == "__init__.py" and module != "xeploai":
            tree = ast.parse(path.read_text(encoding="utf-8"))
            doc = ast.get_docstring(tree) or ""
            assert doc.strip(), f"{module} has no docstring saying what comes in and what goes out"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_its_own_package_and_the_packages_below(module: str) -> None:
    bad = upward_imports(module, imports(module))
    assert not bad, (
        f"{module} imports {sorted(bad)} from a package above its own; "
        f"the order is {' < '.join('/'.join(sorted(layer)) for layer in LAYERS)}"
    )


def test_a_planted_upward_import_is_caught(tmp_path: Path) -> None:
    """The rule above really fails: a runner that imports the process package, or the IR the façade."""
    probe = tmp_path / "probe.py"
    probe.write_text("from xeploai.process import ladder\nfrom xeploai import api\n", encoding="utf-8")
    runner = "xeploai.evaluation.runners.probe"
    planted = {"xeploai.process", "xeploai.process.ladder", "xeploai.api"}
    assert upward_imports(runner, imports_in(probe, runner)) == planted
    ir_probe = "xeploai.program.probe"
    assert upward_imports(ir_probe, imports_in(probe, ir_probe)) == planted
    # the same imports are allowed from above
    assert upward_imports("xeploai.cli.probe", imports_in(probe, "xeploai.cli.probe")) == set()


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` (module → the modules it imports), or None."""
    state: dict[str, int] = {}  # 1: on the path being walked, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for child in sorted(graph.get(node, ())):
            if state.get(child) == 1:
                return [*stack[stack.index(child) :], child]
            if child not in state and (found := visit(child)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_import_circles_between_modules() -> None:
    """No two modules import each other, directly or through others (imports inside functions included)."""
    graph = {m: {n for n in imports(m) if n in MODULES and n != m} for m in MODULES}
    circle = find_circle(graph)
    assert circle is None, "import circle: " + " -> ".join(circle or [])


def test_a_planted_circle_is_found() -> None:
    graph = {"xeploai.api": {"xeploai.analysis.framework_tests"}, "xeploai.analysis.framework_tests": {"xeploai.api"}}
    assert find_circle(graph) == ["xeploai.analysis.framework_tests", "xeploai.api", "xeploai.analysis.framework_tests"]
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


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


# Modules a one-member evaluation from the command line never needs: the checker and its document model
# (pydantic), the analysis, the table readers and writers and the packages they use. Importing them took most of
# the start-up time of ``xeploai evaluate`` (issue 18).
NOT_FOR_EVALUATE = [
    "pydantic",
    "xeploai.framework.schema",
    "xeploai.framework.checker",
    "xeploai.framework.compiler",
    "xeploai.analysis",
    "xeploai.tables.reader",
    "xeploai.tables.files",
    "xeploai.tables.outputs",
    "xeploai.process",
    "openpyxl",
    "numpy",
]


def _loaded_after(argv: list[str], cache_dir: Path) -> tuple[int, list[str], str]:
    """Run ``xeploai argv`` in a new process with the cache at ``cache_dir``: the exit code, the modules loaded
    (of ``NOT_FOR_EVALUATE`` and the IR), and standard error."""
    code = (
        "import sys\n"
        "from xeploai.cli import main\n"
        f"rc = main({argv!r})\n"
        "watched = ['xeploai.program.ir', *" + repr(NOT_FOR_EVALUATE) + "]\n"
        "loaded = [w for w in watched if w in sys.modules or any(m.startswith(w + '.') for m in sys.modules)]\n"
        "print(rc, ' '.join(loaded))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
        "XEPLOAI_CACHE_DIR": str(cache_dir),
    }
    env.pop("XEPLOAI_NO_CACHE", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    rc, _, loaded = done.stdout.strip().splitlines()[-1].partition(" ")
    return int(rc), loaded.split(), done.stderr


def test_version_loads_nothing_but_the_package(tmp_path: Path) -> None:
    rc, loaded, _ = _loaded_after(["--version"], tmp_path / "cache")
    assert rc == 0 and loaded == []


def test_a_warm_evaluate_loads_neither_the_checker_nor_pydantic_nor_the_analysis(tmp_path: Path) -> None:
    root = SRC.parent
    argv = ["evaluate", str(root / "frameworks" / "party"), str(root / "examples" / "members" / "nguyen-van-an.yaml")]
    rc, cold, _ = _loaded_after(argv, tmp_path / "cache")  # fills the cache: compiles, so loads the checker
    assert rc == 0 and "xeploai.framework.schema" in cold and "pydantic" in cold
    rc, warm, err = _loaded_after(argv, tmp_path / "cache")
    assert rc == 0, err
    assert warm == ["xeploai.program.ir"], f"a warm evaluate loads {warm[1:]}"


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
    everything = imports_in(probe, "xeploai.framework.sub.probe")
    at_import = imports_in(probe, "xeploai.framework.sub.probe", at_import_time=True)
    assert {"xeploai.framework.sub.schema", "xeploai.framework.loader", "xeploai.framework.loader.load"} <= everything
    assert {"yaml", "numpy", "pydantic"} <= everything
    assert "numpy" not in at_import and "pydantic" not in at_import and "yaml" in at_import
    assert hits(everything, FORMAT_SIDE) == {
        "xeploai.framework.sub.schema",
        "xeploai.framework.sub",
        "xeploai.framework.loader",
        "xeploai.framework.loader.load",
        "yaml",
        "pydantic",
    }
