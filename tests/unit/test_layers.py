"""Imports run one way: data <- layouts <- callbacks <- app.py (and inside data/: domain <- storage <- ingest).

Read from the source with ast, so the rule holds for imports inside functions too."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package -> the project packages it may import (itself included)
ALLOWED = {
    "data.domain": {"data", "data.domain"},
    "data.storage": {"data", "data.domain", "data.storage"},
    "data.ingest": {"data", "data.domain", "data.storage", "data.ingest"},
    "layouts": {"data", "data.domain", "data.storage", "data.ingest", "layouts"},
    "callbacks": {"data", "data.domain", "data.storage", "data.ingest", "layouts", "callbacks"},
}
PROJECT = ("data", "layouts", "callbacks", "app")


def layer_of(module: str) -> str | None:
    """The ALLOWED key (or 'app') a dotted module belongs to; None for anything outside the project."""
    parts = module.split(".")
    if parts[0] not in PROJECT:
        return None
    if parts[0] == "data":
        return "data." + parts[1] if len(parts) > 1 and parts[1] in ("domain", "storage", "ingest") else "data"
    return parts[0]


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module))
            # `from data import storage` names a subpackage
            out += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names
                    if layer_of(f"{node.module}.{alias.name}") != layer_of(node.module)]
    return out


def wrong_imports(root: Path) -> list[str]:
    problems = []
    for package in ("data", "layouts", "callbacks"):
        for path in sorted((root / package).rglob("*.py")):
            module = ".".join(path.relative_to(root).with_suffix("").parts)
            own = layer_of(module)
            allowed = ALLOWED.get(own, {"data"})
            for line, target in imported_modules(path):
                layer = layer_of(target)
                if layer is not None and layer not in allowed:
                    problems.append(f"{path.relative_to(root)}:{line} ({own}) imports {target} ({layer})")
    return problems


def test_lay001_imports_run_one_way():
    assert wrong_imports(ROOT) == []


def test_lay002_data_imports_no_dash():
    found = []
    for path in sorted((ROOT / "data").rglob("*.py")):
        for line, target in imported_modules(path):
            if target.split(".")[0] in ("dash", "dash_bootstrap_components", "plotly", "flask"):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert found == []


@pytest.mark.parametrize("package, source, culprit", [
    ("layouts", "from callbacks import ids\n", "callbacks"),
    ("layouts", "def f():\n    import callbacks.auth\n", "callbacks"),
    ("data/domain", "from layouts.charts import sparkline\n", "layouts"),
    ("data/domain", "from data.storage.store import Store\n", "data.storage"),
    ("data/storage", "from data import ingest\n", "data.ingest"),
    ("callbacks", "import app\n", "app"),
])
def test_lay003_a_wrong_import_fails(tmp_path, package, source, culprit):
    """The check itself: a copy of the layout with one wrong import in it is caught, naming the culprit."""
    for top in ("data/domain", "data/storage", "data/ingest", "layouts", "callbacks"):
        (tmp_path / top).mkdir(parents=True, exist_ok=True)
    (tmp_path / package / "bad.py").write_text(source)
    problems = wrong_imports(tmp_path)
    assert len(problems) == 1 and problems[0].endswith(f"({culprit})"), problems
