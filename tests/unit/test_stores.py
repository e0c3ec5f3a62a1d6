"""The two stores: which one an engine runs (from /info), which one its config asks for, their roots.

The /info dicts are shaped like Engine 26.1.5's answers (seen on the managed engine); the
real-engine tests check the same functions against a live dockerd.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.stores import Store, configured_store, driver_type, live_store, store_roots

CLASSIC_INFO = {
    "Driver": "overlay2",
    "DriverStatus": [["Backing Filesystem", "extfs"], ["Supports d_type", "true"], ["Using metacopy", "false"]],
}
CONTAINERD_INFO = {"Driver": "overlayfs", "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]]}


def test_classic_engine_runs_the_classic_store():
    assert driver_type(CLASSIC_INFO) is None
    assert live_store(CLASSIC_INFO) is Store.CLASSIC


def test_containerd_engine_runs_the_containerd_store():
    assert driver_type(CONTAINERD_INFO) == "io.containerd.snapshotter.v1"
    assert live_store(CONTAINERD_INFO) is Store.CONTAINERD


def test_driver_name_alone_does_not_decide():
    """containerd store with ``storage-driver: overlay2``: Driver says overlay2, driver-type says containerd."""
    info = {"Driver": "overlay2", "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]]}
    assert live_store(info) is Store.CONTAINERD
    assert live_store({"Driver": "overlayfs"}) is Store.CLASSIC  # no driver-type: never containerd


@pytest.mark.parametrize("status", [None, [], [["driver-type"]], [["driver-type", "something.else"]], "garbage"])
def test_odd_driver_status_means_classic(status):
    assert live_store({"Driver": "vfs", "DriverStatus": status}) is Store.CLASSIC


@pytest.mark.parametrize(
    ("config", "store"),
    [
        ({}, Store.CLASSIC),
        ({"features": {}}, Store.CLASSIC),
        ({"features": {"containerd-snapshotter": True}}, Store.CONTAINERD),
        ({"features": {"containerd-snapshotter": False}}, Store.CLASSIC),
        ({"features": {"containerd-snapshotter": "true"}}, Store.CLASSIC),  # only the JSON true counts
        ({"features": "containerd-snapshotter"}, Store.CLASSIC),
        ({"storage-driver": "overlayfs"}, Store.CLASSIC),
    ],
)
def test_configured_store(config, store):
    assert configured_store(config) is store


def test_configured_store_default_when_unset():
    assert configured_store({}, default=Store.CONTAINERD) is Store.CONTAINERD
    assert configured_store({"features": {"containerd-snapshotter": False}}, default=Store.CONTAINERD) is Store.CLASSIC


def test_store_names_and_other():
    assert [s.value for s in Store] == ["classic", "containerd"]
    assert Store.CLASSIC.other is Store.CONTAINERD and Store.CONTAINERD.other is Store.CLASSIC
    assert str(Store.CONTAINERD) == "containerd" and f"{Store.CLASSIC}" == "classic"


def test_roots_derive_from_the_data_root(tmp_path):
    roots = store_roots(tmp_path)
    assert roots[Store.CLASSIC].roots == (tmp_path / "image" / "overlay2", tmp_path / "overlay2")
    assert roots[Store.CONTAINERD].roots == (tmp_path / "containerd" / "daemon",)
    assert roots[Store.CLASSIC].as_dict() == {"roots": [str(tmp_path / "image/overlay2"), str(tmp_path / "overlay2")], "notes": []}
    assert store_roots(tmp_path, "vfs")[Store.CLASSIC].roots == (tmp_path / "image" / "vfs", tmp_path / "vfs")


def test_system_containerd_holds_the_containerd_store(tmp_path):
    roots = store_roots(tmp_path, system_containerd_root=Path("/var/lib/containerd"))
    assert roots[Store.CONTAINERD].roots == (Path("/var/lib/containerd"),)
    assert "not moved by data-root" in roots[Store.CONTAINERD].notes[0]
    assert roots[Store.CLASSIC].roots[0] == tmp_path / "image" / "overlay2"
