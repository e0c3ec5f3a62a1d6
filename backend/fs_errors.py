"""File-system errors worded for people: the path, what went wrong, and what to do next.

A full disk, a read-only directory or a directory where a file belongs is not a bug in
storeswitch, and a Python traceback tells the user none of what they need. Every place that
writes storeswitch's or Docker's files turns an :class:`OSError` into a :class:`FileError`
through :func:`file_error`; the CLI prints it like any other refusal, and ``cli.main`` turns any
OSError that still escapes into the same kind of message.
"""

from __future__ import annotations

import errno
import os

from backend.errors import StoreswitchError


class FileError(StoreswitchError):
    """A file or directory could not be read or written; the text names it and the next step."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


def describe(exc: OSError, path: str | os.PathLike | None = None, doing: str = "writing") -> str:
    """One sentence: ``PATH: what failed (why); what to do``."""
    where = str(path or exc.filename or "a file")
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        why, fix = "no space left on the device", "free some space there, then run the command again"
    elif code == errno.EROFS:
        why, fix = "the file system is read-only", "remount it read-write (or use another --profile), then try again"
    elif code in (errno.EACCES, errno.EPERM):
        why, fix = "permission denied", "run as a user who may write it (sudo), or fix its permissions"
    elif code == errno.EISDIR:
        why, fix = "it is a directory where storeswitch expects a file", "move that directory away, then try again"
    elif code == errno.ENOTDIR:
        why, fix = "a part of the path is a file, not a directory", "move that file away, then try again"
    else:
        why, fix = exc.strerror or str(exc), "check the path and its directory, then try again"
    return f"{where}: {doing} failed ({why}); {fix}"


def file_error(exc: OSError, path: str | os.PathLike | None = None, doing: str = "writing", after: str = "") -> FileError:
    """A :class:`FileError` for *exc*; *after* adds what state things are in (e.g. "nothing was changed")."""
    message = describe(exc, path, doing)
    if after:
        message += f". {after[0].upper()}{after[1:]}"
    return FileError(message, str(path or exc.filename or ""))
