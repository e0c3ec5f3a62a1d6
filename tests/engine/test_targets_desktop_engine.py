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
from pathlib import Path

import pytest

from backend.engine.managed import ManagedEngine
from backend.errors import SwitchError
from backend.stores import Store, live_store
from backend.switch import SwitchTransaction
from backend.targets.desktop import DesktopTarget

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
