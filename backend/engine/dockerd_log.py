"""Picking dockerd's own reason for a failure out of what it printed.

dockerd logs many lines before it gives up; the one a user needs ("unable to configure the
Docker daemon with file ...: ...") is usually not the last. The managed engine (its log files,
dockerd's and containerd's) and the service targets (systemctl/journalctl output,
``dockerd --validate``) both quote it.
"""

from __future__ import annotations

from pathlib import Path

# Most telling first: the first word that matches any line decides, and its last line wins.
ERROR_WORDS = ("unable to configure", "failed to start daemon", "level=fatal", "level=error", "invalid", "error")


def last_error_line(text: str) -> str | None:
    """The last line holding the most telling error word, else the last line; None for no text."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for key in ERROR_WORDS:
        hits = [ln for ln in lines if key in ln.lower()]
        if hits:
            return hits[-1]
    return lines[-1] if lines else None


def reason_since(log: Path, offset: int, program: str) -> str:
    """*program*'s own words for why it stopped: the telling line logged in *log* since *offset*."""
    try:
        with open(log, "rb") as fh:
            fh.seek(offset)
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return f"(no {program} log)"
    return last_error_line(text) or f"({program} printed nothing)"
