"""A small, read-only reader for bbolt files (containerd's ``meta.db``).

Why by hand: containerd keeps image names only in ``meta.db``, a bbolt (etcd-io/bbolt) file, and
no maintained Python library reads bbolt. This module reads just enough of the format to walk
buckets and read values, and nothing else: it never writes, never takes the file lock, and never
trusts a number from the file without checking it.

The format (bbolt file format version 2, read from etcd-io/bbolt ``internal/common``, little-endian
on every platform containerd ships on):

* The file is an array of pages of ``page_size`` bytes. Page 0 and page 1 are the two meta pages;
  a writer alternates between them (``txid % 2``), so the valid one with the higher ``txid`` is
  the latest committed state.
* Every page starts with a 16-byte header ``{id u64, flags u16, count u16, overflow u32}``; flags
  are 0x01 branch, 0x02 leaf, 0x04 meta, 0x10 freelist. A page with ``overflow = n`` spans ``n+1``
  contiguous pages.
* A meta page holds, after the header, ``{magic u32 = 0xED0CDAED, version u32 = 2, page_size u32,
  flags u32, root {pgid u64, sequence u64}, freelist u64, pgid u64 (high-water mark), txid u64,
  checksum u64}``; the checksum is FNV-1a 64 over the 56 bytes before it.
* A branch page holds ``count`` elements ``{pos u32, ksize u32, pgid u64}``, a leaf page ``count``
  elements ``{flags u32, pos u32, ksize u32, vsize u32}``. ``pos`` is the offset of the key from
  the element itself; a leaf value follows its key. Keys are sorted; a branch element's key is the
  smallest key of its child.
* A leaf element with flag 0x01 is a nested bucket: its value is ``{root pgid u64, sequence u64}``.
  ``root == 0`` means an *inline* bucket: the bytes after those 16 are the bucket's single leaf page.

Damage never hangs or crashes the reader: a file too short, a wrong magic or version, bad meta
checksums, a page id past the end of the file or the high-water mark, a page whose own id or type
is wrong, elements that point outside their page, a page met twice while walking one tree (a
cycle) or a tree deeper than :data:`MAX_DEPTH` all raise :class:`BboltError`, naming the file
and what is wrong.

Reading a database that a running containerd is writing: bbolt is copy-on-write, so a committed
tree stays intact until a later transaction reuses its pages. :func:`read_consistent` runs a read,
then checks that the latest ``txid`` did not move meanwhile, and retries a few times if it did.
Pages are read with ``pread`` (no mmap), so a file that shrinks under us gives an error, not a
SIGBUS.
"""

from __future__ import annotations

import os
import stat
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, TypeVar, Union

MAGIC = 0xED0CDAED
VERSION = 2
PAGE_HEADER = struct.Struct("<QHHI")  # id, flags, count, overflow
META = struct.Struct("<IIIIQQQQQQ")  # magic, version, page_size, flags, root, sequence, freelist, pgid, txid, checksum
META_SUMMED = 56  # bytes of the meta covered by the checksum
BRANCH_ELEMENT = struct.Struct("<IIQ")  # pos, ksize, pgid
LEAF_ELEMENT = struct.Struct("<IIII")  # flags, pos, ksize, vsize
BUCKET_HEADER = struct.Struct("<QQ")  # root pgid, sequence
ELEMENT_SIZE = 16

BRANCH, LEAF, META_PAGE, FREELIST = 0x01, 0x02, 0x04, 0x10
BUCKET_LEAF_FLAG = 0x01

MIN_PAGE_SIZE, MAX_PAGE_SIZE = 512, 1 << 24
MAX_DEPTH = 64  # B+tree levels plus bucket nesting; real files have a handful
MAX_OVERFLOW_BYTES = 1 << 30  # one value larger than this is damage, not data
FNV_OFFSET, FNV_PRIME = 0xCBF29CE484222325, 0x100000001B3


class BboltError(Exception):
    """The file is not a bbolt database, or it is damaged; the message names the file and the fault."""


def fnv1a64(data: bytes) -> int:
    h = FNV_OFFSET
    for byte in data:
        h = ((h ^ byte) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


@dataclass(frozen=True)
class Meta:
    """One meta page, decoded."""

    page_size: int
    flags: int
    root: int
    sequence: int
    freelist: int
    high_water: int  # pages in use: every valid page id is below this
    txid: int
    checksum: int
    slot: int  # 0 or 1: which meta page this came from


@dataclass
class ReadStats:
    """What a walk touched; tests use it to prove a real file exercised branch and overflow pages."""

    pages: int = 0
    branch_pages: int = 0
    leaf_pages: int = 0
    overflow_pages: int = 0
    inline_buckets: int = 0


Value = Union[bytes, "Bucket"]


@dataclass
class _Page:
    buf: bytes
    base: int  # where the page header starts in buf
    end: int  # where the page ends in buf (elements must lie before it)
    flags: int
    count: int
    pgid: int | None  # None for an inline page


class BboltReader:
    """An open bbolt file. Use as a context manager; every read checks what it reads."""

    def __init__(self, path: os.PathLike | str) -> None:
        self.path = Path(path)
        self.stats = ReadStats()
        try:
            self._fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError as exc:
            raise BboltError(f"{self.path}: no such file") from exc
        except OSError as exc:
            raise BboltError(f"{self.path}: cannot be opened ({exc.strerror})") from exc
        try:
            st = os.fstat(self._fd)
            if not stat.S_ISREG(st.st_mode):
                kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
                raise BboltError(f"{self.path}: is {kind}, not a bbolt file")
            self.size = st.st_size
            self.meta = self._read_meta()
            self.page_size = self.meta.page_size
            self._check_extent()
        except BaseException:
            self.close()
            raise

    # --- lifecycle ----------------------------------------------------------------------
    def close(self) -> None:
        if getattr(self, "_fd", None) is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "BboltReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- meta ---------------------------------------------------------------------------
    def _pread(self, length: int, offset: int) -> bytes:
        if self._fd is None:
            raise BboltError(f"{self.path}: the reader is closed")
        try:
            data = os.pread(self._fd, length, offset)
        except OSError as exc:
            raise BboltError(f"{self.path}: read failed at byte {offset} ({exc.strerror})") from exc
        if len(data) != length:
            raise BboltError(
                f"{self.path}: file ends at byte {offset + len(data)}, inside a page that needs {length} bytes "
                f"from byte {offset}; the file is truncated"
            )
        return data

    def _pread_some(self, length: int, offset: int) -> bytes:
        """Up to *length* bytes (fewer at the end of the file), read errors as BboltError."""
        try:
            return os.pread(self._fd, length, offset)
        except OSError as exc:
            raise BboltError(f"{self.path}: read failed at byte {offset} ({exc.strerror})") from exc

    def _decode_meta(self, data: bytes, slot: int) -> tuple[Meta | None, str]:
        """A meta page at the start of *data*, or None and why it is not valid."""
        need = PAGE_HEADER.size + META.size
        if len(data) < need:
            return None, "too short"
        _, flags, _, _ = PAGE_HEADER.unpack_from(data, 0)
        fields = META.unpack_from(data, PAGE_HEADER.size)
        magic, version, page_size, mflags, root, seq, freelist, hwm, txid, checksum = fields
        if magic != MAGIC:
            return None, f"wrong magic 0x{magic:08X} (a bbolt file has 0x{MAGIC:08X})"
        if version != VERSION:
            return None, f"format version {version} (this reader knows version {VERSION})"
        summed = data[PAGE_HEADER.size : PAGE_HEADER.size + META_SUMMED]
        if fnv1a64(summed) != checksum:
            return None, "checksum mismatch"
        if not flags & META_PAGE:
            return None, f"page flags 0x{flags:x} are not a meta page's"
        if not MIN_PAGE_SIZE <= page_size <= MAX_PAGE_SIZE or page_size & (page_size - 1):
            return None, f"impossible page size {page_size}"
        return Meta(page_size, mflags, root, seq, freelist, hwm, txid, checksum, slot), ""

    def _read_meta(self) -> Meta:
        if self.size < PAGE_HEADER.size + META.size:
            raise BboltError(f"{self.path}: {self.size} bytes is too short to be a bbolt file")
        first = self._pread_some(0x1000, 0)
        meta0, why0 = self._decode_meta(first, 0)
        candidates = [meta0] if meta0 else []
        # The second meta page sits one page in; with the first one damaged its page size is
        # unknown, so try every size bbolt itself tries (1 KiB .. 16 MiB), as bbolt's own Open does.
        offsets = [meta0.page_size] if meta0 else [1024 << i for i in range(15)]
        why1 = "not found"
        for offset in offsets:
            if offset >= self.size:
                break
            meta1, why1 = self._decode_meta(self._pread_some(0x1000, offset), 1)
            if meta1 and (meta0 is None or meta1.page_size == meta0.page_size) and meta1.page_size == offset:
                candidates.append(meta1)
                break
        if not candidates:
            if "magic" in why0:
                raise BboltError(f"{self.path}: not a bbolt file: {why0}")
            raise BboltError(f"{self.path}: both meta pages are damaged (first: {why0}; second: {why1})")
        return max(candidates, key=lambda m: m.txid)

    def _check_extent(self) -> None:
        needed = self.meta.high_water * self.page_size
        if self.meta.root >= self.meta.high_water:
            raise BboltError(f"{self.path}: the root bucket's page {self.meta.root} is past the high-water mark {self.meta.high_water}")
        if self.size < needed:
            raise BboltError(
                f"{self.path}: the file holds {self.size} bytes but its meta page says {self.meta.high_water} pages "
                f"of {self.page_size} bytes ({needed} bytes) are in use; the file is truncated"
            )

    def latest_txid(self) -> int:
        """Re-read the meta pages: the txid of the newest commit now on disk."""
        self.size = os.fstat(self._fd).st_size
        return self._read_meta().txid

    # --- pages --------------------------------------------------------------------------
    def _page(self, pgid: int) -> _Page:
        ps = self.page_size
        if pgid < 2 or pgid >= self.meta.high_water:
            raise BboltError(
                f"{self.path}: a bucket points to page {pgid}, outside the pages in use (2..{self.meta.high_water - 1}); "
                "the file is damaged"
            )
        if (pgid + 1) * ps > self.size:
            raise BboltError(f"{self.path}: page {pgid} is past the end of the file ({self.size} bytes); the file is truncated")
        head = self._pread(ps, pgid * ps)
        own_id, flags, count, overflow = PAGE_HEADER.unpack_from(head, 0)
        if own_id != pgid:
            raise BboltError(f"{self.path}: page {pgid} says it is page {own_id}; the file is damaged")
        if flags not in (BRANCH, LEAF):
            raise BboltError(f"{self.path}: page {pgid} has flags 0x{flags:x} where a branch or leaf page belongs; the file is damaged")
        buf = head
        if overflow:
            span = (overflow + 1) * ps
            if span > MAX_OVERFLOW_BYTES or pgid + overflow >= self.meta.high_water:
                raise BboltError(f"{self.path}: page {pgid} claims {overflow} overflow pages, past the pages in use")
            buf = head + self._pread(span - ps, (pgid + 1) * ps)
            self.stats.overflow_pages += overflow
        self.stats.pages += 1
        if flags == BRANCH:
            self.stats.branch_pages += 1
        else:
            self.stats.leaf_pages += 1
        return _Page(buf, 0, len(buf), flags, count, pgid)

    def _inline_page(self, value: bytes, bucket: "Bucket") -> _Page:
        base = BUCKET_HEADER.size
        if len(value) < base + PAGE_HEADER.size:
            raise BboltError(f"{self.path}: the inline bucket {bucket.where} is {len(value)} bytes, too short to hold a page")
        _, flags, count, _ = PAGE_HEADER.unpack_from(value, base)
        if flags != LEAF:
            raise BboltError(f"{self.path}: the inline bucket {bucket.where} holds a page with flags 0x{flags:x}, not a leaf")
        self.stats.inline_buckets += 1
        return _Page(value, base, len(value), flags, count, None)

    def _element_fields(self, page: _Page) -> Iterator[tuple[int, tuple[int, ...]]]:
        """(offset of the element in page.buf, its fields), after checking that all *count* fit in the page."""
        start = page.base + PAGE_HEADER.size
        stop = start + page.count * ELEMENT_SIZE
        if stop > page.end:
            raise BboltError(f"{self.path}: {_name(page)} claims {page.count} elements, more than fit in it")
        # One iter_unpack over the element array: the per-element cost is most of a scan's time.
        layout = BRANCH_ELEMENT if page.flags == BRANCH else LEAF_ELEMENT
        return zip(range(start, stop, ELEMENT_SIZE), layout.iter_unpack(page.buf[start:stop]))

    def _leaf_elements(self, page: _Page) -> Iterator[tuple[int, bytes, bytes]]:
        """(flags, key, value) of a leaf page's elements in order, each checked to lie inside the page."""
        buf, end = page.buf, page.end
        for off, (flags, pos, ksize, vsize) in self._element_fields(page):
            k0 = off + pos
            k1 = k0 + ksize
            if k1 + vsize > end:
                raise BboltError(f"{self.path}: an element of {_name(page)} points past the end of its page; the file is damaged")
            yield flags, buf[k0:k1], buf[k1 : k1 + vsize]

    def _branch_elements(self, page: _Page) -> Iterator[tuple[bytes, int]]:
        """(key, child page id) of a branch page's elements in order, each key checked to lie inside the page."""
        buf, end = page.buf, page.end
        for off, (pos, ksize, child) in self._element_fields(page):
            k0 = off + pos
            if k0 + ksize > end:
                raise BboltError(f"{self.path}: an element of {_name(page)} points past the end of its page; the file is damaged")
            yield buf[k0 : k0 + ksize], child

    # --- buckets ------------------------------------------------------------------------
    def root(self) -> "Bucket":
        return Bucket(self, self.meta.root, None, (), 0)

    def bucket(self, *path: bytes | str) -> "Bucket | None":
        """The bucket at *path* from the root (``reader.bucket("v1", "moby", "images")``), or None."""
        current: Bucket | None = self.root()
        for name in path:
            if current is None:
                return None
            current = current.bucket(name)
        return current


def _name(page: _Page) -> str:
    return "an inline bucket page" if page.pgid is None else f"page {page.pgid}"


def _key(name: bytes | str) -> bytes:
    return name.encode("utf-8") if isinstance(name, str) else bytes(name)


@dataclass
class Bucket:
    """A bucket: sorted keys, each holding a value (bytes) or a nested bucket."""

    reader: BboltReader
    root_pgid: int  # 0 for an inline bucket
    inline: bytes | None
    path: tuple[bytes, ...]
    depth: int

    @property
    def where(self) -> str:
        return "/".join(p.decode("utf-8", "replace") for p in self.path) or "(root)"

    def _child(self, key: bytes, value: bytes) -> "Bucket":
        if len(value) < BUCKET_HEADER.size:
            raise BboltError(f"{self.reader.path}: bucket {self.where}/{key.decode('utf-8', 'replace')} has a {len(value)}-byte header")
        root, _ = BUCKET_HEADER.unpack_from(value, 0)
        depth = self.depth + 1
        if depth > MAX_DEPTH:
            raise BboltError(f"{self.reader.path}: buckets nested deeper than {MAX_DEPTH} levels at {self.where}; the file is damaged")
        return Bucket(self.reader, root, value if root == 0 else None, (*self.path, key), depth)

    def _walk(self) -> Iterator[tuple[int, bytes, bytes]]:
        """(element flags, key, value) for every leaf element, in key order."""
        r = self.reader
        if self.root_pgid == 0:
            if self.inline is None:
                raise BboltError(f"{r.path}: bucket {self.where} has no root page")
            yield from r._leaf_elements(r._inline_page(self.inline, self))
            return
        seen: set[int] = set()
        stack: list[tuple[int, int]] = [(self.root_pgid, self.depth)]
        while stack:
            pgid, depth = stack.pop()
            if pgid in seen:
                raise BboltError(f"{r.path}: page {pgid} is reached twice in bucket {self.where} (a cycle); the file is damaged")
            if depth > MAX_DEPTH:
                raise BboltError(f"{r.path}: bucket {self.where} is deeper than {MAX_DEPTH} levels; the file is damaged")
            seen.add(pgid)
            page = r._page(pgid)
            if page.flags == BRANCH:
                children = [child for _, (_, _, child) in r._element_fields(page)]
                stack.extend((c, depth + 1) for c in reversed(children))
                continue
            yield from r._leaf_elements(page)

    def items(self) -> Iterator[tuple[bytes, Value]]:
        """Every key with its value (bytes) or nested :class:`Bucket`, in key order."""
        for flags, key, value in self._walk():
            yield key, (self._child(key, value) if flags & BUCKET_LEAF_FLAG else value)

    def keys(self) -> Iterator[bytes]:
        for _, key, _ in self._walk():
            yield key

    def _find(self, key: bytes) -> tuple[int, bytes] | None:
        """Descend by the branch keys to the one leaf that can hold *key*."""
        r = self.reader
        if self.root_pgid == 0:
            for flags, k, v in self._walk():
                if k == key:
                    return flags, v
            return None
        pgid, depth, seen = self.root_pgid, self.depth, set()
        while True:
            if pgid in seen or depth > MAX_DEPTH:
                raise BboltError(f"{r.path}: a cycle or a tree too deep under bucket {self.where}; the file is damaged")
            seen.add(pgid)
            page = r._page(pgid)
            if page.flags == LEAF:
                for flags, k, v in r._leaf_elements(page):
                    if k == key:
                        return flags, v
                return None
            chosen = None
            for k, child in r._branch_elements(page):
                if chosen is None or k <= key:
                    chosen = child
                if k > key:
                    break
            if chosen is None:
                return None
            pgid, depth = chosen, depth + 1

    def get(self, key: bytes | str) -> bytes | None:
        """The value under *key*; None when absent or when *key* names a nested bucket."""
        hit = self._find(_key(key))
        if hit is None or hit[0] & BUCKET_LEAF_FLAG:
            return None
        return hit[1]

    def get_many(self, *keys: bytes) -> list[bytes | None]:
        """``[self.get(k) for k in keys]``, reading an inline bucket's page once instead of once per key.

        The scan stops where the last of the keys is found, as the separate lookups would, so a
        damaged element after them is not reached here either.
        """
        if self.root_pgid != 0:
            return [self.get(k) for k in keys]
        if self.inline is None:
            raise BboltError(f"{self.reader.path}: bucket {self.where} has no root page")
        found: dict[bytes, bytes | None] = {}
        wanted = set(keys)
        r = self.reader
        for flags, k, v in r._leaf_elements(r._inline_page(self.inline, self)):  # _walk's inline case, one generator less
            if k in wanted and k not in found:
                found[k] = None if flags & BUCKET_LEAF_FLAG else v
                if len(found) == len(wanted):
                    break
        return [found.get(k) for k in keys]

    def bucket(self, key: bytes | str) -> "Bucket | None":
        k = _key(key)
        hit = self._find(k)
        if hit is None or not hit[0] & BUCKET_LEAF_FLAG:
            return None
        return self._child(k, hit[1])

    def to_dict(self) -> dict[bytes, object]:
        """The whole bucket as nested dicts (for tests and debugging; small buckets only)."""
        return {k: (v.to_dict() if isinstance(v, Bucket) else v) for k, v in self.items()}


T = TypeVar("T")


def read_consistent(path: os.PathLike | str, read: Callable[[BboltReader], T], attempts: int = 3) -> T:
    """Run *read* on the file and make sure no commit happened meanwhile; retry if one did.

    A running containerd may commit while we read. The pages of the commit we started from stay
    intact unless a later commit reuses them, which would show as a moved ``txid`` (or as a
    damaged-looking page, a :class:`BboltError`). Either way the read is tried again, up to
    *attempts* times; the last error is raised if the file never holds still or is truly damaged.
    """
    last: BboltError | None = None
    for _ in range(max(1, attempts)):
        try:
            with BboltReader(path) as reader:
                result = read(reader)
                if reader.latest_txid() == reader.meta.txid:
                    return result
                last = BboltError(f"{path}: the database kept changing while it was read")
        except BboltError as exc:
            last = exc
    assert last is not None
    raise last


def decode_varint(data: bytes) -> int:
    """Go's ``binary.Varint`` (zig-zag), which containerd uses for sizes: raises ValueError on bad input."""
    result = shift = 0
    for i, byte in enumerate(data):
        if i >= 10:
            break
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return (result >> 1) ^ -(result & 1)
        shift += 7
    raise ValueError(f"not a varint: {data[:10].hex()}")
