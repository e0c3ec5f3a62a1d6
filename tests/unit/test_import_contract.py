"""The import contract, checked by import-linter (``[tool.importlinter]`` in pyproject.toml).

gui -> backend.commands / backend.cli -> backend core -> migration, and Qt only in gui. The
contract runs here, so ``scripts/test`` (CI) runs it; and it is shown to fail: a copy of the tree
with a Qt import planted in backend/ (or a core module importing the CLI layer) breaks it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` as the installed tool runs it, in *cwd* (which holds pyproject.toml)."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd), "HOME": str(cwd)}
    return subprocess.run([sys.executable, "-c", LINT, "--no-cache"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_import_contract_holds():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


@pytest.fixture
def tree_copy(tmp_path) -> Path:
    """The three packages and pyproject.toml, copied (no caches), for planting a bad import."""
    copy = tmp_path / "tree"
    copy.mkdir()
    for package in ("gui", "backend", "migration"):
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


@pytest.mark.parametrize(("module", "line", "broken"), [
    ("backend/planted.py", "from PySide6.QtCore import QObject\n", "Qt only in gui BROKEN"),
    ("migration/planted.py", "import shiboken6\n", "Qt only in gui BROKEN"),
    ("backend/planted.py", "from backend.commands import status\n", "backend core never imports the CLI layer (backend.cli, backend.commands) BROKEN"),
    ("migration/planted.py", "from backend import settings\n", "nothing imports upward) BROKEN"),
])
def test_a_planted_import_breaks_the_contract(tree_copy, module, line, broken):
    assert lint_imports(tree_copy).returncode == 0  # the copy itself is clean
    (tree_copy / module).write_text(f'"""Planted by the test."""\n{line}')
    result = lint_imports(tree_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert broken in result.stdout and module.replace("/", ".").removesuffix(".py") in result.stdout
