"""Real engine: Debian 12's Docker Engine 20.10.24, older than the containerd image store (24.0).

The engine is fetched by the project's own script (``storeswitch engine install --suite bookworm``,
which scripts/test runs) and started as the managed engine through ``--dockerd``. What a user of
such an engine sees:

* ``switch containerd`` is refused as a blocker, naming the version found and the minimum;
* ``switch containerd --force``: 20.10 has no ``dockerd --validate`` ("unknown flag", exit 125),
  so the pre-check is skipped with a note instead of being reported as the engine refusing the
  config; the restart and its check decide: 20.10 starts and ignores the feature flag, keeps the
  classic store, the switch rolls back, daemon.json is byte-identical, and the reason says so.

Marked ``one_engine``: it is about this one engine, so the engine matrix runs it once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from backend.engine.api import EngineClient
from backend.engine.install import fetched_binaries
from backend.stores import Store, live_store
from tests.engine.cli_support import CliEngine
from tests.conftest import ON_CI, OLD_ENGINE_DIR, engine_unavailable_reason

pytestmark = [pytest.mark.engine, pytest.mark.one_engine]


@pytest.fixture
def old_engine():
    reason = engine_unavailable_reason()
    old = fetched_binaries(OLD_ENGINE_DIR)
    if reason or old is None:
        pytest.skip(reason or f"no Engine 20.10.24 in {OLD_ENGINE_DIR}: run `storeswitch engine install --suite bookworm` "
                               "(scripts/test does)")
    engine = CliEngine.create()
    engine.env["STORESWITCH_DOCKERD"] = str(old.dockerd)
    engine.env["PATH"] = os.pathsep.join([*(str(d) for d in old.path_dirs), engine.env.get("PATH", "")])
    try:
        engine.run("engine", "start", check=True)
        yield engine
    finally:
        engine.close()


def test_switch_to_containerd_is_refused_naming_the_version(old_engine):
    config = old_engine.profile.managed_config_path
    config.write_text('{"log-level": "warn"}\n')
    before = config.read_bytes()
    proc = old_engine.run("switch", "containerd")
    assert proc.returncode == 4, proc.stderr
    assert "engine-too-old" in proc.stderr
    assert "Docker Engine 20.10.24 is older than 24.0" in proc.stderr
    assert config.read_bytes() == before


def test_forced_switch_rolls_back_with_an_honest_reason(old_engine):
    config = old_engine.profile.managed_config_path
    config.write_text('{\n  "log-level": "warn",\n  "labels": ["old=engine"]\n}\n')
    before = config.read_bytes()
    proc = old_engine.run("switch", "containerd", "--force")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    err = proc.stderr
    assert "has no `dockerd --validate`" in err  # the pre-check is skipped with a note
    assert "See 'dockerd --help'" not in err and "unknown flag" not in err
    assert "Docker Engine 20.10.24 is older than 24.0 and has no containerd image store" in err
    assert "restored" in err
    assert config.read_bytes() == before
    with old_engine.client() as c:
        info = c.info()
        assert live_store(info) is Store.CLASSIC
        assert c.version()["Version"].startswith("20.10.24")
