"""Real engine: a round trip between the stores loses nothing and shows each store's own images."""

from __future__ import annotations

import json

import pytest

from backend.daemon_config import DaemonConfig
from backend.errors import SwitchError
from backend.stores import Store, live_store
from backend.switch import SwitchTransaction
from tests.conftest import container_names, image_names, tiny_tar


def test_round_trip_keeps_both_stores(managed, engine_profile):
    tx = SwitchTransaction(managed, engine_profile)
    with managed.client() as c:
        assert live_store(c.info()) is Store.CLASSIC
        c.import_image(tiny_tar(b"classic"), "ssw/classic", "v1")
        c.create_container("ssw/classic:v1", name="classic-box")
        assert "ssw/classic:v1" in image_names(c)

    result = tx.run(Store.CONTAINERD)
    assert result.outcome == "switched"
    with managed.client() as c:
        info = c.info()
        assert live_store(info) is Store.CONTAINERD
        assert ["driver-type", "io.containerd.snapshotter.v1"] in info["DriverStatus"]
        assert "ssw/classic:v1" not in image_names(c)
        assert "classic-box" not in container_names(c)
        c.import_image(tiny_tar(b"containerd"), "ssw/containerd", "v1")
        assert "ssw/containerd:v1" in image_names(c)

    tx.run(Store.CLASSIC)
    with managed.client() as c:
        assert live_store(c.info()) is Store.CLASSIC
        assert "ssw/classic:v1" in image_names(c)
        assert "classic-box" in container_names(c)
        assert "ssw/containerd:v1" not in image_names(c)

    tx.run(Store.CONTAINERD)
    with managed.client() as c:
        assert "ssw/containerd:v1" in image_names(c)
        assert "ssw/classic:v1" not in image_names(c)


def test_other_keys_survive_switches(managed, engine_profile):
    original = {
        "log-level": "warn",
        "labels": ["zone=ünïcødé", "owner=Zoë"],
        "features": {"buildkit": True},
        "log-opts": {"max-size": "10m", "max-file": "3"},
        "default-address-pools": [{"base": "10.99.0.0/16", "size": 24}],
    }
    managed.config_path.write_text(json.dumps(original, ensure_ascii=False), encoding="utf-8")
    managed.stop()
    managed.start()
    tx = SwitchTransaction(managed, engine_profile)
    tx.run(Store.CONTAINERD)
    tx.run(Store.CLASSIC)
    after = json.loads(managed.config_path.read_text(encoding="utf-8"))
    assert after.pop("features") == {"buildkit": True, "containerd-snapshotter": False}
    expected = dict(original)
    expected.pop("features")
    assert after == expected
    assert list(after) == [k for k in original if k != "features"]


def test_refused_config_changes_nothing(managed, engine_profile):
    """An unknown key dockerd rejects: the switch is refused before the engine is touched."""
    text = '{\n  "no-such-option": true\n}\n'
    managed.config_path.write_text(text)  # the running engine read the old file at its start
    before = managed.config_path.read_bytes()
    with pytest.raises(SwitchError) as err:
        SwitchTransaction(managed, engine_profile).run(Store.CONTAINERD)
    assert "no-such-option" in str(err.value)
    assert "don't match any configuration option" in str(err.value)
    assert managed.config_path.read_bytes() == before
    with managed.client() as c:
        assert live_store(c.info()) is Store.CLASSIC


def test_engine_failing_at_start_is_rolled_back(managed, engine_profile):
    """A config dockerd validates but cannot start with: restored byte for byte, old store running.

    On the containerd store ``storage-driver: btrfs`` names a snapshotter and starts; the classic
    store needs a btrfs file system for that graph driver and refuses at start.
    """
    tx = SwitchTransaction(managed, engine_profile)
    managed.config_path.write_text('{"storage-driver": "btrfs", "features": {"containerd-snapshotter": true}}\n')
    managed.stop()
    managed.start()
    with managed.client() as c:
        assert live_store(c.info()) is Store.CONTAINERD
    before = managed.config_path.read_bytes()
    with pytest.raises(SwitchError) as err:
        tx.run(Store.CLASSIC)
    assert "btrfs" in str(err.value)
    assert "back on the containerd store" in str(err.value)
    assert managed.config_path.read_bytes() == before
    with managed.client() as c:
        assert live_store(c.info()) is Store.CONTAINERD
    assert DaemonConfig.load(managed.config_path).store is Store.CONTAINERD
