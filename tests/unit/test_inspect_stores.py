"""Reading both stores from disk: synthetic stores laid out as Engine 26 lays them out, and damaged ones."""

from __future__ import annotations

import json
import shutil

import pytest

from backend.inspect.classic import chain_ids, inspect_classic
from backend.inspect.containerd import META_DB, inspect_containerd
from backend.inspect.containers import container_store, read_containers
from backend.inspect.inventory import measure, read_from_disk, with_classic_driver_on_disk
from backend.inspect.model import familiar_name, is_tag
from backend.stores import Store, store_roots
from tests.bbolt_writer import containerd_meta_tree, write_bbolt
from tests.synthetic_stores import make_classic, make_container, make_containerd, sha

CLASSIC_NAMES = ["alpine:3.20", "ex/web:v1", "ex/web:v2", "registry.example.com:5000/team/app:1"]
CONTAINERD_NAMES = ["busybox:latest", "ex/api:v3", "ghcr.io/org/tool:2"]


@pytest.fixture
def data_root(tmp_path):
    root = tmp_path / "data"
    make_classic(root, CLASSIC_NAMES, untagged=2)
    make_containerd(root / "containerd" / "daemon", CONTAINERD_NAMES)
    make_container(root, "a" * 64, "classic-box", "ex/web:v1", "overlay2")
    make_container(root, "b" * 64, "ctrd-box", "busybox:latest", "overlayfs", {"digest": "sha256:" + "1" * 64})
    make_container(root, "c" * 64, "ctrd-box2", "busybox:latest", "overlayfs")
    return root


def test_classic_names_ids_and_sizes(tmp_path):
    root = tmp_path / "data"
    exp = make_classic(root, CLASSIC_NAMES, untagged=2)
    inv = inspect_classic(root / "image" / "overlay2")
    assert inv.errors == []
    assert set(inv.image_names) == exp.names
    assert inv.image_ids == exp.ids
    assert inv.image_count == len(CLASSIC_NAMES) + 2
    assert {i.id: i.size for i in inv.images} == exp.sizes
    assert sum(1 for i in inv.images if i.name is None) == 2


def test_chain_ids_follow_the_engine_rule():
    a, b = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    import hashlib

    assert chain_ids([a]) == [a]
    assert chain_ids([a, b])[1] == "sha256:" + hashlib.sha256(f"{a} {b}".encode()).hexdigest()


def test_classic_digest_references_are_not_names(tmp_path):
    root = tmp_path / "data"
    make_classic(root, ["ex/app:1"])
    repo_file = root / "image" / "overlay2" / "repositories.json"
    data = json.loads(repo_file.read_text())
    image_id = data["Repositories"]["ex/app"]["ex/app:1"]
    data["Repositories"]["ex/app"]["ex/app@sha256:" + "d" * 64] = image_id
    repo_file.write_text(json.dumps(data))
    inv = inspect_classic(root / "image" / "overlay2")
    assert inv.image_names == ["ex/app:1"]
    assert inv.image_count == 1


def test_missing_repositories_json_still_lists_images(tmp_path):
    root = tmp_path / "data"
    exp = make_classic(root, CLASSIC_NAMES)
    (root / "image" / "overlay2" / "repositories.json").unlink()
    inv = inspect_classic(root / "image" / "overlay2")
    assert inv.image_names == []
    assert inv.image_ids == exp.ids  # still counted, by ID, with sizes
    assert all(i.size for i in inv.images)
    assert len(inv.errors) == 1 and "repositories.json: missing" in inv.errors[0]


def test_garbled_repositories_json(tmp_path):
    root = tmp_path / "data"
    make_classic(root, CLASSIC_NAMES)
    (root / "image" / "overlay2" / "repositories.json").write_text('{"Repositories": ')
    inv = inspect_classic(root / "image" / "overlay2")
    assert "repositories.json: cannot be read (not valid" in inv.errors[0]
    assert inv.image_count == len(CLASSIC_NAMES)


def test_missing_layer_size_leaves_that_image_unsized(tmp_path):
    root = tmp_path / "data"
    make_classic(root, ["ex/a:1", "ex/b:1"])
    layerdb = root / "image" / "overlay2" / "layerdb" / "sha256"
    own_layers = [d for d in layerdb.iterdir() if (d / "size").read_text() != "1000"]
    (own_layers[0] / "size").write_text("garbage")
    inv = inspect_classic(root / "image" / "overlay2")
    assert sorted(i.size is None for i in inv.images) == [False, True]
    assert any("that layer's size is unknown" in e for e in inv.errors)


def test_classic_never_used(tmp_path):
    inv = inspect_classic(tmp_path / "data" / "image" / "overlay2")
    assert inv.image_count == 0 and inv.errors == [] and "never used" in inv.notes[0]


def test_containerd_names_targets_sizes(tmp_path):
    root = tmp_path / "ctrd"
    exp = make_containerd(root, CONTAINERD_NAMES)
    inv = inspect_containerd(root)
    assert inv.errors == []
    assert set(inv.image_names) == exp.names  # docker.io/library/ stripped like the engine does
    assert inv.image_ids == exp.ids
    assert {i.id: i.size for i in inv.images} == exp.sizes


def test_containerd_dangling_and_digest_names(tmp_path):
    root = tmp_path / "ctrd"
    exp = make_containerd(root, ["ex/one:1", "ex/two:1"])
    one, two = sorted(exp.ids)
    images = {
        "docker.io/ex/one:1": (one, 401),
        f"moby-dangling@{two}": (two, 401),
        f"docker.io/ex/one@{one}": (one, 401),
    }
    write_bbolt(root / META_DB, containerd_meta_tree(images))
    inv = inspect_containerd(root)
    assert inv.image_names == ["ex/one:1"]
    assert inv.image_count == 2  # one named, one dangling; the digest reference is the same image
    assert [i.name for i in inv.images if i.id == two] == [None]


def test_damaged_meta_db_keeps_the_rest(tmp_path):
    root = tmp_path / "ctrd"
    make_containerd(root, CONTAINERD_NAMES)
    db = root / META_DB
    db.write_bytes(db.read_bytes()[:5000])  # truncated
    inv = inspect_containerd(root)
    assert inv.image_count == 0
    assert len(inv.errors) == 1
    assert "meta.db" in inv.errors[0] and "truncated" in inv.errors[0] and "names of the containerd store are unknown" in inv.errors[0]


def test_meta_db_with_wrong_magic(tmp_path):
    root = tmp_path / "ctrd"
    make_containerd(root, CONTAINERD_NAMES)
    (root / META_DB).write_bytes(b"\0" * 65536)
    inv = inspect_containerd(root)
    assert "not a bbolt file" in inv.errors[0]


def test_containerd_never_used_and_fresh(tmp_path):
    inv = inspect_containerd(tmp_path / "absent")
    assert inv.errors == [] and "never used" in inv.notes[0]
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    inv = inspect_containerd(fresh)
    assert inv.errors == [] and inv.image_count == 0


def test_containerd_other_namespace_is_not_docker_s(tmp_path):
    root = tmp_path / "ctrd"
    make_containerd(root, ["ex/k8s:1"])
    inv = inspect_containerd(root, namespace="k8s.io")
    assert inv.image_count == 0 and inv.errors == []


def test_containers_split_by_store(data_root):
    found, errors = read_containers(data_root / "containers", "overlay2")
    assert errors == []
    assert [c.name for c in found[Store.CLASSIC]] == ["classic-box"]
    assert sorted(c.name for c in found[Store.CONTAINERD]) == ["ctrd-box", "ctrd-box2"]
    assert found[Store.CLASSIC][0].state == "created"


@pytest.mark.parametrize(
    "config, expected",
    [
        ({"Driver": "overlay2", "ImageManifest": None}, Store.CLASSIC),
        ({"Driver": "overlayfs"}, Store.CONTAINERD),
        ({"Driver": "vfs"}, Store.CLASSIC),
        ({"Driver": "btrfs"}, Store.CONTAINERD),  # not the classic driver in use, no graph-driver-only name
        ({"Driver": "btrfs", "ImageManifest": None}, Store.CONTAINERD),
        ({"Driver": "overlay2", "ImageManifest": {"digest": "sha256:x"}}, Store.CONTAINERD),
        ({"Driver": "stargz"}, Store.CONTAINERD),
    ],
)
def test_container_store_rules(config, expected):
    assert container_store(config, "overlay2") is expected


def test_btrfs_as_the_classic_driver():
    assert container_store({"Driver": "btrfs", "ImageManifest": None}, "btrfs") is Store.CLASSIC


def test_unreadable_container_config_is_reported(data_root):
    (data_root / "containers" / ("a" * 64) / "config.v2.json").write_text("{nope")
    found, errors = read_containers(data_root / "containers", "overlay2")
    assert found[Store.CLASSIC] == [] and len(found[Store.CONTAINERD]) == 2
    assert "config.v2.json: cannot be read (not valid JSON" in errors[0]


def test_containers_path_that_is_a_file(data_root):
    """An unreadable directory, as root can meet it: the path exists but cannot be listed."""
    shutil.rmtree(data_root / "containers")
    (data_root / "containers").write_text("not a directory")
    inv = read_from_disk(store_roots(data_root), data_root)
    for store in Store:
        assert inv[store].containers == []
        assert any("containers: cannot be listed" in e for e in inv[store].errors)
    assert inv[Store.CLASSIC].image_count == len(CLASSIC_NAMES) + 2  # the rest still comes out


def test_read_from_disk_both_stores(data_root):
    roots = store_roots(data_root)
    inv = read_from_disk(roots, data_root)
    measure(inv, roots)
    assert set(inv[Store.CLASSIC].image_names) == set(CLASSIC_NAMES)
    assert set(inv[Store.CONTAINERD].image_names) == set(CONTAINERD_NAMES)
    assert inv[Store.CLASSIC].container_count == 1 and inv[Store.CONTAINERD].container_count == 2
    for store in Store:
        assert inv[store].bytes > 0 and inv[store].free_bytes > 0 and inv[store].errors == []
        json.dumps(inv[store].as_dict())  # JSON-ready


def test_everything_damaged_at_once_still_reports(data_root):
    (data_root / "image" / "overlay2" / "repositories.json").unlink()
    meta = data_root / "containerd" / "daemon" / META_DB
    meta.write_bytes(b"garbage" * 100)
    roots = store_roots(data_root)
    inv = read_from_disk(roots, data_root)
    measure(inv, roots)
    assert inv[Store.CLASSIC].image_count == len(CLASSIC_NAMES) + 2
    assert any("repositories.json" in e for e in inv[Store.CLASSIC].errors)
    assert any("meta.db" in e for e in inv[Store.CONTAINERD].errors)
    assert inv[Store.CONTAINERD].container_count == 2 and inv[Store.CONTAINERD].bytes > 0


def test_classic_driver_found_on_disk(tmp_path):
    root = tmp_path / "data"
    make_classic(root, ["ex/vfs:1"], driver="vfs")
    roots = with_classic_driver_on_disk(store_roots(root), root)
    assert roots[Store.CLASSIC].roots[0] == root / "image" / "vfs"
    assert read_from_disk(roots, root)[Store.CLASSIC].image_names == ["ex/vfs:1"]


@pytest.mark.parametrize(
    "stored, shown",
    [
        ("docker.io/library/alpine:3", "alpine:3"),
        ("docker.io/ex/web:v1", "ex/web:v1"),
        ("docker.io/library/team/x:1", "library/team/x:1"),
        ("ghcr.io/org/tool:2", "ghcr.io/org/tool:2"),
        ("localhost:5000/app:1", "localhost:5000/app:1"),
    ],
)
def test_familiar_names(stored, shown):
    assert familiar_name(stored) == shown


def test_is_tag():
    assert is_tag("a:1") and is_tag("localhost:5000/a:1")
    assert not is_tag("localhost:5000/a") and not is_tag("a@sha256:" + "0" * 64)
    assert sha(b"x").startswith("sha256:")
