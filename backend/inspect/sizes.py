"""Bytes used by a store's roots, and free space on their file systems.

``du -sb`` semantics, so a support person can check a figure by hand: apparent sizes (``st_size``)
of every file, directory and symlink under the roots, each hard-linked inode counted once across
all roots, symlinks never followed. Unlike plain ``du`` the walk stays on each root's file system
(like ``du -x``): a running container's ``merged`` overlay mount shows the layers again and
would count them twice. Written with ``os.scandir`` (the cached ``d_type`` spares a stat for
every directory test); ``shutil.disk_usage`` gives the free space.

A directory that cannot be read is reported in ``errors`` and the walk goes on: the figure is
then a lower bound, and says so. A big store's count is made by ``find`` beside the reading
instead (:mod:`backend.inspect.counting`), summed with these same rules, and by this walk wherever
``find``'s answer could differ from it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable


@dataclass
class DiskUsage:
    bytes: int = 0
    files: int = 0
    errors: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # roots that do not exist (a store never used)
    listed: dict[str, dict[str, int]] = field(default_factory=dict)  # see disk_usage's record_under


def disk_usage(
    roots: Iterable[os.PathLike | str],
    progress: Callable[[int], None] | None = None,
    record_under: Iterable[str] = (),
) -> DiskUsage:
    """Apparent bytes under *roots*, hard links once, symlinks not followed, one file system per root.

    *progress*, if given, is called now and then with the number of entries seen so far (big
    stores take seconds; the GUI shows it). For each directory walked whose parent is one of
    *record_under* (paths spelled as under *roots*), ``listed[its path]`` keeps ``{name: st_size}``
    of every entry it could stat, once its whole listing was read: the containerd store's blob
    sizes, so that they are not stat'ed a second time (docs/performance.md).
    """
    usage = DiskUsage()
    seen_inodes: set[tuple[int, int]] = set()
    record = {str(p) for p in record_under}
    for root in roots:
        root = Path(root)
        try:
            st = root.lstat()
        except FileNotFoundError:
            usage.missing.append(str(root))
            continue
        except OSError as exc:
            usage.errors.append(f"{root}: cannot be read ({exc.strerror or exc})")
            continue
        if not _count(st, seen_inodes):
            continue
        usage.bytes += st.st_size
        usage.files += 1
        if not _is_dir(st):
            continue
        _walk(root, st.st_dev, usage, seen_inodes, progress, record)
    return usage


def _is_dir(st: os.stat_result) -> bool:
    return (st.st_mode & 0o170000) == 0o040000


def _count(st: os.stat_result, seen: set[tuple[int, int]]) -> bool:
    """False when this inode was counted already (a hard link, or the same root given twice)."""
    if st.st_nlink > 1 or _is_dir(st):
        key = (st.st_dev, st.st_ino)
        if key in seen:
            return False
        seen.add(key)
    return True


def _walk(
    top: Path,
    device: int,
    usage: DiskUsage,
    seen: set[tuple[int, int]],
    progress: Callable[[int], None] | None,
    record: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    # _count and _is_dir written out, and the totals kept in locals: at ~100,000 entries the
    # Python around each lstat costs as much as the lstat itself (docs/performance.md).
    stack = [str(top)]
    total, files = usage.bytes, usage.files
    errors = usage.errors
    try:
        while stack:
            path = stack.pop()
            kept: dict[str, int] | None = {} if record and path.rpartition("/")[0] in record else None
            try:
                with os.scandir(path) as entries:
                    for entry in entries:
                        try:
                            st = entry.stat(follow_symlinks=False)
                        except OSError as exc:
                            errors.append(f"{entry.path}: cannot be read ({exc.strerror or exc})")
                            continue
                        if kept is not None:
                            kept[entry.name] = st.st_size
                        if st.st_dev != device:
                            continue  # a mount point (a running container's merged dir): not this store's bytes
                        is_dir = (st.st_mode & 0o170000) == 0o040000
                        if is_dir or st.st_nlink > 1:
                            key = (device, st.st_ino)
                            if key in seen:
                                continue  # a hard link (or a directory) counted already
                            seen.add(key)
                        total += st.st_size
                        files += 1
                        if progress is not None and files % 5000 == 0:
                            progress(files)
                        if is_dir:
                            stack.append(entry.path)
                if kept is not None:
                    usage.listed[path] = kept
            except OSError as exc:
                errors.append(f"{path}: cannot be listed ({exc.strerror or exc}); its contents are not counted")
    finally:
        usage.bytes, usage.files = total, files


def free_space(paths: Iterable[os.PathLike | str]) -> tuple[int | None, list[dict]]:
    """Free bytes for the user on the file system of each path (its nearest existing parent).

    Returns the smallest free figure (what limits the store) and one entry per distinct file system.
    """
    found: dict[int, dict] = {}
    for path in paths:
        probe = Path(path)
        while not os.path.exists(probe) and probe != probe.parent:  # False also where stat is denied (a user, a root-only dir)
            probe = probe.parent
        try:
            dev = probe.stat().st_dev
            total, _, free = shutil.disk_usage(probe)
        except OSError:
            continue
        found.setdefault(dev, {"path": str(probe), "free_bytes": free, "total_bytes": total})
    entries = list(found.values())
    return (min(e["free_bytes"] for e in entries) if entries else None), entries
