"""Bytes like ``du -sb``, free space, and the ``switchImpact`` sentence."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from backend.inspect import impact_sentence
from backend.inspect import sizes as sizes_module
from backend.inspect.model import ContainerRecord, ImageRecord, StoreInventory, human_bytes
from backend.inspect.sizes import disk_usage, free_space
from backend.stores import Store


def build_tree(root):
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "one").write_bytes(b"1" * 1234)
    (root / "a" / "b" / "two").write_bytes(b"2" * 99999)
    os.link(root / "a" / "b" / "two", root / "a" / "two-again")  # a hard link: counted once
    (root / "a" / "b" / "three").write_bytes(b"3" * 777)
    (root / "a" / "link").symlink_to("/usr/bin")  # never followed
    (root / "a" / "dangling").symlink_to(root / "nowhere")
    (root / "empty").mkdir()
    (root / "zero").write_bytes(b"")


@pytest.mark.skipif(shutil.which("du") is None, reason="needs du to compare with")
def test_matches_du_sb(tmp_path):
    build_tree(tmp_path / "t")
    other = tmp_path / "u"
    other.mkdir()
    os.link(tmp_path / "t" / "a" / "one", other / "shared")  # hard link across two roots
    (other / "own").write_bytes(b"o" * 5000)
    du = subprocess.run(["du", "-sbx", str(tmp_path / "t"), str(other)], capture_output=True, text=True, check=True)
    expected = sum(int(line.split()[0]) for line in du.stdout.splitlines())
    got = disk_usage([tmp_path / "t", other])
    assert got.bytes == expected
    assert got.errors == []


def test_missing_root_is_not_an_error(tmp_path):
    got = disk_usage([tmp_path / "absent"])
    assert got.bytes == 0 and got.errors == [] and got.missing == [str(tmp_path / "absent")]


def test_unlistable_directory_is_reported_and_the_walk_goes_on(tmp_path, monkeypatch):
    """A test double: we run as root, and root reads a chmod-000 directory anyway, so the
    PermissionError a normal user meets is raised by a wrapped os.scandir for one directory."""
    build_tree(tmp_path / "t")
    full = disk_usage([tmp_path / "t"]).bytes
    real_scandir = os.scandir
    blocked = str(tmp_path / "t" / "a" / "b")

    def scandir(path="."):
        if str(path) == blocked:
            raise PermissionError(13, "Permission denied", blocked)
        return real_scandir(path)

    monkeypatch.setattr(sizes_module.os, "scandir", scandir)
    got = disk_usage([tmp_path / "t"])
    assert len(got.errors) == 1 and "Permission denied" in got.errors[0] and blocked in got.errors[0]
    assert 0 < got.bytes < full
    assert full - got.bytes == 777  # only what is solely in the unreadable directory is missing


def test_progress_is_reported_on_big_trees(tmp_path):
    root = tmp_path / "many"
    root.mkdir()
    for i in range(12000):
        (root / str(i)).touch()
    seen = []
    disk_usage([root], seen.append)
    assert seen == [5000, 10000]


def test_free_space(tmp_path):
    free, disks = free_space([tmp_path, tmp_path / "not" / "yet"])
    assert len(disks) == 1 and free == disks[0]["free_bytes"]
    assert abs(free - shutil.disk_usage(tmp_path).free) < 100_000_000  # others may write meanwhile
    assert disks[0]["path"] == str(tmp_path)  # the missing path was probed at its nearest parent
    assert disks[0]["total_bytes"] >= disks[0]["free_bytes"]


def inv(store, images=0, containers=0, size=None, errors=()):
    return StoreInventory(
        store,
        [],
        images=[ImageRecord(f"img{i}:1", f"sha256:{i}") for i in range(images)],
        containers=[ContainerRecord(str(i), f"c{i}", "img", "overlay2", "created") for i in range(containers)],
        bytes=size,
        errors=list(errors),
    )


def test_the_issue_s_example():
    inventories = {Store.CLASSIC: inv(Store.CLASSIC, 12, 3, 4_200_000_000), Store.CONTAINERD: inv(Store.CONTAINERD, 2, 0, 310_000_000)}
    assert impact_sentence(inventories, Store.CLASSIC, Store.CONTAINERD) == (
        "12 images and 3 containers (4.2 GB) in the classic store will be hidden, not deleted. "
        "The containerd store holds 2 images (310 MB)."
    )


def test_singular_and_plural():
    inventories = {Store.CLASSIC: inv(Store.CLASSIC, 1, 1, 999), Store.CONTAINERD: inv(Store.CONTAINERD, 1, 2, 1000)}
    assert impact_sentence(inventories, Store.CONTAINERD, Store.CLASSIC) == (
        "1 image and 2 containers (1.0 kB) in the containerd store will be hidden, not deleted. "
        "The classic store holds 1 image and 1 container (999 B)."
    )


def test_containers_only_and_empty_target():
    inventories = {Store.CLASSIC: inv(Store.CLASSIC, 0, 1, 5_000), Store.CONTAINERD: inv(Store.CONTAINERD, 0, 0, 0)}
    assert impact_sentence(inventories, Store.CLASSIC, Store.CONTAINERD) == (
        "1 container (5.0 kB) in the classic store will be hidden, not deleted. "
        "The containerd store is empty: you will start with no images."
    )


def test_nothing_to_hide():
    inventories = {Store.CLASSIC: inv(Store.CLASSIC, 0, 0, 0), Store.CONTAINERD: inv(Store.CONTAINERD, 3, 0, 3_000_000)}
    assert impact_sentence(inventories, Store.CLASSIC, Store.CONTAINERD) == (
        "The classic store holds no images or containers; nothing will be hidden. The containerd store holds 3 images (3.0 MB)."
    )


def test_already_there_and_unknown_live_store():
    inventories = {Store.CLASSIC: inv(Store.CLASSIC, 2, 0, 2_000), Store.CONTAINERD: inv(Store.CONTAINERD, 1, 0, 1_000)}
    assert impact_sentence(inventories, Store.CONTAINERD, Store.CONTAINERD) == (
        "The engine already uses the containerd store; nothing will be hidden. "
        "The classic store holds 2 images (2.0 kB), hidden while it is not in use."
    )
    assert impact_sentence(inventories, None, Store.CONTAINERD) == (
        "The classic store holds 2 images (2.0 kB). The containerd store holds 1 image (1.0 kB)."
    )


def test_unreadable_parts_are_admitted():
    inventories = {
        Store.CLASSIC: inv(Store.CLASSIC, 2, 0, 2_000, errors=["repositories.json: missing"]),
        Store.CONTAINERD: inv(Store.CONTAINERD, 1, 0, 1_000),
    }
    text = impact_sentence(inventories, Store.CLASSIC, Store.CONTAINERD)
    assert text.endswith("Some files of the classic store could not be read: the figures may be low.")


@pytest.mark.parametrize(
    "n, text",
    [(0, "0 B"), (999, "999 B"), (1000, "1.0 kB"), (9_949, "9.9 kB"), (9_950, "10 kB"), (310_000_000, "310 MB"),
     (999_600, "1.0 MB"), (4_200_000_000, "4.2 GB"), (None, "unknown size")],
)
def test_human_bytes(n, text):
    assert human_bytes(n) == text
