"""Snapshotter choice without an engine: names, containerd's config, the report, daemon.json edits.

The ``ctr plugins ls`` texts below were captured from containerd 1.7.24 (the managed engine's)
on an ext4 machine; parsing them is what :mod:`backend.snapshotters` does with the live output.
"""

from __future__ import annotations

import json
import socket

import pytest

from backend.daemon_config import DaemonConfig, plan_storage_driver, set_store
from backend.errors import ConfigError
from backend.snapshotters import (
    AVAILABLE,
    DEPENDS,
    UNAVAILABLE,
    ContainerdEndpoint,
    check_name,
    classify,
    containerd_endpoint,
    parse_ctr_plugins,
    parse_ctr_skip_reasons,
    proxy_snapshotters,
)
from backend.stores import Store, is_wasm_runtime, store_phrase, wasm_runtimes

CTR_TABLE = """\
TYPE                                   ID                       PLATFORMS      STATUS
io.containerd.event.v1                 exchange                 -              ok
io.containerd.snapshotter.v1           blockfile                linux/amd64    skip
io.containerd.snapshotter.v1           btrfs                    linux/amd64    skip
io.containerd.snapshotter.v1           devmapper                linux/amd64    skip
io.containerd.snapshotter.v1           native                   linux/amd64    ok
io.containerd.snapshotter.v1           overlayfs                linux/amd64    ok
io.containerd.content.v1               content                  -              ok
"""
CTR_DETAILED = """\
Type:             io.containerd.snapshotter.v1
ID:               btrfs
Platforms:        linux/amd64
Exports:
                  root      /d/io.containerd.snapshotter.v1.btrfs
Error:
                  Code:        Unknown
                  Message:     path /d/io.containerd.snapshotter.v1.btrfs (ext4) must be a btrfs filesystem to be used with the btrfs snapshotter: skip plugin

Type:             io.containerd.snapshotter.v1
ID:               devmapper
Platforms:        linux/amd64
Error:
                  Code:        Unknown
                  Message:     devmapper not configured: skip plugin

Type:             io.containerd.snapshotter.v1
ID:               native
Platforms:        linux/amd64
"""
OWN = ContainerdEndpoint("own", None, None)


def by_name(items):
    return {s.name: s for s in items}


# --- names ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["overlayfs", "native", "stargz", "nydus", "my-snap_2.0"])
def test_plugin_names_are_accepted(name):
    assert check_name(f" {name} ") == name


@pytest.mark.parametrize("name", ["", "a b", "../x", "-x", "stargz;rm", "x" * 70])
def test_names_that_are_not_plugin_ids_are_refused(name):
    with pytest.raises(ConfigError, match="not a plugin name"):
        check_name(name)


# --- containerd's config and plugin list ------------------------------------------------------
def test_proxy_snapshotters_come_from_the_config(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        'version = 2\n[proxy_plugins]\n'
        '  [proxy_plugins.stargz]\n    type = "snapshot"\n    address = "/run/containerd-stargz-grpc/containerd-stargz-grpc.sock"\n'
        '  [proxy_plugins.blobs]\n    type = "content"\n    address = "/run/blobs.sock"\n'
    )
    found, note = proxy_snapshotters(cfg)
    assert found == {"stargz": "/run/containerd-stargz-grpc/containerd-stargz-grpc.sock"}
    assert note is None


def test_missing_or_broken_config_gives_a_note_not_an_error(tmp_path):
    found, note = proxy_snapshotters(tmp_path / "absent.toml")
    assert found == {} and "does not exist" in note
    bad = tmp_path / "bad.toml"
    bad.write_text("[proxy_plugins\n")
    found, note = proxy_snapshotters(bad)
    assert found == {} and "not valid TOML" in note and str(bad) in note


def test_ctr_output_is_parsed():
    assert parse_ctr_plugins(CTR_TABLE) == {
        "blockfile": "skip", "btrfs": "skip", "devmapper": "skip", "native": "ok", "overlayfs": "ok",
    }
    reasons = parse_ctr_skip_reasons(CTR_DETAILED)
    assert reasons["btrfs"].endswith("must be a btrfs filesystem to be used with the btrfs snapshotter")
    assert reasons["devmapper"] == "devmapper not configured"
    assert "native" not in reasons


# --- the classification -----------------------------------------------------------------------
def test_without_containerd_builtins_work_and_fs_dependent_ones_depend():
    items = by_name(classify(OWN, {}))
    assert list(items)[:4] == ["overlayfs", "native", "stargz", "nydus"]
    assert items["overlayfs"].status == AVAILABLE and items["overlayfs"].default
    assert items["native"].status == AVAILABLE and not items["native"].default
    assert items["btrfs"].status == DEPENDS and "btrfs file system" in items["btrfs"].reason
    assert items["stargz"].status == UNAVAILABLE and items["stargz"].source == "not-found"
    assert "dockerd's own containerd has no proxy plugins" in items["stargz"].reason
    assert "nydus-snapshotter" in items["nydus"].reason


def test_containerd_skip_reasons_make_builtins_unavailable():
    plugins = (parse_ctr_plugins(CTR_TABLE), parse_ctr_skip_reasons(CTR_DETAILED))
    items = by_name(classify(OWN, {}, plugins, live_driver="native", configured="native"))
    assert items["btrfs"].status == UNAVAILABLE and "(ext4) must be a btrfs filesystem" in items["btrfs"].reason
    assert items["devmapper"].status == UNAVAILABLE
    assert items["native"].status == AVAILABLE and items["native"].live and items["native"].configured
    assert not items["overlayfs"].live


def test_proxy_plugin_needs_its_socket(tmp_path):
    sock_path = tmp_path / "stargz.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock_path))
    try:
        system = ContainerdEndpoint("system", None, tmp_path / "config.toml")
        proxies = {"stargz": str(sock_path), "nydus": str(tmp_path / "nydus.sock")}
        items = by_name(classify(system, proxies))
        assert items["stargz"].status == AVAILABLE and items["stargz"].source == "proxy-plugin"
        assert items["nydus"].status == UNAVAILABLE and "is containerd-nydus-grpc running?" in items["nydus"].reason
    finally:
        server.close()


def test_expert_names_are_placed_too():
    system = ContainerdEndpoint("system", None, "/etc/containerd/config.toml")
    items = by_name(classify(system, {}, extra=["soci"]))
    assert items["soci"].status == UNAVAILABLE
    assert "no [proxy_plugins.soci]" in items["soci"].reason and "/etc/containerd/config.toml" in items["soci"].reason


def test_containerd_endpoint(profile):
    from backend.targets.managed import ManagedTarget

    target = ManagedTarget(profile)
    own = containerd_endpoint(target, {})
    assert own.kind == "own" and own.socket == profile.managed_exec_root / "containerd" / "containerd.sock"
    system = containerd_endpoint(target, {"containerd": "/run/containerd/containerd.sock"})
    assert system.kind == "system" and str(system.config) == "/etc/containerd/config.toml"


# --- daemon.json: storage-driver follows the store --------------------------------------------
@pytest.mark.parametrize("driver", ["native", "stargz", "overlayfs", "nydus", "devmapper", "something-else"])
def test_classic_drops_a_driver_it_does_not_have(driver):
    data = {"log-level": "warn", "storage-driver": driver, "features": {"containerd-snapshotter": True}}
    plan = plan_storage_driver(data, Store.CLASSIC)
    assert plan.after is None and driver in plan.note and "classic store has no such driver" in plan.note
    new = set_store(data, Store.CLASSIC)
    assert new == {"log-level": "warn", "features": {"containerd-snapshotter": False}}
    assert data["storage-driver"] == driver  # the input is not modified


@pytest.mark.parametrize("driver", ["overlay2", "btrfs", "zfs", "vfs", "fuse-overlayfs"])
def test_classic_keeps_its_own_drivers(driver):
    new = set_store({"storage-driver": driver}, Store.CLASSIC)
    assert new["storage-driver"] == driver
    assert plan_storage_driver({"storage-driver": driver}, Store.CLASSIC).note is None


def test_containerd_drops_overlay2_and_keeps_other_names():
    plan = plan_storage_driver({"storage-driver": "overlay2"}, Store.CONTAINERD)
    assert plan.after is None and "overlayfs" in plan.note
    assert "storage-driver" not in set_store({"storage-driver": "overlay2"}, Store.CONTAINERD)
    assert set_store({"storage-driver": "stargz"}, Store.CONTAINERD)["storage-driver"] == "stargz"
    assert "storage-driver" not in set_store({}, Store.CONTAINERD)


def test_snapshotter_sets_the_key_in_place():
    data = {"a": 1, "storage-driver": "overlayfs", "z": 2}
    new = set_store(data, Store.CONTAINERD, "native")
    assert list(new) == ["a", "storage-driver", "z", "features"]
    assert new["storage-driver"] == "native"
    assert "it was 'overlayfs'" in plan_storage_driver(data, Store.CONTAINERD, "native").note
    assert plan_storage_driver({"storage-driver": "native"}, Store.CONTAINERD, "native").note is None


def test_snapshotter_with_classic_or_a_bad_name_is_refused():
    with pytest.raises(ConfigError, match="containerd store only"):
        set_store({}, Store.CLASSIC, "native")
    with pytest.raises(ConfigError, match="not a plugin name"):
        set_store({}, Store.CONTAINERD, "a b")


def test_daemon_config_snapshotter_switch_changes_bytes(tmp_path):
    """On containerd overlayfs, asking for native must produce different bytes (so the switch restarts)."""
    path = tmp_path / "daemon.json"
    path.write_text(json.dumps({"features": {"containerd-snapshotter": True}}, indent=2) + "\n")
    config = DaemonConfig.load(path)
    assert config.with_store(Store.CONTAINERD) == config.raw
    new = config.with_store(Store.CONTAINERD, "native")
    assert new != config.raw and json.loads(new)["storage-driver"] == "native"
    assert config.storage_driver is None


# --- what the status line and the Wasm detection say ------------------------------------------
def test_store_phrase_uses_the_driver_as_reported():
    containerd = {"Driver": "stargz", "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]]}
    assert store_phrase(containerd) == "containerd store, snapshotter stargz"
    assert store_phrase({"Driver": "overlay2", "DriverStatus": []}) == "classic store, storage driver overlay2"
    assert store_phrase(None) == "engine not running"


def test_wasm_runtimes_are_recognised():
    runtimes = {
        "runc": {"path": "runc"},
        "io.containerd.runc.v2": {},
        "io.containerd.wasmedge.v1": {},
        "io.containerd.spin.v2": {"runtimeType": "io.containerd.spin.v2"},
        "myrt": {"runtimeType": "io.containerd.wasmtime.v1"},
        "crun-wasm": {"path": "/usr/bin/crun"},
    }
    assert wasm_runtimes(runtimes, {"io.containerd.wasmedge.v1": {}}) == [
        "crun-wasm", "io.containerd.spin.v2", "io.containerd.wasmedge.v1", "myrt",
    ]
    assert not is_wasm_runtime("io.containerd.runc.v2", {})
    assert wasm_runtimes(None, []) == []
