"""The ``storeswitch`` command against a real engine: status, refusals, --no-restart, two switches at once.

One engine for the module (tests leave it running; each says which store it expects first).
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from tests.engine.cli_support import CliEngine, module_engine

pytestmark = pytest.mark.engine


engine = pytest.fixture(scope="module", name="engine")(module_engine)


@pytest.fixture
def config(engine):
    """The engine's daemon.json; whatever a test writes there is put back afterwards."""
    path = engine.profile.managed_config_path
    before = path.read_bytes()
    yield path
    path.write_bytes(before)


def on_store(engine: CliEngine, store: str) -> None:
    if engine.status()["live_store"] != store:
        engine.switch_to(store)


def test_status_json_reports_the_running_engine(engine):
    on_store(engine, "classic")
    status = engine.status()
    with engine.client() as c:
        version = c.version()
        info = c.info()
        assert c.ping() is True
        assert c.api_version == version["ApiVersion"]  # negotiated: later calls go to /v<ApiVersion>/...
    assert status["target"] == "managed"
    assert status["config_path"] == str(engine.profile.managed_config_path)
    assert status["configured_store"] == "classic" and status["live_store"] == "classic"
    assert status["pending_restart"] is False
    e = status["engine"]
    assert e["host"] == f"unix://{engine.profile.managed_socket}"
    assert e["reachable"] is True and e["installed"] is True
    assert (e["version"], e["api_version"]) == (version["Version"], version["ApiVersion"])
    assert e["driver"] == info["Driver"] == "overlay2"
    assert e["driver_type"] is None
    data_root = engine.profile.managed_data_root
    assert status["stores"]["classic"]["roots"] == [str(data_root / "image" / "overlay2"), str(data_root / "overlay2")]
    assert status["stores"]["containerd"]["roots"] == [str(data_root / "containerd" / "daemon")]
    assert all(os.path.isdir(r) for r in status["stores"]["classic"]["roots"])  # the running store's roots exist


def test_malformed_config_is_refused_naming_file_line_column(engine, config):
    on_store(engine, "classic")
    config.write_text('{\n  "log-level": "info",\n}\n')
    before = config.read_bytes()
    proc = engine.run("switch", "containerd")
    assert proc.returncode == 1
    assert f"{config}: invalid JSON at line 2, column 22" in proc.stderr
    assert "left untouched" in proc.stderr
    assert config.read_bytes() == before
    status = engine.status()
    assert status["live_store"] == "classic"
    assert "line 2, column 22" in status["config_error"]
    assert not engine.profile.journal_path.exists()


def test_refused_config_quotes_dockerd_and_changes_nothing(engine, config):
    on_store(engine, "classic")
    config.write_text('{\n  "no-such-option": true\n}\n')  # the running engine read the old file at its start
    before = config.read_bytes()
    proc = engine.run("switch", "containerd", "--json")
    assert proc.returncode == 1
    result = json.loads(proc.stdout)
    assert result["exit_code"] == 1
    assert "no-such-option" in result["error"]
    assert "don't match any configuration option" in result["error"]  # dockerd's own words
    assert "engine is still on the classic store" in result["error"]
    assert config.read_bytes() == before
    assert engine.status()["live_store"] == "classic"


def test_no_restart_saves_and_the_next_engine_start_applies(engine):
    on_store(engine, "classic")
    proc = engine.run("switch", "containerd", "--no-restart", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["outcome"] == "saved"

    status = engine.status()
    assert (status["configured_store"], status["live_store"], status["pending_restart"]) == ("containerd", "classic", True)

    engine.run("engine", "stop", check=True)
    status = engine.status()
    assert status["engine"]["reachable"] is False
    assert status["live_store"] is None and status["pending_restart"] is False
    assert status["configured_store"] == "containerd"

    engine.run("engine", "start", check=True)
    status = engine.status()
    assert (status["configured_store"], status["live_store"], status["pending_restart"]) == ("containerd", "containerd", False)
    assert status["engine"]["driver_type"] == "io.containerd.snapshotter.v1"


def test_a_second_concurrent_switch_exits_at_once(engine):
    """Deterministic: the first switch is paused (SIGSTOP) while it holds the lock and its journal exists."""
    start = engine.status()["live_store"]
    goal = "classic" if start == "containerd" else "containerd"
    first = engine.popen("switch", goal, "--json")
    try:
        deadline = time.monotonic() + 60
        while not engine.profile.journal_path.exists():
            assert first.poll() is None, f"the first switch ended before its journal was seen: {first.communicate()}"
            assert time.monotonic() < deadline, "the first switch never wrote its journal"
            time.sleep(0.002)
        os.kill(first.pid, signal.SIGSTOP)

        second = engine.run("switch", goal, "--json", timeout=30)
        assert second.returncode == 3
        assert "a switch is in progress" in second.stderr
        assert json.loads(second.stdout)["exit_code"] == 3
        assert engine.profile.journal_path.exists()  # the second one left the live switch's journal alone
    finally:
        os.kill(first.pid, signal.SIGCONT)
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert json.loads(out)["outcome"] == "switched"
    status = engine.status()
    assert status["live_store"] == goal and status["recovered"] is None
    assert not engine.profile.journal_path.exists()
