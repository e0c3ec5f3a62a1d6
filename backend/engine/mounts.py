"""The bind mount dockerd puts on its own data-root, and taking it away when the engine stops.

At start, dockerd makes its data-root a shared mount; where the directory is not a mount point
it bind-mounts the directory onto itself first, and on shutdown unmounts it again (moby
``daemon/daemon_unix.go``, ``setupDaemonRootPropagation`` and ``cleanupMounts``, with the
``unmount-on-shutdown`` file in its exec-root). That unmount is an ordinary one, so it fails with
EBUSY while another process still has files open through the mount: the managed engine's
containerd keeps its store (``<data-root>/containerd/daemon``, meta.db open) there and outlives
dockerd. Once the mount is left behind, the next dockerd sees a shared mount, forgets the
``unmount-on-shutdown`` file, and nothing ever removes it (issue 13, point 14).

So ``storeswitch engine stop``, after both processes have ended, removes that one mount itself:
only a bind of the data-root onto itself (same device, same directory as the mount below it),
never a file system a user mounted there, and only when nothing uses it any more: the directory
underneath holds the same files.

Why by hand: Python has no umount; ``umount2`` through ctypes is one call, and /proc's
mountinfo is a documented line format (proc(5)).
"""

from __future__ import annotations

import ctypes
import errno
import os
from dataclasses import dataclass
from pathlib import Path

@dataclass(frozen=True)
class Mount:
    mount_id: int
    parent_id: int
    device: str
    root: str  # the directory of the file system mounted here
    mount_point: str


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes (\\040 ...)."""
    if "\\" not in field:
        return field
    return field.encode().decode("unicode_escape").encode("latin-1").decode("utf-8", "replace")


def mounts(mountinfo: str | None = None) -> list[Mount]:
    text = Path("/proc/self/mountinfo").read_text() if mountinfo is None else mountinfo
    found = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 5:
            continue
        found.append(Mount(int(f[0]), int(f[1]), f[2], _unescape(f[3]), _unescape(f[4])))
    return found


def self_binds(path: Path, table: list[Mount] | None = None) -> list[Mount]:
    """The mounts on *path* that bind *path* onto itself, topmost last."""
    table = mounts() if table is None else table
    by_id = {m.mount_id: m for m in table}
    target = os.path.normpath(str(path))
    found = []
    for m in table:
        if m.mount_point != target:
            continue
        parent = by_id.get(m.parent_id)
        if parent is None or parent.device != m.device:
            continue
        below = os.path.relpath(target, parent.mount_point)
        expected = os.path.normpath(os.path.join(parent.root, below))
        if m.root == expected:
            found.append(m)
    return found


def release_self_bind(path: Path) -> int:
    """Unmount every bind of *path* onto itself; returns how many were removed.

    One still in use (EBUSY: containers kept running by ``live-restore`` have their root file
    systems mounted below it, or a shell sits in it) is left as it is, never detached lazily:
    those mounts must stay where the next dockerd looks for them. The next stop tries again.
    """
    removed = 0
    libc = None
    for _ in self_binds(path):
        if libc is None:
            libc = ctypes.CDLL(None, use_errno=True)
        if libc.umount2(os.fsencode(os.path.normpath(str(path))), 0) != 0:
            err = ctypes.get_errno()
            if err == errno.EBUSY:
                break
            raise OSError(err, f"could not unmount dockerd's bind mount of {path}: {os.strerror(err)}")
        removed += 1
    return removed
