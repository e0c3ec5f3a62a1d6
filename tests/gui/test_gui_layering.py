"""Qt lives in gui/ only: backend/ and migration/ never import it, and nothing imports gui/ but its entry points."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_backend_and_migration_never_import_qt():
    offenders = []
    for package in ("backend", "migration"):
        for path in sorted((ROOT / package).rglob("*.py")):
            qt = {m for m in imported_modules(path) if m.split(".")[0] in ("PySide6", "shiboken6", "PyQt5", "PyQt6")}
            if qt:
                offenders.append(f"{path.relative_to(ROOT)}: {sorted(qt)}")
    assert not offenders, "Qt outside gui/: " + "; ".join(offenders)


def test_only_the_gui_command_imports_gui():
    allowed = {ROOT / "backend" / "commands" / "gui.py"}
    offenders = []
    for package in ("backend", "migration"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path not in allowed and any(m == "gui" or m.startswith("gui.") for m in imported_modules(path)):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, "these import gui/: " + ", ".join(offenders)
