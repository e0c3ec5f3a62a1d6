"""Atomic file writes: temp file in the same directory, fsync, rename, fsync the directory.

Every file storeswitch writes goes through :func:`write_atomic`, so that a crash (or a SIGKILL
from the crash-safety tests) leaves either the old bytes or the new bytes, never a torn file.
The file's owner and mode are kept when it already exists (daemon.json belongs to root on a
system engine and must stay readable by it).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace *path* with *data* atomically, keeping the existing owner and mode."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        st = path.stat()
    except FileNotFoundError:
        st = None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if st is not None:
            os.chmod(tmp, st.st_mode & 0o7777)
            try:
                os.chown(tmp, st.st_uid, st.st_gid)
            except PermissionError:
                pass  # not ours to give away; the mode is still kept
        elif mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(path.parent)


def write_json_atomic(path: Path, obj: Any, mode: int | None = None) -> None:
    """Write *obj* as indented UTF-8 JSON (non-ASCII kept as is) via :func:`write_atomic`."""
    text = json.dumps(obj, indent=2, ensure_ascii=False) + "\n"
    write_atomic(path, text.encode("utf-8"), mode=mode)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
