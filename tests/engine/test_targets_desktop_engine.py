"""Real engine behind a stand-in Docker Desktop: the desktop target's restart, verify and rollback.

Docker Desktop cannot run in CI, so its CLI is a test double: a ``docker`` executable whose
``docker desktop restart`` does what Docker Desktop does with the setting (derive the VM engine's
``features.containerd-snapshotter`` from ``UseContainerdSnapshotter`` in settings-store.json and
restart the engine). The engine is a real isolated dockerd; storeswitch edits the real file
format (tests/unit/fixtures/desktop) and checks the real engine's ``/info``.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from backend.engine.managed import ManagedEngine
from backend.errors import SwitchError
from backend.stores import Store, live_store
from backend.switch import SwitchTransaction
from backend.targets.desktop import DesktopTarget
from tests.desktop_standin import StandInDesktop

FIXTURE = Path(__file__).parents[1] / "unit" / "fixtures" / "desktop" / "4.35" / "settings-store.json"

FAKE_DOCKER = """#!{python}
import json, sys
from pathlib import Path
from backend.engine.managed import ManagedEngine
from backend.errors import StoreswitchError
from backend.profile import Profile
if sys.argv[1:] == ["desktop", "version"]:
    print("Docker Desktop CLI (stand-in)")
    sys.exit(0)
if sys.argv[1:] != ["desktop", "restart"]:
    print("docker: unknown command", file=sys.stderr)
    sys.exit(1)
settings = json.loads(Path({settings!r}).read_text())
on = settings.get("UseContainerdSnapshotter") is True
if on and Path({refuse!r}).exists():
    print("Docker Desktop failed to start: the VM's engine exited", file=sys.stderr)
    sys.exit(1)
engine = ManagedEngine(Profile.from_dir({root!r}))
engine.config_path.write_text(json.dumps({{"features": {{"containerd-snapshotter": on}}}}))
try:
    engine.stop()
    engine.start()
except StoreswitchError as exc:
    print(exc, file=sys.stderr)
    sys.exit(1)
"""


@pytest.fixture
def desktop(engine_profile, tmp_path):
    engine = ManagedEngine(engine_profile)
    engine.start()
    settings_dir = tmp_path / "desktop"
    settings_dir.mkdir()
    shutil.copyfile(FIXTURE, settings_dir / "settings-store.json")
    docker = tmp_path / "docker"
    docker.write_text(FAKE_DOCKER.format(python=sys.executable, settings=str(settings_dir / "settings-store.json"),
                                         refuse=str(tmp_path / "refuse"), root=str(engine_profile.config_dir.parent)))
    docker.chmod(0o755)
    target = DesktopTarget(settings_dir, host=engine.host, docker_cli=str(docker), start_timeout=90)
    return target, tmp_path / "refuse"


def test_desktop_switch_restarts_verifies_and_rolls_back(desktop, engine_profile):
    target, refuse = desktop
    path = target.config_path
    original = path.read_bytes()
    tx = SwitchTransaction(target, engine_profile)

    result = tx.run(Store.CONTAINERD)
    assert result.outcome == "switched", result.message
    with target.client() as c:
        assert live_store(c.info()) is Store.CONTAINERD
    after = json.loads(path.read_text())
    assert after["UseContainerdSnapshotter"] is True
    before = json.loads(original)
    assert {k: v for k, v in after.items() if k not in ("UseContainerdSnapshotter", "LastContainerdSnapshotterEnable")} == {
        k: v for k, v in before.items() if k not in ("UseContainerdSnapshotter", "LastContainerdSnapshotterEnable")}

    assert tx.run(Store.CLASSIC).outcome == "switched"
    switched_back = path.read_bytes()
    refuse.touch()  # Docker Desktop now fails to come up on the containerd store
    with pytest.raises(SwitchError) as err:
        tx.run(Store.CONTAINERD)
    assert "Docker Desktop failed to start" in str(err.value)
    assert "back on the classic store" in str(err.value)
    assert path.read_bytes() == switched_back
    with target.client() as c:
        assert live_store(c.info()) is Store.CLASSIC


# --- Docker Desktop's settings API, and its stores inside the VM -------------------------------
@pytest.fixture
def desktop_api(engine_profile, tmp_path):
    """A real engine behind a stand-in of Docker Desktop's backend (tests/desktop_standin.py, a test double).

    When the stand-in's settings API takes ``useContainerdSnapshotter``, it does what Docker
    Desktop does: it writes its settings file and restarts the VM's engine (here the real isolated
    dockerd) on that store, in the background, after answering.
    """
    engine = ManagedEngine(engine_profile)
    engine.start()
    settings_dir = tmp_path / "desktop"
    settings_dir.mkdir()
    path = settings_dir / "settings-store.json"
    shutil.copyfile(FIXTURE.parents[1] / "4.45-kind" / "settings-store.json", path)
    sockets = Path(tempfile.mkdtemp(prefix="ssa-", dir="/tmp"))
    restarts: list[threading.Thread] = []

    def restart_on(containerd: bool) -> None:
        def run() -> None:
            engine.config_path.write_text(json.dumps({"features": {"containerd-snapshotter": containerd}}))
            engine.stop()
            engine.start()

        restarts.append(threading.Thread(target=run))
        restarts[-1].start()

    with StandInDesktop(sockets, 2, path, on_store=restart_on) as server:
        target = DesktopTarget(settings_dir, host=engine.host, docker_cli=str(tmp_path / "no-docker"),
                               start_timeout=90, api_dir=sockets)
        yield target, server
    for thread in restarts:
        thread.join(120)
    shutil.rmtree(sockets, ignore_errors=True)


def test_switch_goes_through_the_settings_api_and_desktop_restarts_its_engine(desktop_api, engine_profile):
    target, server = desktop_api
    path = target.config_path
    # the file's KubernetesEnabled would block; this test is about the API path: Kubernetes off first
    from backend.kubernetes_setting import DesktopKubernetesSetting

    assert DesktopKubernetesSetting(target).save(False).channel == "settings API"
    result = SwitchTransaction(target, engine_profile).run(Store.CONTAINERD)
    assert result.outcome == "switched", result.message
    assert server.posts[-1]["desktop"]["useContainerdSnapshotter"] is True
    assert "settings API (backend.sock" in target.last_channel
    with target.client() as c:
        assert live_store(c.info()) is Store.CONTAINERD
    assert json.loads(path.read_text())["UseContainerdSnapshotter"] is True  # Docker Desktop wrote it


def test_diagnose_reads_the_live_store_through_the_engine_and_says_the_hidden_one_is_in_the_vm(desktop, engine_profile):
    from backend.diagnostics import describe_report, gather_report

    target, _ = desktop
    report = gather_report(target, engine_profile, known_issues=False)
    live, hidden = report["stores"]["classic"], report["stores"]["containerd"]
    assert live["live"] and live["readable"] and live["source"] == "engine" and live["roots"] == []
    assert isinstance(live["bytes"], int)  # the engine's own figure (/system/df), not a host walk
    assert any("/system/df" in n for n in live["notes"])
    assert hidden["readable"] is False and hidden["bytes"] is None and hidden["roots"] == []
    assert "inside Docker Desktop's VM" in hidden["notes"][0] and "cannot be read from the host" in hidden["notes"][0]
    assert [d["path"] for d in report["disk"]] == [str(engine_profile.data_dir)]  # storeswitch's own files only
    text = "\n".join(describe_report(report))
    assert "containerd store:  hidden; inside Docker Desktop's VM: it cannot be read from the host" in text
    assert "roots:" not in text and "on disk" not in text
    assert "cannot be read from the host" in report["switch_impact"]


def test_a_refused_api_falls_back_to_the_file_and_desktops_own_restart(desktop, engine_profile):
    """The settings API answers but refuses the POST: the file is written and `docker desktop restart` applies it."""
    target, _ = desktop
    sockets = Path(tempfile.mkdtemp(prefix="ssr-", dir="/tmp"))
    target.api_dir = sockets
    settings = target.config_path
    try:
        with StandInDesktop(sockets, 2, settings, refuse_post=503) as server:
            result = SwitchTransaction(target, engine_profile).run(Store.CONTAINERD)
            assert server.posts  # it was asked first
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    assert result.outcome == "switched", result.message
    assert target.last_channel.startswith("settings-store.json (Docker Desktop reads it when it restarts)")
    assert "503" in target.last_channel
    assert json.loads(settings.read_text())["UseContainerdSnapshotter"] is True
    with target.client() as c:
        assert live_store(c.info()) is Store.CONTAINERD
