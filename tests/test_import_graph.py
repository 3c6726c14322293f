"""The import graph has floors and every arrow points down: models, tasks and analysis know
nothing of labs; labs know nothing of the sweep package (SweepSpec sits at core/sweep_spec.py);
nothing in core knows the pages, the ui or streamlit; and inside a lab package the training,
studies and probes never import the package's __init__ at load time (it imports them), so
there is no circle. Read from the source with ast, so a lazy import inside a function counts
too (except the TYPE_CHECKING-only imports, which never run)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core"


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, at load time or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _sources(folder: Path):
    return sorted(folder.rglob("*.py"))


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


@pytest.mark.parametrize("lower,higher", [
    ("core/labs", "core.sweep"),
    ("core/models", "core.labs"), ("core/tasks", "core.labs"), ("core/analysis", "core.labs"),
    ("core/viz", "core.labs"),
    ("core/models", "core.sweep"), ("core/tasks", "core.sweep"),
    ("core/analysis", "core.sweep"),
])
def test_no_arrow_points_up(lower, higher):
    upward = [f"{_module(p)} -> {name}" for p in _sources(ROOT / lower)
              for name in _imports(p) if _within(name, higher)]
    assert not upward, upward


def test_core_never_imports_the_pages_the_ui_or_streamlit():
    found = [f"{_module(p)} -> {name}" for p in _sources(CORE) for name in _imports(p)
             if any(_within(name, top) for top in ("streamlit", "ui", "pages", "app"))]
    assert not found, found


def test_a_lab_package_has_the_same_files_and_no_circle():
    packages = [p for p in sorted((CORE / "labs").iterdir())
                if (p / "__init__.py").exists() and not p.name.startswith("_")]
    assert len(packages) >= 9
    for package in packages:
        files = {p.name for p in package.glob("*.py")}
        assert "__init__.py" in files, package.name
        # a part the package's __init__ imports must not import the __init__ back
        init = _imports(package / "__init__.py")
        for part in package.glob("*.py"):
            if part.name == "__init__.py" or f"core.labs.{package.name}.{part.stem}" not in init:
                continue
            own = f"core.labs.{package.name}"
            back = {n for n in _imports(part) if n == own or (n.rsplit(".", 1)[0] == own
                                                             and n.rsplit(".", 1)[1][:1].isupper())}
            assert not back, f"{package.name}/{part.name} imports its package back: {back}"
        # no lab imports another lab's private names
        for part in package.glob("*.py"):
            for name in _imports(part):
                head, _, last = name.rpartition(".")
                if head.startswith("core.labs.") and last.startswith("_") \
                        and not last.startswith("__"):
                    raise AssertionError(f"{package.name}/{part.name} imports private {name}")


def test_every_lab_package_uses_the_same_file_names():
    allowed = {"__init__.py", "training.py", "studies.py", "probes.py", "verdict.py"}
    for package in sorted((CORE / "labs").iterdir()):
        if not (package / "__init__.py").exists():
            continue
        extra = {p.name for p in package.glob("*.py")} - allowed
        assert not extra, f"core/labs/{package.name}/ has {sorted(extra)}"
