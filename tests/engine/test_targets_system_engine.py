"""Real engine: the ``system`` target switches a real dockerd, restarted by a command the test gives.

CI has no systemd, so the "service" is the managed engine's own isolated dockerd recipe
(:meth:`backend.engine.managed.ManagedEngine.command`), stopped and restarted by a small Python
command that the target runs exactly as it would run ``systemctl restart docker``: an argument
list (``STORESWITCH_RESTART_CMD`` / ``STORESWITCH_STOP_CMD`` for the CLI). One engine serves the
whole module, to keep engine starts few; every test starts from the classic store and an empty
config (:func:`system`).

The same round-trip, refusal, rollback and crash tests as the managed target, then the same
switch through the privileged helper (as root the helper runs directly, without pkexec), and
``status --json`` choosing the system engine by itself.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from backend.daemon_config import DaemonConfig
from backend.engine.install import find_dockerd
from backend.engine.managed import ManagedEngine
from backend.errors import SwitchError
from backend.journal import Step, SwitchHistory
from backend.profile import Profile
from backend.recovery import recover
from backend.stores import Store, live_store
from backend.switch import SwitchTransaction
from backend.targets.system import SystemTarget
from tests.conftest import container_names, engine_unavailable_reason, image_names, tiny_tar

pytestmark = pytest.mark.engine

# The service manager of these tests: `python -c SERVICE {stop|restart} ROOT`.
SERVICE = """
import sys
from backend.engine.managed import ManagedEngine
from backend.errors import StoreswitchError
from backend.profile import Profile
action, root = sys.argv[1:]
engine = ManagedEngine(Profile.from_dir(root))
try:
    engine.stop()
    if action == "restart":
        engine.start()
except StoreswitchError as exc:
    print(f"test-service: {exc}", file=sys.stderr)
    sys.exit(1)
"""
REPO = Path(__file__).resolve().parents[2]


def service_command(action: str, root: Path) -> list[str]:
    return [sys.executable, "-c", SERVICE, action, str(root)]


@pytest.fixture(scope="module")
def service():
    """One isolated dockerd for the module, playing the machine's system engine."""
    reason = engine_unavailable_reason()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="ssw-sys-"))
    engine = ManagedEngine(Profile.from_dir(root))
    engine.start()
    yield root, engine
    try:
        engine.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(Profile.from_dir(root).run_dir, ignore_errors=True)


def make_target(root: Path, engine: ManagedEngine, **kw) -> SystemTarget:
    return SystemTarget(
        config_path=engine.config_path,
        host=engine.host,
        restart_command=service_command("restart", root),
        stop_command=service_command("stop", root),
        dockerd=find_dockerd().dockerd,
        reason="test",
        **kw,
    )


@pytest.fixture
def system(service):
    """The system target on the module's engine, reset to the classic store and ``{}``."""
    root, engine = service
    target = make_target(root, engine, privileged=True)
    engine.config_path.write_text("{}\n")
    with engine.client() as c:
        if not c.ping() or live_store(c.info()) is not Store.CLASSIC:
            engine.stop()
            engine.start()
    return target


def test_round_trip_keeps_both_stores_and_other_keys(system, profile):
    original = {
        "log-level": "warn",
        "labels": ["zone=ünïcødé", "owner=Zoë"],
        "features": {"buildkit": True},
        "log-opts": {"max-size": "10m", "max-file": "3"},
    }
    system.config_path.write_text(json.dumps(original, ensure_ascii=False), encoding="utf-8")
    tx = SwitchTransaction(system, profile)
    with system.client() as c:
        c.import_image(tiny_tar(b"classic"), "ssw/classic", "v1")
        c.create_container("ssw/classic:v1", name="classic-box")

    result = tx.run(Store.CONTAINERD)
    assert result.outcome == "switched", result.message
    assert result.steps[-1] == "done"
    with system.client() as c:
        info = c.info()
        assert ["driver-type", "io.containerd.snapshotter.v1"] in info["DriverStatus"]
        assert "ssw/classic:v1" not in image_names(c)
        assert "classic-box" not in container_names(c)
        c.import_image(tiny_tar(b"containerd"), "ssw/containerd", "v1")

    assert tx.run(Store.CLASSIC).outcome == "switched"
    with system.client() as c:
        assert live_store(c.info()) is Store.CLASSIC
        assert "ssw/classic:v1" in image_names(c)
        assert "classic-box" in container_names(c)
        assert "ssw/containerd:v1" not in image_names(c)
    after = json.loads(system.config_path.read_text(encoding="utf-8"))
    assert after.pop("features") == {"buildkit": True, "containerd-snapshotter": False}
    assert after == {k: v for k, v in original.items() if k != "features"}
    assert [e.target for e in SwitchHistory.load(profile.history_path).entries] == ["system", "system"]


def test_refused_config_changes_nothing(system, service, profile):
    """An unknown key: `dockerd --validate` refuses before the engine is touched."""
    engine = service[1]
    system.config_path.write_text('{\n  "no-such-option": true\n}\n')
    before = system.config_path.read_bytes()
    pid = engine.pid()
    with pytest.raises(SwitchError) as err:
        SwitchTransaction(system, profile).run(Store.CONTAINERD)
    assert "no-such-option" in str(err.value)
    assert f"with file {system.config_path}:" in str(err.value)  # dockerd's words, about the real file
    assert "Nothing was changed" in str(err.value)
    assert system.config_path.read_bytes() == before
    assert engine.pid() == pid  # never restarted
    with system.client() as c:
        assert live_store(c.info()) is Store.CLASSIC


def test_engine_failing_at_restart_is_rolled_back(system, service, profile):
    """The restart command fails (dockerd refuses btrfs on the classic store): original bytes back."""
    root, engine = service
    system.config_path.write_text('{"storage-driver": "btrfs", "features": {"containerd-snapshotter": true}}\n')
    engine.stop()
    engine.start()
    before = system.config_path.read_bytes()
    with pytest.raises(SwitchError) as err:
        SwitchTransaction(system, profile).run(Store.CLASSIC)
    assert "btrfs" in str(err.value)
    assert "back on the containerd store" in str(err.value)
    assert system.config_path.read_bytes() == before
    with system.client() as c:
        assert live_store(c.info()) is Store.CONTAINERD


@pytest.mark.parametrize("step", [s.value for s in Step])
def test_killed_switch_is_finished_or_rolled_back(system, service, profile, step):
    """SIGKILL right after each journal step; the next command leaves config and engine agreeing."""
    root, engine = service
    system.config_path.write_text('{"log-level": "warn"}\n')
    before = system.config_path.read_bytes()
    env = dict(os.environ)
    env.update({
        "STORESWITCH_FAULT_KILL_AFTER": step,
        "STORESWITCH_SYSTEM_CONFIG": str(engine.config_path),
        "DOCKER_HOST": engine.host,
        "STORESWITCH_RESTART_CMD": shlex.join(service_command("restart", root)),
        "STORESWITCH_STOP_CMD": shlex.join(service_command("stop", root)),
    })
    cmd = [sys.executable, "-m", "backend.cli", "--profile", str(profile.config_dir.parent), "--target", "system",
           "--dockerd", str(find_dockerd().dockerd), "switch", "containerd"]
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr
    assert profile.journal_path.exists()

    message = recover(system, profile)
    assert message is not None
    assert not profile.journal_path.exists()
    config = DaemonConfig.load(system.config_path)
    with system.client() as c:
        running = live_store(c.info())
    assert running is config.store, message
    if Step(step).index < Step.ENGINE_STARTED.index:  # the new store never ran: undone
        assert message.startswith("rolled back"), message
        assert system.config_path.read_bytes() == before
        assert running is Store.CLASSIC
    else:  # the engine already runs the new store on the new config: finished
        assert message.startswith("finished"), message
        assert running is Store.CONTAINERD
    assert SwitchHistory.load(profile.history_path).entries[-1].outcome in ("recovered", "rolled-back")


def test_switch_through_the_privileged_helper(system, service, profile, monkeypatch):
    """As an ordinary user would: write and restart by the helper, rollback by the helper too.

    Here the helper runs directly (we are root; pkexec would add only the authorization), with
    the test's file and restart command, which it honours only for a caller that is root already.
    """
    root, engine = service
    monkeypatch.setenv("STORESWITCH_SYSTEM_CONFIG", str(engine.config_path))
    monkeypatch.setenv("STORESWITCH_RESTART_CMD", shlex.join(service_command("restart", root)))
    helper = make_target(root, engine, privileged=False, helper_command=[sys.executable, "-m", "backend.privileged_helper"])
    system.config_path.write_text('{\n    "log-level": "warn"\n}\n')
    tx = SwitchTransaction(helper, profile)

    result = tx.run(Store.CONTAINERD)
    assert result.outcome == "switched", result.message
    with helper.client() as c:
        assert live_store(c.info()) is Store.CONTAINERD
    assert json.loads(system.config_path.read_text()) == {"log-level": "warn", "features": {"containerd-snapshotter": True}}

    with pytest.raises(SwitchError, match="needs root"):
        tx.run(Store.CLASSIC, restart=False)

    # a config the classic store refuses at start: the helper's restart fails, its rollback restores
    system.config_path.write_text('{"storage-driver": "btrfs", "features": {"containerd-snapshotter": true}}\n')
    engine.stop()
    engine.start()
    before = system.config_path.read_bytes()
    with pytest.raises(SwitchError) as err:
        tx.run(Store.CLASSIC)
    assert "btrfs" in str(err.value)
    assert system.config_path.read_bytes() == before
    with helper.client() as c:
        assert live_store(c.info()) is Store.CONTAINERD


def test_status_json_picks_the_system_engine(service, tmp_path):
    """auto: no Docker Desktop here, the system engine answers at the default socket."""
    root, engine = service
    env = dict(os.environ)
    env["STORESWITCH_SYSTEM_HOST"] = engine.host
    env["STORESWITCH_SYSTEM_CONFIG"] = str(engine.config_path)
    proc = subprocess.run(
        [sys.executable, "-m", "backend.cli", "--profile", str(tmp_path / "p"), "status", "--json"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["target"] == "system"
    assert data["target_reason"] == f"auto: the system engine answers at {engine.host} (STORESWITCH_SYSTEM_HOST)"
    assert data["config_path"] == str(engine.config_path)
    assert data["live_store"] in ("classic", "containerd")


def test_rootless_target_switches_the_same_way(system, service, profile):
    """The rootless target is the same service engine with its own defaults; here on the test's engine."""
    from backend.targets.rootless import RootlessTarget

    root, engine = service
    rootless = RootlessTarget(engine.config_path, engine.host, restart_command=service_command("restart", root),
                              stop_command=service_command("stop", root), dockerd=find_dockerd().dockerd)
    tx = SwitchTransaction(rootless, profile)
    assert tx.run(Store.CONTAINERD).outcome == "switched"
    with rootless.client() as c:
        assert live_store(c.info()) is Store.CONTAINERD
    assert tx.run(Store.CLASSIC).outcome == "switched"
    assert SwitchHistory.load(profile.history_path).entries[-1].target == "rootless"
