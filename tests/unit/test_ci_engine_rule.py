"""tests/conftest.py's rule: on CI (CI=true) a real-engine test that skips is a failure.

Runs pytest in a subprocess on a one-line engine test, with no engine to be had
(STORESWITCH_ENGINE_DIR an empty directory, no STORESWITCH_DOCKERD): with CI=true the run must
fail and say why; without CI it skips with a reason that says how to enable the test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

TINY = '''
def test_needs_an_engine(engine_profile):
    assert engine_profile.run_dir
'''


@pytest.fixture
def run_tiny(tmp_path):
    test_dir = tmp_path / "suite"
    test_dir.mkdir()
    (test_dir / "test_tiny_engine.py").write_text(TINY)
    empty = tmp_path / "no-engine"
    empty.mkdir()

    def run(ci: str | None) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k not in ("CI", "STORESWITCH_DOCKERD", "PYTEST_ADDOPTS")}
        env["STORESWITCH_ENGINE_DIR"] = str(empty)
        if ci is not None:
            env["CI"] = ci
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-rA",
             "--rootdir", str(test_dir), "-c", os.devnull, str(test_dir)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )

    return run


def test_a_skipped_engine_test_fails_on_ci(run_tiny):
    proc = run_tiny("true")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "real-engine test skipped on CI (CI=true), which is a failure" in proc.stdout
    assert "run scripts/fetch-engine" in proc.stdout
    assert "real-engine tests: 0 passed, 1 failed, 0 skipped (CI: skips count as failures)" in proc.stdout


def test_elsewhere_it_skips_with_how_to_enable(run_tiny):
    proc = run_tiny(None)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 skipped" in proc.stdout
    assert "run scripts/fetch-engine" in proc.stdout
    assert "real-engine tests: 0 passed, 0 failed, 1 skipped" in proc.stdout
