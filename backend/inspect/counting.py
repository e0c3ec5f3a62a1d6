"""A big store's byte count made by GNU ``find`` in a process of its own, beside the reading.

An exact count ``lstat``s every entry under a store's roots: at 10,000 classic images that is
80,000 entries in 30,000 directories, 0.6-0.8 s of CPU in Python (its own work around each
``lstat`` costs as much as the system call), ~0.45 s in ``find``, which moreover runs on the other
core while this process reads the images. Threads do not overlap the two (under one GIL they took
turns and were slower), a process does (figures: docs/performance.md).

What ``find`` prints is summed here with :func:`backend.inspect.sizes.disk_usage`'s rules (``du
-sb`` semantics): apparent sizes of every entry, directories included, each inode with more than
one link counted once across the roots, entries on another file system (a mount point: ``-xdev``
does not descend into it, and it is skipped as the walk skips it) not counted. Not ``du -sb``
itself: since coreutils 9.2 it counts directories as 0 bytes (coreutils commit 110bcd28, "du:
--apparent counts only symlinks and regular"), 9.1 counts their ``st_size``, so the figure would
depend on the host's coreutils; ``find -printf`` prints ``st_size`` on every version.

``find`` prints on separate pipes so that the common case is summed at C speed: one line per
file with one link (``dev size`` on stdout), one per directory or multiply linked file (``type dev
inode size``, ``-fprintf /dev/fd/N``; deduplicated here), and, for the containerd store, one entry
per blob (``name size``, one pipe per blob directory): the blob sizes the reading needs, the very
listings the walk keeps with ``record_under``, so that the blobs are not stat'ed twice. Wherever the
exact answer could differ from the walk's, the walk is made here instead, which gives the very
figures and ``errors`` sentences it always did: ``find`` missing or failing (any unreadable
directory or vanished file makes it exit non-zero), output not as expected, roots on two file
systems, or a directory met twice (a root given twice or inside another, a bind mount inside a
root: the walk counts it once). Only a store that looks big is counted apart (a process start
costs more than counting a few hundred images). Nothing is written; ``find`` is killed if the
caller leaves early.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable, Iterable, Sequence

from backend.inspect.sizes import DiskUsage, disk_usage

APART_FROM = 500  # subdirectories of a store's roots (layer directories): where a process of its own pays
BLOB_DIR_BYTES = 64 * 1024  # a blob directory's own size when it holds ~500 blobs (ext4: ~120 bytes per entry here)
_PLAIN = "%D %s\\n"  # a file with one link: device, size
_MULTI = "%y %D %i %s\\n"  # a directory or a file with several links: type, device, inode, size
_LISTED = "%f\\0%s\\0"  # an entry of a directory whose listing the reading reuses: name, size
_FS_ENCODING = sys.getfilesystemencoding()  # os.fsdecode's, applied to all of find's names at once
_PIPE = 1 << 20  # find's pipes enlarged to 1 MiB (Linux's limit for a user): fewer wake-ups of the threads that drain them


def worth_apart(roots: Iterable[os.PathLike | str], record_under: Iterable[str] = ()) -> bool:
    """Whether counting *roots* in a process of its own should pay off.

    A directory's link count is 2 + its subdirectories on ext4, xfs and overlayfs (one ``lstat``
    per root); a file system that does not keep that count (btrfs: always 1) is assumed big. The
    containerd store keeps its blobs as files in one directory: that directory's own size.
    """
    subdirs = 0
    for root in roots:
        try:
            st = os.lstat(root)
        except OSError:
            continue
        if (st.st_mode & 0o170000) != 0o040000:
            continue
        if st.st_nlink < 2:
            return True
        subdirs += st.st_nlink - 2
    for where in record_under:
        try:
            if os.lstat(os.path.join(where, "sha256")).st_size >= BLOB_DIR_BYTES:
                return True
        except OSError:
            continue
    return subdirs >= APART_FROM


class _Find:
    """One ``find`` over root directories of one file system, its output streams drained by threads:
    plain lines (stdout), multi lines, and one stream per directory in *listed*."""

    def __init__(self, find: str, roots: list[str], listed: list[str], tick: Callable[[int], None]) -> None:
        self.chunks: list[list[bytes]] = [[] for _ in range(2 + len(listed))]
        self.tick = tick
        self.proc: subprocess.Popen[bytes] | None = None
        self.threads: list[threading.Thread] = []
        pipes = [os.pipe() for _ in range(1 + len(listed))]
        starts = [r if r.startswith("/") else "./" + r for r in roots]  # never taken for an option
        expression = ["(", "-type", "d", "-o", "-links", "+1", ")", "-fprintf", f"/dev/fd/{pipes[0][1]}", _MULTI,
                      "-o", "-printf", _PLAIN]
        if listed:  # "( -path D1/* -fprintf fd1 ... -o -path D2/* ... -o -true ) , ( the count )"
            choices: list[str] = []
            for where, (_, write_end) in zip(listed, pipes[1:]):
                choices += ["-path", _glob_escape(where) + "/*", "!", "-path", _glob_escape(where) + "/*/*",
                            "-fprintf", f"/dev/fd/{write_end}", _LISTED, "-o"]
            expression = ["(", *choices, "-true", ")", ",", "(", *expression, ")"]
        try:
            self.proc = subprocess.Popen(
                [find, *starts, "-xdev", "-mindepth", "1", *expression],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                pass_fds=[write_end for _, write_end in pipes], env={**os.environ, "LC_ALL": "C"},
            )
        except OSError:
            for read_end, _ in pipes:
                os.close(read_end)
            return
        finally:
            for _, write_end in pipes:
                os.close(write_end)
        assert self.proc.stdout is not None
        fds = [self.proc.stdout.fileno()] + [read_end for read_end, _ in pipes]
        self.threads = [threading.Thread(target=self._drain, args=(fd, self.chunks[i], i > 0, i < 2), daemon=True)
                        for i, fd in enumerate(fds)]
        for thread in self.threads:
            thread.start()

    def _drain(self, fd: int, into: list[bytes], close: bool, lines: bool) -> None:
        try:
            try:
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE)
            except OSError:
                pass  # the default 64 KiB: more wake-ups, same lines
            while chunk := os.read(fd, _PIPE):
                into.append(chunk)
                if lines:
                    self.tick(chunk.count(b"\n"))
        except OSError:
            into.append(b"?")  # not a line of numbers: the parse fails, the walk is made instead
        finally:
            if close:
                os.close(fd)

    def output(self) -> list[bytes] | None:
        """[plain lines, multi lines, each listed directory's entries], or None when ``find`` did not finish cleanly."""
        if self.proc is None:
            return None
        for thread in self.threads:
            thread.join()
        code = self.proc.wait()
        self.proc.stdout.close()  # type: ignore[union-attr]
        return [b"".join(chunks) for chunks in self.chunks] if code == 0 else None

    def close(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
        self.output()


def _to_list(record_under: list[str], device: int) -> list[tuple[str, bytes]]:
    """The directories in *record_under* whose listings the walk would keep (see disk_usage), with their inodes."""
    found = []
    for where in record_under:
        try:
            with os.scandir(where) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        st = entry.stat(follow_symlinks=False)
                        if st.st_dev == device:
                            found.append((entry.path, b"%d" % st.st_ino))
        except OSError:
            continue  # the walk meets the same error, or find does and the walk is made
    return found


def _glob_escape(path: str) -> str:
    """*path* as a ``find -path`` pattern that matches only itself."""
    return re.sub(r"([*?[\\])", r"\\\1", path)


class CountApart:
    """``disk_usage(roots, progress, record_under)`` by ``find`` in a process of its own, started now.

    :meth:`result` collects it (or makes the walk here, see the module docstring). *progress* is
    called from the threads that drain ``find``'s output, every 5,000 entries or so, like the
    walk's; :func:`backend.inspect.inventory.inspect_stores`'s progress may come from a thread.
    """

    def __init__(self, roots: Sequence[os.PathLike | str], progress: Callable[[int], None] | None = None,
                 record_under: Iterable[str] = ()) -> None:
        self.roots = [str(Path(r)) for r in roots]
        self.record = [str(p) for p in record_under]
        self.progress = progress
        self._seen = 0
        self._reported = 0
        self._lock = threading.Lock()
        self._find: _Find | None = None
        self.made_by = ""  # after result(): "find", or "walk" where find could not stand in
        self._stats: list[os.stat_result] = []
        self._dirs: list[str] = []
        self._missing: list[str] = []
        self._listed: list[tuple[str, bytes]] = []  # (directory, its inode) whose listing is kept
        find = shutil.which("find")
        for root in self.roots:
            try:
                st = os.lstat(root)
            except FileNotFoundError:
                self._missing.append(root)
                continue
            except OSError:
                return  # the walk words it
            self._stats.append(st)
            if (st.st_mode & 0o170000) == 0o040000:
                self._dirs.append(root)
        devices = {st.st_dev for st in self._stats}
        if find and self._dirs and len(devices) == 1:  # roots on two file systems (rare): the walk
            self._device = devices.pop()
            if all(r.startswith("/") for r in self._dirs):  # else -path would not match what find prints
                self._listed = _to_list(self.record, self._device)
            self._find = _Find(find, self._dirs, [d for d, _ in self._listed], self._tick)

    def _tick(self, lines: int) -> None:
        with self._lock:
            self._seen += lines
            due = self._seen // 5000 * 5000
            if due <= self._reported:
                return
            self._reported = due
        try:
            if self.progress is not None:
                self.progress(due)
        except Exception:  # noqa: BLE001 - a progress report that fails must not cost the count
            pass

    def result(self) -> DiskUsage:
        """The count, the same as ``disk_usage(roots)`` gives."""
        try:
            usage = self._sum()
        finally:
            self.close()
        self.made_by = "find" if usage is not None else "walk"
        return usage if usage is not None else disk_usage(self.roots, self.progress, self.record)

    def _sum(self) -> DiskUsage | None:
        """disk_usage's count from find's lines; None where they cannot stand in for the walk."""
        output = self._find.output() if self._find is not None else None
        if output is None:
            return None
        usage = DiskUsage(missing=list(self._missing))
        seen: set[tuple[bytes, bytes]] = set()
        device = b"%d" % self._device
        for st in self._stats:  # each root directory once (a root given twice: the walk skips the second)
            key = (device, b"%d" % st.st_ino)
            if key in seen:
                if (st.st_mode & 0o170000) == 0o040000:
                    return None  # the walk would count this root once and not walk it again: find did
                continue
            if st.st_nlink > 1 or (st.st_mode & 0o170000) == 0o040000:
                seen.add(key)
            usage.bytes += st.st_size
            usage.files += 1
        if not _add(output[:2], device, usage, seen):
            return None
        for (where, inode), entries in zip(self._listed, output[2:]):
            if (device, inode) not in seen:
                continue  # not walked (on another file system, say): the reading lists it itself, as after the walk
            fields = entries.decode(_FS_ENCODING, "surrogateescape").split("\0")
            if len(fields) % 2 != 1 or fields[-1]:
                return None
            try:
                usage.listed[where] = dict(zip(fields[0:-1:2], map(int, fields[1:-1:2])))
            except ValueError:
                return None
        return usage

    def close(self) -> None:
        """Stop ``find`` if it still runs (the caller left before :meth:`result`)."""
        if self._find is not None:
            self._find.close()


def _add(output: tuple[bytes, bytes], device: bytes, usage: DiskUsage, seen: set[tuple[bytes, bytes]]) -> bool:
    """Add find's lines for one root to *usage*; False when they cannot stand in for the walk."""
    plain, multi = output[0].split(), output[1].split()
    if len(plain) % 2 or len(multi) % 4:
        return False
    try:
        devices = plain[0::2]
        if devices.count(device) == len(devices):
            usage.bytes += sum(map(int, plain[1::2]))
            usage.files += len(devices)
        else:  # a file bind-mounted from another file system: not this store's bytes
            for dev, size in zip(devices, plain[1::2]):
                if dev == device:
                    usage.bytes += int(size)
                    usage.files += 1
        kinds, devices, inodes = multi[0::4], multi[1::4], multi[2::4]
        if kinds.count(b"d") == len(kinds) and devices.count(device) == len(devices):
            # directories only, all on this file system (the usual case): each must be new
            known = len(seen)
            seen.update(zip(devices, inodes))
            if len(seen) != known + len(inodes):
                return False  # a directory met twice (a bind mount, a root inside another): the walk counts it once
            usage.bytes += sum(map(int, multi[3::4]))
            usage.files += len(kinds)
            return True
        for kind, dev, inode, size in zip(kinds, devices, inodes, multi[3::4]):
            if dev != device:
                continue  # a mount point: find did not go in, the walk skips it
            key = (dev, inode)
            if key in seen:
                if kind == b"d":
                    return False  # a directory met twice (a bind mount): the walk counts it once
                continue  # a hard link counted already
            seen.add(key)
            usage.bytes += int(size)
            usage.files += 1
    except ValueError:
        return False
    return True
