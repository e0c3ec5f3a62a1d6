"""The scan's fast paths give the same answers as the plain ones (issue 16: faster, still exact).

Each fast path is compared with the way it replaced, on the same files: one pass over an inline
bucket (``get_many``) with one lookup per key, also on damaged files; an image's inline target
read in one pass per page with the general bucket path; the blob sizes taken from the
byte count's walk with a listing of their own; ``scan_disk`` with ``read_from_disk`` + ``measure``;
the four-call file read with ``Path.read_bytes``.
"""

from __future__ import annotations

import os
import random

import pytest

from backend.inspect import containerd
from backend.inspect.bbolt import BboltError, BboltReader
from backend.inspect.classic import inspect_classic
from backend.inspect.containerd import BLOBS, blob_sizes
from backend.inspect.inventory import measure, measure_roots, listings, read_from_disk, scan_disk
from backend.inspect.sizes import disk_usage
from backend.inspect.small_files import CHUNK, read_bytes
from backend.stores import Store, store_roots
from tests.bbolt_writer import containerd_meta_tree, write_bbolt
from tests.synthetic_stores import make_classic, make_container, make_containerd


@pytest.fixture
def data_root(tmp_path):
    root = tmp_path / "data"
    make_classic(root, [f"ex/c{i}:v1" for i in range(30)], untagged=3)
    make_containerd(root / "containerd" / "daemon", [f"ex/d{i}:v1" for i in range(30)])
    make_container(root, "a" * 64, "box", "ex/c0:v1", "overlay2")
    return root


def comparable(inventories):
    """as_dict without free space, which other programs change between two readings."""
    return {s: {k: v for k, v in inv.as_dict().items() if k != "free_bytes"} for s, inv in inventories.items()}


def test_scan_disk_is_read_from_disk_plus_measure(data_root):
    roots = store_roots(data_root)
    plain = read_from_disk(roots, data_root)
    measure(plain, roots)
    assert comparable(scan_disk(roots, data_root)) == comparable(plain)


def test_scan_disk_is_exact_on_damaged_stores_too(data_root):
    blobs = sorted((data_root / "containerd" / "daemon" / BLOBS / "sha256").iterdir())
    blobs[0].unlink()  # an image's blob gone: its size is unknown
    blobs[5].write_text("{not json")
    (data_root / "image" / "overlay2" / "repositories.json").unlink()
    os.link(blobs[7], data_root / "overlay2" / "hard-link")  # counted once, in the first store walked
    roots = store_roots(data_root)
    plain = read_from_disk(roots, data_root)
    measure(plain, roots)
    scanned = scan_disk(roots, data_root)
    assert comparable(scanned) == comparable(plain)
    assert scanned[Store.CLASSIC].errors  # the damage was seen


def test_blob_sizes_from_the_walk_equal_their_own_listing(data_root):
    root = data_root / "containerd" / "daemon"
    blobs = root / BLOBS
    (blobs / "sha512").mkdir()
    (blobs / "sha512" / ("e" * 128)).write_bytes(b"x" * 77)
    usage = disk_usage([root], record_under=[str(blobs)])
    assert set(usage.listed) == {str(blobs / "sha256"), str(blobs / "sha512")}
    errors: list[str] = []
    assert blob_sizes(blobs, errors, usage.listed) == blob_sizes(blobs, errors) and errors == []
    assert usage.bytes == disk_usage([root]).bytes  # recording changes nothing counted


def test_a_blob_directory_the_walk_did_not_list_is_read_directly(data_root):
    """E.g. a blob directory on another file system (the walk stays on one): not in the listings."""
    blobs = data_root / "containerd" / "daemon" / BLOBS
    listed = {str(blobs / "sha256"): {"only-this": 1}}
    (blobs / "sha512").mkdir()
    (blobs / "sha512" / ("e" * 128)).write_bytes(b"x" * 77)
    sizes = blob_sizes(blobs, [], listed)
    assert sizes["sha256:only-this"] == 1 and sizes["sha512:" + "e" * 128] == 77  # listed one used, other read
    assert listings(measure_roots((Store.CONTAINERD,), store_roots(data_root)))  # the scan does keep them


def meta_file(tmp_path, images: int = 40):
    path = tmp_path / "meta.db"
    tree = containerd_meta_tree({f"docker.io/library/i{i}:1": (f"sha256:{i:064x}", 400 + i) for i in range(images)})
    write_bbolt(path, tree)
    return path, path.read_bytes()


def targets(reader: BboltReader, fast: bool) -> list:
    found = []
    for name, image in reader.bucket("v1", "moby", "images").items():
        target = image.bucket("target")
        keys = (b"digest", b"mediatype", b"size", b"absent")
        found.append((name, target.get_many(*keys) if fast else [target.get(k) for k in keys]))
    return found


def outcome(path, fast: bool):
    try:
        with BboltReader(path) as reader:
            return targets(reader, fast)
    except BboltError as exc:
        return f"error: {exc}"


def test_get_many_is_one_get_per_key(tmp_path):
    path, _ = meta_file(tmp_path)
    got = outcome(path, fast=True)
    assert got == outcome(path, fast=False)
    assert got[0][1][3] is None and got[0][1][0] == b"sha256:" + b"0" * 64


def test_get_many_is_one_get_per_key_on_damaged_files(tmp_path):
    """Bytes flipped at random (seeded): the same values, or the same error, either way."""
    path, good = meta_file(tmp_path)
    rng = random.Random(16)
    errors = 0
    for _ in range(200):
        data = bytearray(good)
        for _ in range(rng.randrange(1, 6)):
            data[rng.randrange(2 * 4096, len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data))
        fast, plain = outcome(path, fast=True), outcome(path, fast=False)
        assert fast == plain
        errors += isinstance(fast, str)
    assert errors > 10  # the damage was real


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5])
def test_read_bytes_is_path_read_bytes(tmp_path, size):
    path = tmp_path / "f"
    path.write_bytes(os.urandom(size))
    assert read_bytes(str(path)) == path.read_bytes()


def test_read_bytes_errors_are_the_same_kind(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_bytes(str(tmp_path / "absent"))
    with pytest.raises(IsADirectoryError):
        read_bytes(str(tmp_path))


def test_a_layer_id_with_a_slash_reads_the_file_pathlib_would(tmp_path):
    """A damaged config's first diff ID is used as a path component: same file, same message as before."""
    root = tmp_path / "data"
    make_classic(root, ["ex/a:1"])
    content = root / "image" / "overlay2" / "imagedb" / "content" / "sha256"
    config = next(content.iterdir())
    config.write_text('{"rootfs": {"diff_ids": ["sha256:/nowhere/x"]}}')  # pathlib: starts over at /nowhere/x
    inv = inspect_classic(root / "image" / "overlay2")
    assert inv.images[0].size is None
    assert any(e.startswith("/nowhere/x/size: cannot be read") for e in inv.errors)


def image_targets(path, fast: bool, monkeypatch):
    """read_image_targets with the inline fast path, or with the general one only."""
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(containerd, "_inline_target", lambda reader, image: containerd._GENERAL)
        try:
            with BboltReader(path) as reader:
                return containerd.read_image_targets(reader)
        except BboltError as exc:
            return f"error: {exc}"


def test_inline_targets_are_the_general_path(tmp_path, monkeypatch):
    path, _ = meta_file(tmp_path)
    got = image_targets(path, True, monkeypatch)
    assert got == image_targets(path, False, monkeypatch)
    assert len(got) == 40 and got[0][1] == f"sha256:{0:064x}" and got[0][3] == 400
    with BboltReader(path) as reader:  # the fast path did read them (else this compared the general path with itself)
        images = [v for _, v in reader.bucket("v1", "moby", "images").items()]
        assert all(containerd._inline_target(reader, image) is not containerd._GENERAL for image in images)


def image_targets_of(data: bytes, tmp_path, monkeypatch):
    other = tmp_path / "good.db"
    if not other.exists():
        other.write_bytes(data)
    return image_targets(other, False, monkeypatch)


def test_inline_targets_are_the_general_path_on_damaged_files(tmp_path, monkeypatch):
    """Bytes flipped at random (seeded), also inside the image pages: the same targets, or the same error."""
    path, good = meta_file(tmp_path)
    rng = random.Random(1616)
    errors = differing = 0
    for _ in range(300):
        data = bytearray(good)
        for _ in range(rng.randrange(1, 6)):
            data[rng.randrange(2 * 4096, len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data))
        fast, plain = image_targets(path, True, monkeypatch), image_targets(path, False, monkeypatch)
        assert fast == plain
        errors += isinstance(fast, str)
        differing += not isinstance(fast, str) and fast != image_targets_of(good, tmp_path, monkeypatch)
    assert errors > 10 and differing > 10  # the damage was real, both as errors and as changed values
