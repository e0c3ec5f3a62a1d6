"""A tiny bbolt *writer*, for tests and benchmarks only: builds files the reader must read.

The real engine writes small ``meta.db`` files; this writer makes the shapes a big or odd file
has (branch pages, overflow pages, inline and page-based nested buckets, two meta pages with
different trees) and the damage a reader must survive, on demand. It follows the layout of
etcd-io/bbolt as :mod:`backend.inspect.bbolt` describes it, including bbolt's rule for inline
buckets: a bucket is stored inline in its parent's leaf only when it holds no nested bucket and
its page would take at most a quarter of a page.

A tree is a dict of ``bytes`` keys to ``bytes`` values or nested dicts (buckets). Never used by
storeswitch itself.
"""

from __future__ import annotations

import struct
from pathlib import Path

from backend.inspect.bbolt import (
    BRANCH,
    BUCKET_HEADER,
    BUCKET_LEAF_FLAG,
    FREELIST,
    LEAF,
    MAGIC,
    META,
    META_PAGE,
    PAGE_HEADER,
    VERSION,
    fnv1a64,
)

ELEMENT = 16


def encode_varint(value: int) -> bytes:
    """Go's ``binary.PutVarint`` (zig-zag), as containerd stores sizes."""
    u = (value << 1) ^ (value >> 63) if value < 0 else value << 1
    out = bytearray()
    while u >= 0x80:
        out.append((u & 0x7F) | 0x80)
        u >>= 7
    out.append(u)
    return bytes(out)


def _key(k) -> bytes:
    return k.encode() if isinstance(k, str) else bytes(k)


class BboltWriter:
    def __init__(self, page_size: int = 4096) -> None:
        self.page_size = page_size
        # pages[0..2]: meta 0, meta 1, freelist; filled in by write()
        self.pages: list[bytes | None] = [None, None, None]

    # --- allocation ---------------------------------------------------------------------
    def _alloc(self, body: bytes, flags: int, count: int) -> int:
        """Place one logical page (header + body), with overflow pages if it is bigger than a page."""
        ps = self.page_size
        total = PAGE_HEADER.size + len(body)
        npages = max(1, -(-total // ps))
        pgid = len(self.pages)
        header = PAGE_HEADER.pack(pgid, flags, count, npages - 1)
        data = (header + body).ljust(npages * ps, b"\0")
        for i in range(npages):
            self.pages.append(data[i * ps : (i + 1) * ps])
        return pgid

    # --- nodes --------------------------------------------------------------------------
    @staticmethod
    def leaf_body(items: list[tuple[bytes, bytes, int]]) -> bytes:
        """Elements then key/value data; ``pos`` counts from each element."""
        n = len(items)
        elements = bytearray()
        data = bytearray()
        for i, (k, v, flags) in enumerate(items):
            pos = (n - i) * ELEMENT + len(data)
            elements += struct.pack("<IIII", flags, pos, len(k), len(v))
            data += k + v
        return bytes(elements + data)

    @staticmethod
    def branch_body(children: list[tuple[bytes, int]]) -> bytes:
        n = len(children)
        elements = bytearray()
        data = bytearray()
        for i, (k, pgid) in enumerate(children):
            pos = (n - i) * ELEMENT + len(data)
            elements += struct.pack("<IIQ", pos, len(k), pgid)
            data += k
        return bytes(elements + data)

    def _items(self, tree: dict) -> list[tuple[bytes, bytes, int]]:
        items = []
        for k in sorted(tree, key=_key):
            v = tree[k]
            if isinstance(v, dict):
                items.append((_key(k), self._bucket_value(v), BUCKET_LEAF_FLAG))
            else:
                items.append((_key(k), bytes(v), 0))
        return items

    def _bucket_value(self, tree: dict) -> bytes:
        items = self._items(tree)
        inline_page = PAGE_HEADER.pack(0, LEAF, len(items), 0) + self.leaf_body(items)
        nested = any(flags & BUCKET_LEAF_FLAG for _, _, flags in items)
        if not nested and len(inline_page) <= self.page_size // 4:
            return BUCKET_HEADER.pack(0, 0) + inline_page
        return BUCKET_HEADER.pack(self._write_tree(items), 0)

    def _write_tree(self, items: list[tuple[bytes, bytes, int]]) -> int:
        """Leaves filled up to a page each (a lone big element gets overflow pages), branches above."""
        ps = self.page_size
        leaves: list[list[tuple[bytes, bytes, int]]] = [[]]
        size = PAGE_HEADER.size
        for item in items:
            need = ELEMENT + len(item[0]) + len(item[1])
            if leaves[-1] and size + need > ps:
                leaves.append([])
                size = PAGE_HEADER.size
            leaves[-1].append(item)
            size += need
        level = [(chunk[0][0] if chunk else b"", self._alloc(self.leaf_body(chunk), LEAF, len(chunk))) for chunk in leaves]
        while len(level) > 1:
            parents: list[list[tuple[bytes, int]]] = [[]]
            size = PAGE_HEADER.size
            for child in level:
                need = ELEMENT + len(child[0])
                if parents[-1] and (size + need > ps or len(parents[-1]) >= self.max_branch_fanout):
                    parents.append([])
                    size = PAGE_HEADER.size
                parents[-1].append(child)
                size += need
            level = [(chunk[0][0], self._alloc(self.branch_body(chunk), BRANCH, len(chunk))) for chunk in parents]
        return level[0][1]

    max_branch_fanout = 1 << 16

    def add_tree(self, tree: dict) -> int:
        """Write *tree* as a root bucket; return its root page id."""
        return self._write_tree(self._items(tree))

    # --- the file -----------------------------------------------------------------------
    def meta_page(self, slot: int, root: int, txid: int, magic: int = MAGIC, version: int = VERSION) -> bytes:
        hwm = len(self.pages)
        fields = [magic, version, self.page_size, 0, root, 0, 2, hwm, txid]
        summed = META.pack(*fields, 0)[:56]
        meta = META.pack(*fields, fnv1a64(summed))
        return (PAGE_HEADER.pack(slot, META_PAGE, 0, 0) + meta).ljust(self.page_size, b"\0")

    def render(self, roots: tuple[int, int], txids: tuple[int, int] = (4, 5)) -> bytes:
        self.pages[0] = self.meta_page(0, roots[0], txids[0])
        self.pages[1] = self.meta_page(1, roots[1], txids[1])
        self.pages[2] = PAGE_HEADER.pack(2, FREELIST, 0, 0).ljust(self.page_size, b"\0")
        return b"".join(p for p in self.pages if p is not None)


def write_bbolt(path: Path, tree: dict, page_size: int = 4096, txid: int = 5) -> bytes:
    """Write a bbolt file whose both meta pages point at *tree*; return its bytes."""
    w = BboltWriter(page_size)
    root = w.add_tree(tree)
    data = w.render((root, root), (txid - 1, txid))
    Path(path).write_bytes(data)
    return data


def containerd_meta_tree(images: dict[str, tuple[str, int]], namespace: str = "moby", blobs: dict[str, int] | None = None) -> dict:
    """The part of containerd's schema storeswitch reads: ``v1/<ns>/images`` and ``content/blob``."""
    now = b"\x01\x00\x00\x00\x0e\xe2\x9b\x95\xa6 \xa2}\xc5\xff\xff"
    image_buckets = {
        name.encode(): {
            b"createdat": now,
            b"updatedat": now,
            b"target": {
                b"digest": digest.encode(),
                b"mediatype": b"application/vnd.oci.image.manifest.v1+json",
                b"size": encode_varint(size),
            },
        }
        for name, (digest, size) in images.items()
    }
    blob_buckets = {d.encode(): {b"size": encode_varint(s), b"createdat": now} for d, s in (blobs or {}).items()}
    return {b"v1": {namespace.encode(): {b"images": image_buckets, b"content": {b"blob": blob_buckets}}, b"version": b"\x06"}}
