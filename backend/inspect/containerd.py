"""The containerd image store, read from disk without an engine.

Image names live only in containerd's metadata database, ``io.containerd.metadata.v1.bolt/meta.db``
(a bbolt file, read with :mod:`backend.inspect.bbolt`). The schema (containerd
``core/metadata/buckets.go``)::

    v1/<namespace>/images/<name>/target/{digest, mediatype, size (Go varint)}
    v1/<namespace>/content/blob/<digest>/size

dockerd keeps its images in namespace ``moby``, names fully qualified (``docker.io/library/x:1``;
shown familiar, ``x:1``, as the engine does) and an untagged image as ``moby-dangling@<digest>``.
The blobs themselves are files under ``io.containerd.content.v1.content/blobs/sha256/``.

An image is counted once per target digest, the way the engine's image list counts them; its size
is the sum of the local blobs it reaches (index -> manifests -> config and layers). A damaged
``meta.db`` leaves the names unknown but still reports the blobs and bytes, with the reason in
``errors``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from backend.inspect.bbolt import (
    BUCKET_HEADER, BUCKET_LEAF_FLAG, ELEMENT_SIZE, LEAF, LEAF_ELEMENT, MAX_DEPTH, PAGE_HEADER,
    Bucket, BboltError, BboltReader, decode_varint, read_consistent,
)
from backend.inspect.model import DANGLING_PREFIX, ImageRecord, StoreInventory, familiar_name, is_tag
from backend.inspect.small_files import parse_json, read_bytes
from backend.stores import Store

NAMESPACE = "moby"
META_DB = Path("io.containerd.metadata.v1.bolt") / "meta.db"
BLOBS = Path("io.containerd.content.v1.content") / "blobs"
MAX_DESCENT = 4  # index -> index -> manifest -> blobs is already unusual


def read_image_targets(reader: BboltReader, namespace: str = NAMESPACE) -> list[tuple[str, str, str, int | None]]:
    """(name, target digest, media type, target size) for every image in *namespace*."""
    images = reader.bucket("v1", namespace, "images")
    if images is None:
        return []
    found = []
    for name, value in images.items():
        if not isinstance(value, Bucket):
            continue
        fields = _inline_target(reader, value)
        if fields is _GENERAL:
            target = value.bucket("target")
            fields = target.get_many(*TARGET_KEYS) if target is not None else None
        digest = media = ""
        size = None
        if fields is not None:
            digest_raw, media_raw, raw = fields
            digest = (digest_raw or b"").decode("utf-8", "replace")
            media = (media_raw or b"").decode("utf-8", "replace")
            try:
                size = decode_varint(raw) if raw else None
            except ValueError:
                size = None
        found.append((name.decode("utf-8", "replace"), digest, media, size))
    return found


TARGET_KEYS = (b"digest", b"mediatype", b"size")
_GENERAL: Any = object()  # _inline_target's "take the general path"


def _inline_target(reader: BboltReader, image: Bucket) -> Any:
    """``image.bucket("target").get_many(*TARGET_KEYS)`` (None: no target bucket) for the usual
    image: its bucket one leaf page (bbolt never inlines a bucket that holds a bucket), its target
    bucket inline; one pass over each page.

    The general path builds two :class:`Bucket` objects and three generators per image (a third of
    a 10,000-image scan's reading). This returns :data:`_GENERAL` at anything else, and at every
    check the general path makes that fails (sizes, page flags, elements pointing out of their
    page, nesting depth), checked in the same order up to the same element; the general path then
    gives the very result or the very error it always did.
    """
    if image.root_pgid == 0 or image.depth > MAX_DEPTH:
        return _GENERAL
    page = reader._page(image.root_pgid)  # what the general path reads first; its errors are that path's
    if page.flags != LEAF:
        return _GENERAL
    hit = _leaf_find(page.buf, page.base, (b"target",))
    if hit is None:
        return _GENERAL
    flags, value = hit.get(b"target", (0, None))
    if value is None or not flags & BUCKET_LEAF_FLAG:
        return None  # no target bucket: bucket() gives None
    if len(value) < BUCKET_HEADER.size + PAGE_HEADER.size or image.depth + 1 > MAX_DEPTH:
        return _GENERAL
    if BUCKET_HEADER.unpack_from(value, 0)[0] != 0:
        return _GENERAL  # a target bucket with pages of its own
    got = _leaf_find(value, BUCKET_HEADER.size, TARGET_KEYS)
    if got is None:
        return _GENERAL
    reader.stats.inline_buckets += 1
    return [None if k not in got or got[k][0] & BUCKET_LEAF_FLAG else got[k][1] for k in TARGET_KEYS]


def _leaf_find(buf: bytes, base: int, keys: tuple[bytes, ...]) -> dict[bytes, tuple[int, bytes]] | None:
    """The first element of each of *keys* in the leaf page at *base* of *buf*, scanning in order
    until all are found; None if the page or an element scanned fails a check of the reader's."""
    end = len(buf)
    _, flags, count, _ = PAGE_HEADER.unpack_from(buf, base)
    start = base + PAGE_HEADER.size
    stop = start + count * ELEMENT_SIZE
    if flags != LEAF or stop > end:
        return None
    found: dict[bytes, tuple[int, bytes]] = {}
    unpack = LEAF_ELEMENT.unpack_from  # per element: cheaper than iter_unpack over a slice for a few elements
    for off in range(start, stop, ELEMENT_SIZE):
        eflags, pos, ksize, vsize = unpack(buf, off)
        k0 = off + pos
        k1 = k0 + ksize
        if k1 + vsize > end:
            return None
        key = buf[k0:k1]
        if key in keys and key not in found:
            found[key] = (eflags, buf[k1 : k1 + vsize])
            if len(found) == len(keys):
                break
    return found


def blob_sizes(blobs_dir: Path, errors: list[str], listed: Mapping[str, Mapping[str, int]] | None = None) -> dict[str, int]:
    """Digest -> size of every blob file in the content store.

    *listed*: directory listings with sizes already read by the byte count
    (:func:`backend.inspect.sizes.disk_usage`'s ``listed``); a directory found there is not read again.
    """
    sizes: dict[str, int] = {}
    try:
        algos = [e for e in os.scandir(blobs_dir) if e.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return sizes
    except OSError as exc:
        errors.append(f"{blobs_dir}: cannot be listed ({exc.strerror or exc}); image sizes are unknown")
        return sizes
    for algo in algos:
        known = listed.get(algo.path) if listed else None
        if known is not None:
            sizes.update((f"{algo.name}:{name}", size) for name, size in known.items())
            continue
        try:
            with os.scandir(algo.path) as entries:
                for entry in entries:
                    try:
                        sizes[f"{algo.name}:{entry.name}"] = entry.stat(follow_symlinks=False).st_size
                    except OSError:
                        continue
        except OSError as exc:
            errors.append(f"{algo.path}: cannot be listed ({exc.strerror or exc}); image sizes are unknown")
    return sizes


def image_blob_size(blobs_dir: Path | str, sizes: dict[str, int], digest: str, cache: dict[str, set[str]]) -> int | None:
    """Bytes of the local blobs reachable from *digest*; None when the target itself is absent."""
    if digest not in sizes:
        return None
    reached = _reach(str(blobs_dir), sizes, digest, cache, 0)
    return sum(sizes[d] for d in reached)


def _read_blob(blobs_dir: str, digest: str) -> bytes:
    # A string path: pathlib's joins cost more than the read. The digest is a listed file's name.
    algo, _, hexd = digest.partition(":")
    return read_bytes(f"{blobs_dir}/{algo}/{hexd}")


def _reach(blobs_dir: str, sizes: dict[str, int], digest: str, cache: dict[str, set[str]], depth: int) -> set[str]:
    if digest in cache:
        return cache[digest]
    reached = {digest}
    cache[digest] = reached  # a reference back to itself ends here
    if depth > MAX_DESCENT:
        return reached
    try:
        doc = parse_json(_read_blob(blobs_dir, digest))
    except (OSError, ValueError):
        return reached
    if not isinstance(doc, dict):
        return reached
    config = doc.get("config")
    leaves = _digests(doc, "layers") + ([config["digest"]] if isinstance(config, dict) and isinstance(config.get("digest"), str) else [])
    for child in _digests(doc, "manifests"):
        if child in sizes:
            reached |= _reach(blobs_dir, sizes, child, cache, depth + 1)
    reached.update(sizes.keys() & leaves)
    return reached


def _digests(doc: dict, key: str) -> list[str]:
    items = doc.get(key)
    return [i["digest"] for i in items if isinstance(i, dict) and isinstance(i.get("digest"), str)] if isinstance(items, list) else []


def inspect_containerd(
    root: Path, roots: list[str] | None = None, namespace: str = NAMESPACE, with_sizes: bool = True,
    listed: Mapping[str, Mapping[str, int]] | None = None,
) -> StoreInventory:
    """Images of the containerd store under *root* (``DATA/containerd/daemon`` or ``/var/lib/containerd``).

    *listed*: the blob directories' listings when the byte count has read them (see :func:`blob_sizes`).
    """
    root = Path(root)
    inv = StoreInventory(Store.CONTAINERD, roots if roots is not None else [str(root)])
    meta_db = root / META_DB
    if not root.exists():
        inv.notes.append(f"{root} does not exist: the containerd store was never used here")
        return inv
    blobs_dir = root / BLOBS
    sizes = blob_sizes(blobs_dir, inv.errors, listed) if with_sizes else {}
    try:
        targets = read_consistent(meta_db, lambda r: read_image_targets(r, namespace))
    except BboltError as exc:
        if not meta_db.exists() and not sizes:
            inv.notes.append(f"{meta_db} does not exist: the containerd store holds no images yet")
        else:
            inv.errors.append(f"{exc}; image names of the containerd store are unknown")
        return inv
    cache: dict[str, set[str]] = {}
    for name, digest, _media, _size in sorted(targets):
        size = image_blob_size(blobs_dir, sizes, digest, cache) if with_sizes else None
        if name.startswith(DANGLING_PREFIX):
            inv.images.append(ImageRecord(None, digest, size))
        elif is_tag(name):
            inv.images.append(ImageRecord(familiar_name(name), digest, size))
        else:  # a digest reference (repo@sha256:...): the image counts, the name is no tag
            inv.images.append(ImageRecord(None, digest, size))
    # One image per target digest: drop the untagged record of a digest that also has a name.
    named = {i.id for i in inv.images if i.name}
    seen_untagged: set[str] = set()
    kept = []
    for image in inv.images:
        if image.name is None:
            if image.id in named or image.id in seen_untagged:
                continue
            seen_untagged.add(image.id)
        kept.append(image)
    inv.images = kept
    return inv
