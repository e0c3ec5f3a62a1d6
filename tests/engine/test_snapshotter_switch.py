"""Real engine: choosing a snapshotter, proved by use.

``native`` is built into containerd and works; ``stargz`` has no plugin on this engine, so dockerd
starts and ``/info`` says ``Driver stargz``, but storing an image fails: the switch's
verification probe must refuse it, quote the engine, restore daemon.json byte for byte and bring
the engine back on what it ran before.
"""

from __future__ import annotations

import json

import pytest

from backend.cli import main
from backend.daemon_config import DaemonConfig
from backend.errors import SwitchError
from backend.stores import Store, live_store
from backend.switch import SwitchTransaction
from tests.conftest import image_names, tiny_tar

STARGZ_FAILURE = "snapshotter not loaded: stargz: invalid argument"


def _info(target) -> dict:
    with target.client() as c:
        return c.info()


def _config(target) -> dict:
    return json.loads(target.config_path.read_text())


def test_snapshotter_changes_on_containerd_and_a_missing_one_is_rolled_back(managed, engine_profile):
    tx = SwitchTransaction(managed, engine_profile)
    managed.config_path.write_text('{"log-level": "warn"}\n')  # the running engine read {} at start

    # log-level is an edit the engine never started with: the switch needs force (issue 13, point 11)
    result = tx.run(Store.CONTAINERD, force=True)
    assert result.outcome == "switched" and result.driver == "overlayfs"

    # Same store, another snapshotter: the config bytes differ, so the engine restarts and applies it.
    result = tx.run(Store.CONTAINERD, snapshotter="native")
    assert result.outcome == "switched" and {"stop", "start", "verify"} <= set(result.steps)
    info = _info(managed)
    assert live_store(info) is Store.CONTAINERD and info["Driver"] == "native"
    assert _config(managed) == {"log-level": "warn", "features": {"containerd-snapshotter": True}, "storage-driver": "native"}
    with managed.client() as c:
        c.import_image(tiny_tar(b"kept"), "ssw/user-image", "v1")

    # stargz: dockerd starts with it, the probe cannot store an image -> refused and rolled back.
    before = managed.config_path.read_bytes()
    with pytest.raises(SwitchError) as err:
        tx.run(Store.CONTAINERD, snapshotter="stargz")
    message = str(err.value)
    assert "failed to unpack image" in message and STARGZ_FAILURE in message
    assert "--snapshotter" in message  # says what to do next
    assert managed.config_path.read_bytes() == before
    info = _info(managed)
    assert live_store(info) is Store.CONTAINERD and info["Driver"] == "native"  # restarted on the old config
    with managed.client() as c:
        assert image_names(c) == {"ssw/user-image:v1"}  # the probe's image did not stay behind
        assert not [t for t in image_names(c) if t.startswith("storeswitch-verify")]

    # Back to classic: 'native' is no classic driver and is dropped, other keys kept.
    result = tx.run(Store.CLASSIC)
    assert result.outcome == "switched" and result.driver == "overlay2"
    assert _config(managed) == {"log-level": "warn", "features": {"containerd-snapshotter": False}}


def test_cli_snapshotter_stargz_from_classic_changes_nothing(managed, engine_profile):
    """The acceptance case through the CLI: exit 1, the engine's words, same bytes, still classic."""
    managed.config_path.write_text('{\n    "debug": false\n}\n')
    before = managed.config_path.read_bytes()
    with managed.client() as c:
        c.import_image(tiny_tar(b"classic"), "ssw/classic", "v1")
    rc = main(["--target", "managed", "switch", "containerd", "--snapshotter", "stargz", "--force"])
    assert rc == 1
    assert managed.config_path.read_bytes() == before
    with managed.client() as c:
        assert live_store(c.info()) is Store.CLASSIC
        assert image_names(c) == {"ssw/classic:v1"}
    history = json.loads(engine_profile.history_path.read_text())["entries"]
    assert history[-1]["outcome"] == "rolled-back" and STARGZ_FAILURE in history[-1]["message"]
    assert DaemonConfig.load(managed.config_path).store is Store.CLASSIC

    # The probe's image was removed from the containerd store before the rollback.
    SwitchTransaction(managed, engine_profile).run(Store.CONTAINERD)
    with managed.client() as c:
        assert image_names(c) == set()
        assert c.images() == []


def test_cli_switch_with_native_reports_the_driver(managed, engine_profile, capsys):
    rc = main(["--target", "managed", "switch", "containerd", "--snapshotter", "native", "--json", "--force"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert out["outcome"] == "switched" and out["driver"] == "native" and out["live_store"] == "containerd"
    assert out["storage_driver_note"] == "'storage-driver' is set to 'native' in daemon.json"
    assert main(["--target", "managed", "switch", "classic", "--snapshotter", "native"]) == 2

    rc = main(["--target", "managed", "snapshotters", "--json", "soci"])
    report = json.loads(capsys.readouterr().out)
    assert rc == 0
    items = {s["name"]: s for s in report["snapshotters"]}
    assert report["containerd"]["kind"] == "own" and report["live_driver"] == "native"
    assert items["native"]["available"] and items["native"]["live"] and items["native"]["configured"]
    assert "containerd loaded it" in items["overlayfs"]["reason"]  # asked the engine's own containerd
    assert items["stargz"]["status"] == "unavailable" and items["stargz"]["source"] == "not-found"
    assert items["soci"]["status"] == "unavailable"
    assert items["btrfs"]["status"] != "depends"  # containerd answered for the file-system ones
