"""The read-only bbolt reader on files with every shape, and on damaged files.

Files come from the tiny writer in tests/bbolt_writer.py (branch and overflow pages, nested and
inline buckets, two meta pages); files from the real engine are read in
tests/engine/test_inspect_engine.py.
"""

from __future__ import annotations

import os
import random
import struct

import pytest

from backend.inspect.bbolt import (
    BUCKET_HEADER,
    MAX_DEPTH,
    PAGE_HEADER,
    BboltError,
    BboltReader,
    Bucket,
    decode_varint,
    read_consistent,
)
from tests.bbolt_writer import BboltWriter, encode_varint, write_bbolt


def big_tree(n: int = 600) -> dict:
    """Enough keys for several leaves under a branch page, nested buckets both inline and paged."""
    return {
        b"flat": {f"key{i:05d}".encode(): f"value-{i}".encode() * 3 for i in range(n)},
        b"nested": {
            b"small": {b"a": b"1", b"b": b"2"},  # inline
            b"deeper": {b"inner": {b"x": b"y"}},  # holds a bucket: never inline
            b"wide": {f"w{i}".encode(): b"z" * 200 for i in range(40)},  # too big to be inline
        },
        b"huge": {b"blob": bytes(range(256)) * 64},  # 16 KiB value: overflow pages
        b"empty": {},
        b"top-value": b"plain",
    }


def test_reads_every_shape(tmp_path):
    path = tmp_path / "db"
    tree = big_tree()
    write_bbolt(path, tree)
    with BboltReader(path) as r:
        assert r.meta.page_size == 4096
        got = r.root().to_dict()
        assert r.stats.branch_pages >= 1
        assert r.stats.overflow_pages >= 4
        assert r.stats.inline_buckets >= 1
    assert got == tree


def test_lookup_descends_branches(tmp_path):
    path = tmp_path / "db"
    write_bbolt(path, big_tree(2000))
    with BboltReader(path) as r:
        flat = r.bucket("flat")
        assert flat is not None
        assert flat.get("key01234") == b"value-1234" * 3
        assert flat.get("key00000") == b"value-0" * 3
        assert flat.get("key01999") == b"value-1999" * 3
        assert flat.get("key02000") is None
        assert flat.get("a-before-everything") is None
        before = r.stats.pages
        flat.get("key01500")
        assert r.stats.pages - before <= 3  # a descent, not a scan
        assert r.bucket("nested", "deeper", "inner").get("x") == b"y"
        assert r.bucket("nested", "small").get(b"b") == b"2"
        assert r.bucket("nested", "missing") is None
        assert r.bucket("top-value") is None  # a value, not a bucket
        assert r.root().get("top-value") == b"plain"
        assert r.root().get("flat") is None  # a bucket, not a value
        assert list(r.bucket("flat").keys())[:2] == [b"key00000", b"key00001"]


def test_items_are_sorted_and_nested_are_buckets(tmp_path):
    path = tmp_path / "db"
    write_bbolt(path, {b"b": {b"x": b"1"}, b"a": b"v", b"c": {}})
    with BboltReader(path) as r:
        items = list(r.root().items())
    assert [k for k, _ in items] == [b"a", b"b", b"c"]
    assert items[0][1] == b"v"
    assert isinstance(items[1][1], Bucket) and items[1][1].where == "b"


@pytest.mark.parametrize("page_size", [1024, 4096, 16384])
def test_page_sizes(tmp_path, page_size):
    path = tmp_path / "db"
    write_bbolt(path, big_tree(300), page_size=page_size)
    with BboltReader(path) as r:
        assert r.page_size == page_size
        assert r.bucket("flat").get("key00299") == b"value-299" * 3


def two_tree_file(tmp_path, txids=(7, 8)):
    w = BboltWriter()
    old = w.add_tree({b"which": b"old"})
    new = w.add_tree({b"which": b"new"})
    path = tmp_path / "db"
    path.write_bytes(w.render((old, new), txids))
    return path


def test_latest_valid_meta_wins(tmp_path):
    path = two_tree_file(tmp_path, (7, 8))
    with BboltReader(path) as r:
        assert (r.meta.txid, r.meta.slot) == (8, 1)
        assert r.root().get("which") == b"new"
    path = two_tree_file(tmp_path, (9, 8))
    with BboltReader(path) as r:
        assert (r.meta.txid, r.meta.slot) == (9, 0)
        assert r.root().get("which") == b"old"


def corrupt(path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(data)


def test_bad_checksum_falls_back_to_the_other_meta(tmp_path):
    path = two_tree_file(tmp_path, (7, 8))
    corrupt(path, 4096 + PAGE_HEADER.size + 40, b"\xff")  # inside meta 1's summed bytes
    with BboltReader(path) as r:
        assert r.meta.slot == 0
        assert r.root().get("which") == b"old"


def test_first_meta_damaged_second_found_by_probing(tmp_path):
    path = tmp_path / "db"
    write_bbolt(path, {b"k": b"v"}, page_size=16384)
    corrupt(path, PAGE_HEADER.size, b"\0\0\0\0")  # meta 0's magic
    with BboltReader(path) as r:
        assert r.meta.slot == 1 and r.page_size == 16384
        assert r.root().get("k") == b"v"


def test_both_meta_checksums_bad(tmp_path):
    path = two_tree_file(tmp_path)
    corrupt(path, PAGE_HEADER.size + 40, b"\xff")
    corrupt(path, 4096 + PAGE_HEADER.size + 40, b"\xff")
    with pytest.raises(BboltError, match="both meta pages are damaged.*checksum"):
        BboltReader(path)


def test_wrong_magic(tmp_path):
    path = tmp_path / "db"
    path.write_bytes(b"SQLite format 3\0" + b"\0" * 8192)
    with pytest.raises(BboltError, match=r"not a bbolt file: wrong magic"):
        BboltReader(path)


def test_wrong_version(tmp_path):
    w = BboltWriter()
    root = w.add_tree({})
    w.render((root, root))
    data = w.meta_page(0, root, 3, version=1) + w.meta_page(1, root, 4, version=1) + b"".join(w.pages[2:])
    path = tmp_path / "db"
    path.write_bytes(data)
    with pytest.raises(BboltError, match="format version 1"):
        BboltReader(path)


@pytest.mark.parametrize("size", [0, 10, 79])
def test_too_short(tmp_path, size):
    path = tmp_path / "db"
    path.write_bytes(b"\xed" * size)
    with pytest.raises(BboltError, match="too short"):
        BboltReader(path)


@pytest.mark.parametrize("keep", [100, 4096, 4096 * 2, 4096 * 5])
def test_truncated(tmp_path, keep):
    path = tmp_path / "db"
    data = write_bbolt(path, big_tree())
    path.write_bytes(data[:keep])
    with pytest.raises(BboltError, match="truncated"):
        BboltReader(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(BboltError, match="no such file"):
        BboltReader(tmp_path / "absent.db")
    with pytest.raises(BboltError, match="is a directory"):
        BboltReader(tmp_path)


def _leaf_element_value_offset(data: bytes, pgid: int, key: bytes, page_size: int = 4096) -> int:
    """Byte offset in the file of *key*'s value in leaf page *pgid*."""
    base = pgid * page_size
    _, flags, count, _ = PAGE_HEADER.unpack_from(data, base)
    for i in range(count):
        off = base + PAGE_HEADER.size + 16 * i
        _, pos, ksize, _ = struct.unpack_from("<IIII", data, off)
        if data[off + pos : off + pos + ksize] == key:
            return off + pos + ksize
    raise KeyError(key)


def test_bucket_pointing_past_the_end(tmp_path):
    path = tmp_path / "db"
    data = write_bbolt(path, {b"a": {b"inner": {b"k": b"v"}}})
    with BboltReader(path) as r:
        root = r.meta.root
    corrupt(path, _leaf_element_value_offset(data, root, b"a"), BUCKET_HEADER.pack(10**9, 0))
    with BboltReader(path) as r:
        with pytest.raises(BboltError, match="outside the pages in use"):
            r.root().to_dict()


def test_page_with_wrong_own_id(tmp_path):
    path = tmp_path / "db"
    data = write_bbolt(path, {b"a": {b"inner": {b"k": b"v"}}})
    with BboltReader(path) as r:
        root = r.meta.root
    corrupt(path, root * 4096, struct.pack("<Q", root + 1))
    with BboltReader(path) as r:
        with pytest.raises(BboltError, match=f"page {root} says it is page {root + 1}"):
            list(r.root().items())


def test_branch_cycle(tmp_path):
    """A branch whose child is the branch itself: reported as a cycle, not walked forever."""
    path = tmp_path / "db"
    data = write_bbolt(path, {f"k{i:04d}".encode(): b"v" * 100 for i in range(300)})
    with BboltReader(path) as r:
        root = r.meta.root
        assert PAGE_HEADER.unpack_from(data, root * 4096)[1] == 0x01  # the root is a branch
    corrupt(path, root * 4096 + PAGE_HEADER.size + 16 + 8, struct.pack("<Q", root))  # 2nd child -> root
    with BboltReader(path) as r:
        with pytest.raises(BboltError, match="reached twice"):
            list(r.root().keys())


def test_bucket_nested_in_itself_hits_the_depth_limit(tmp_path):
    """A bucket whose root is the page that holds it nests forever; the depth limit ends it."""
    path = tmp_path / "db"
    data = write_bbolt(path, {b"a": {b"inner": {b"k": b"v"}}})
    with BboltReader(path) as r:
        root = r.meta.root
    corrupt(path, _leaf_element_value_offset(data, root, b"a"), BUCKET_HEADER.pack(root, 0))
    with BboltReader(path) as r:
        with pytest.raises(BboltError, match=f"deeper than {MAX_DEPTH}"):
            r.root().to_dict()


def test_element_pointing_outside_its_page(tmp_path):
    path = tmp_path / "db"
    write_bbolt(path, {b"a": b"b"})
    with BboltReader(path) as r:
        root = r.meta.root
    corrupt(path, root * 4096 + PAGE_HEADER.size + 12, struct.pack("<I", 10**6))  # vsize
    with BboltReader(path) as r:
        with pytest.raises(BboltError, match="points past the end of its page"):
            r.root().get("a")


def test_random_damage_never_escapes_as_another_error(tmp_path):
    """Flip bytes and cut files at random (seeded): every read either works or raises BboltError."""
    path = tmp_path / "db"
    good = write_bbolt(path, big_tree(400))
    rng = random.Random(20240605)
    outcomes = {"ok": 0, "error": 0}
    for n in range(300):
        data = bytearray(good)
        if n % 3 == 0:
            data = data[: rng.randrange(0, len(data))]
        else:
            for _ in range(rng.randrange(1, 8)):
                data[rng.randrange(0, len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data))
        try:
            with BboltReader(path) as r:
                r.root().to_dict()
                r.bucket("flat", "x")
            outcomes["ok"] += 1
        except BboltError:
            outcomes["error"] += 1
    assert outcomes["error"] > 50  # the damage was real


def test_read_consistent_retries_when_a_commit_lands_meanwhile(tmp_path):
    """A writer commits while we read (simulated by rewriting the file with a higher txid)."""
    path = tmp_path / "db"
    write_bbolt(path, {b"gen": b"1"}, txid=5)
    calls = []

    def read(reader: BboltReader) -> bytes:
        calls.append(reader.meta.txid)
        value = reader.root().get("gen")
        if len(calls) == 1:
            write_bbolt(path, {b"gen": b"2"}, txid=6)
        return value

    assert read_consistent(path, read) == b"2"
    assert calls == [5, 6]


def test_read_consistent_gives_up_on_damage(tmp_path):
    path = tmp_path / "db"
    path.write_bytes(b"\0" * 8192)
    with pytest.raises(BboltError, match="not a bbolt file"):
        read_consistent(path, lambda r: r.root().to_dict())


def test_reader_never_writes(tmp_path):
    path = tmp_path / "db"
    data = write_bbolt(path, big_tree(50))
    os.chmod(path, 0o444)
    before = os.stat(path)
    with BboltReader(path) as r:
        r.root().to_dict()
    after = os.stat(path)
    assert path.read_bytes() == data
    assert (before.st_mtime_ns, before.st_size) == (after.st_mtime_ns, after.st_size)


@pytest.mark.parametrize("value", [0, 1, 127, 128, 401, 8999, 2**31, 2**62, -1, -300])
def test_varint_round_trip(value):
    assert decode_varint(encode_varint(value)) == value


def test_varint_rejects_garbage():
    with pytest.raises(ValueError):
        decode_varint(b"\xff\xff")
    with pytest.raises(ValueError):
        decode_varint(b"")


def test_real_size_bytes_from_an_engine_file():
    """Bytes seen in a real meta.db (target size of a 401-byte manifest)."""
    assert decode_varint(b"\xa2\x06") == 401
