"""Real engine: the bbolt reader on the ``meta.db`` containerd itself wrote, and on damaged copies.

Enough images are imported for the content bucket (three blobs an image) to outgrow one page, so
the real file has branch pages, page-based nested buckets and inline ones.
"""

from __future__ import annotations

import shutil
import struct

import pytest

from backend.inspect.bbolt import BUCKET_HEADER, PAGE_HEADER, BboltError, BboltReader
from backend.inspect.containerd import META_DB, inspect_containerd, read_image_targets
from backend.stores import Store
from backend.switch import SwitchTransaction
from tests.conftest import tiny_tar

IMAGES = 40


def value_offset(data: bytes, page_size: int, pgid: int, key: bytes) -> int:
    """Where *key*'s value starts in leaf page *pgid* of the file."""
    base = pgid * page_size
    _, flags, count, _ = PAGE_HEADER.unpack_from(data, base)
    assert flags == 0x02, "expected the root bucket to be one leaf page"
    for i in range(count):
        off = base + PAGE_HEADER.size + 16 * i
        _, pos, ksize, _ = struct.unpack_from("<IIII", data, off)
        if data[off + pos : off + pos + ksize] == key:
            return off + pos + ksize
    raise KeyError(key)


def test_reads_the_engine_s_own_meta_db_and_survives_damaged_copies(managed, engine_profile, tmp_path):
    SwitchTransaction(managed, engine_profile).run(Store.CONTAINERD)
    with managed.client() as c:
        for i in range(IMAGES):
            c.import_image(tiny_tar(f"image {i}".encode()), f"ssw/many-{i:02d}", "v1")
        c.create_container("ssw/many-00:v1", name="many-box")
        expected = {t for img in c.images(all=True) for t in img.get("RepoTags") or []}
        root = managed.store_roots(c.info())[Store.CONTAINERD].roots[0]
        # read while the engine runs (containerd holds the file open and may commit meanwhile)
        live = inspect_containerd(root)
        assert set(live.image_names) == expected and live.errors == []
    managed.stop()

    meta_db = root / META_DB
    with BboltReader(meta_db) as r:
        targets = read_image_targets(r)
        assert r.stats.inline_buckets >= IMAGES  # every image's target bucket is inline
        assert r.stats.leaf_pages >= IMAGES  # every image's bucket has its own page (it holds a bucket)
        everything = r.root().to_dict()
        assert r.stats.branch_pages >= 1, "the content/blob bucket (3 blobs an image) should span pages"
        assert len(everything[b"v1"][b"moby"][b"content"][b"blob"]) >= 2 * IMAGES
        assert r.bucket("v1").get("version") is not None
        assert all(digest.startswith("sha256:") and size and size > 0 for _, digest, _, size in targets)
    names = {name for name, *_ in targets}
    assert names == {f"docker.io/ssw/many-{i:02d}:v1" for i in range(IMAGES)}
    assert set(inspect_containerd(root).image_names) == expected

    good = meta_db.read_bytes()
    with BboltReader(meta_db) as r:
        page_size, root_pgid, high_water = r.page_size, r.meta.root, r.meta.high_water
    copy_root = tmp_path / "copy"
    shutil.copytree(root, copy_root, ignore=shutil.ignore_patterns("*.sock"), symlinks=True)
    copy_db = copy_root / META_DB

    def damaged(data: bytes, expect: str) -> None:
        copy_db.write_bytes(data)
        with pytest.raises(BboltError, match=expect):
            with BboltReader(copy_db) as r:
                read_image_targets(r)
        inv = inspect_containerd(copy_root)
        assert inv.image_count == 0 and len(inv.errors) == 1 and "names of the containerd store are unknown" in inv.errors[0]

    damaged(good[: len(good) // 8], "truncated")
    damaged(good[:3000], "truncated")
    magic = bytearray(good)
    for slot in (0, 1):
        magic[slot * page_size + PAGE_HEADER.size] ^= 0xFF
    damaged(bytes(magic), "not a bbolt file: wrong magic")
    past_end = bytearray(good)
    off = value_offset(good, page_size, root_pgid, b"v1")
    past_end[off : off + BUCKET_HEADER.size] = BUCKET_HEADER.pack(high_water + 1000, 0)
    damaged(bytes(past_end), f"page {high_water + 1000}, outside the pages in use")
