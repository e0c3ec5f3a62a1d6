"""The one privileged step of switching the system engine, for a user who is not root.

``/etc/docker/daemon.json`` belongs to root, and so does restarting ``docker.service``. Rather
than run storeswitch as root, the ``system`` target runs this small program through ``pkexec``
(polkit action ``io.storeswitch.switch``, ``resources/io.storeswitch.switch.policy``). It does
the write *and* the restart, so one authorization (kept for a few minutes: ``auth_admin_keep``)
covers a switch and, if the engine refuses it, the rollback too. Everything else (reading the
file, ``dockerd --validate``, the journal, verifying ``/info``) stays unprivileged.

It accepts exactly these command lines and nothing else::

    storeswitch-helper switch classic
    storeswitch-helper switch containerd
    storeswitch-helper rollback            # the pre-switch daemon.json on stdin (empty: there was none)

* No paths, no extra arguments, no options: anything else exits 2 and touches nothing.
* It edits ``/etc/docker/daemon.json`` only: a symbolic link there (or a linked
  ``/etc/docker``), anything but a regular file, a file over 1 MiB, or a file it cannot parse
  strictly (duplicate keys, NaN, not an object) is refused and left as it was.
* ``switch`` changes what :func:`backend.daemon_config.set_store` changes (the store key, and a
  ``storage-driver`` the new store has no such thing as), byte for byte what the unprivileged
  side computed; it verifies nothing else about the file and needs nothing else.
* ``rollback`` puts back the bytes from stdin only if switching *them* to the store the file
  asks for now gives exactly the file as it is now; so it can undo a switch but cannot be used to
  write anything a switch could not have written. Empty stdin removes a file that holds nothing
  but what a switch adds to a missing file.
* Writes are atomic (a temporary file beside daemon.json, renamed over it) and keep the file's
  owner and mode. The restart is the service manager's that runs the engine here
  (:mod:`backend.service_manager`: ``systemctl restart docker`` where systemd is PID 1, else
  ``rc-service docker restart`` under OpenRC, else Debian's SysV ``service docker restart``),
  detected here and never chosen by the caller; where none is found, nothing is written.
* The caller's environment reaches nothing: commands run with a fixed PATH and the launcher
  starts Python isolated (``-I``: no PYTHONPATH, no user site, no current directory).

For the tests, and for an administrator who is already root, ``STORESWITCH_SYSTEM_CONFIG`` and
``STORESWITCH_RESTART_CMD`` replace the file and the restart command, but only when the caller was
root already (real uid 0, not started by pkexec): they grant nothing. pkexec starts programs
with a clean environment anyway.

Exit codes: 0 done; 1 refused (nothing written); 2 bad usage; 3 written, but the engine did not
restart (the message has the reason; the caller then rolls back); 4 not root. stdout gets one
JSON line for the caller (``operation``, ``written``, ``restarted``, ``message``); stderr the
message for people.

Installing: the Debian package (``scripts/build-deb``) installs ``resources/io.storeswitch.switch.policy``
into ``/usr/share/polkit-1/actions/`` and ``resources/storeswitch-helper`` (with ``@PYTHON@`` and
``@SITE@`` filled in) as ``/usr/libexec/storeswitch/storeswitch-helper``, root-owned, mode 0755;
without the package, ``sudo storeswitch install-helper`` does the same under ``/usr/local``
(:mod:`backend.helper_install`).
The policy names that launcher, never the Python interpreter: a polkit action bound to
``python3`` would put this action's prompt on any script.

Why by hand: polkit has no Python binding worth a dependency for one ``pkexec`` call, and the
checks are the point of this module.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.atomic import write_atomic
from backend.daemon_config import edit_store, parse, set_store
from backend.errors import ConfigError
from backend.service_manager import SAFE_PATH, detect
from backend.stores import Store, configured_store

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_RESTART_FAILED, EXIT_NOT_ROOT = 0, 1, 2, 3, 4
DAEMON_JSON = Path("/etc/docker/daemon.json")
MAX_BYTES = 1 << 20
RESTART_TIMEOUT = 180
USAGE = "usage: storeswitch-helper switch classic|containerd  |  storeswitch-helper rollback  (old daemon.json on stdin)"
PROG = "storeswitch-helper"


class Refused(Exception):
    """The request is not one the helper carries out; nothing was written."""

    def __init__(self, message: str, code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Operation:
    kind: str  # "switch" or "rollback"
    store: Store | None = None


def parse_args(argv: list[str]) -> Operation:
    """The operation *argv* asks for; :class:`Refused` (exit 2) for anything else."""
    for arg in argv:
        if "/" in arg or arg.startswith(("~", ".")) or "\x00" in arg:
            raise Refused(f"refused: arguments are never paths ({arg!r}); {USAGE}", EXIT_USAGE)
    if not argv:
        raise Refused(USAGE, EXIT_USAGE)
    kind, rest = argv[0], argv[1:]
    if kind == "switch":
        if len(rest) != 1 or rest[0] not in (Store.CLASSIC.value, Store.CONTAINERD.value):
            shown = " ".join(rest) or "nothing"
            raise Refused(f"refused: `switch` takes exactly one of classic|containerd, got {shown}; {USAGE}", EXIT_USAGE)
        return Operation("switch", Store(rest[0]))
    if kind == "rollback":
        if rest:
            raise Refused(f"refused: `rollback` takes no arguments, got {' '.join(rest)}; {USAGE}", EXIT_USAGE)
        return Operation("rollback")
    raise Refused(f"refused: unknown operation {kind!r}; {USAGE}", EXIT_USAGE)


# --- where and how -------------------------------------------------------------------------
def _caller_was_root() -> bool:
    return os.getuid() == 0 and os.geteuid() == 0 and "PKEXEC_UID" not in os.environ


def config_path() -> Path:
    override = os.environ.get("STORESWITCH_SYSTEM_CONFIG")
    return Path(override) if override and _caller_was_root() else DAEMON_JSON


def restart_command() -> list[str]:
    """The restart command: the detected service manager's (a root caller may give its own)."""
    override = os.environ.get("STORESWITCH_RESTART_CMD")
    if override and _caller_was_root():
        return shlex.split(override)
    manager = detect()
    if not manager.found:
        raise Refused(f"refused: {manager.reason}; nothing was written")
    return list(manager.restart)


# --- reading strictly ----------------------------------------------------------------------
def strict_parse(raw: bytes, name: str) -> dict[str, Any]:
    """daemon.json's rules (:func:`backend.daemon_config.parse`) plus: no duplicate keys, no NaN.

    Two readers of one file must not disagree about it: Python keeps the last of two equal keys
    and reads ``NaN``; refusing both leaves one meaning.
    """
    data = parse(raw, name)

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        dup = next((k for k in keys if keys.count(k) > 1), None)
        if dup is not None:
            raise ConfigError(f"{name}: key {dup!r} appears twice; fix the file by hand")
        return dict(pairs)

    def no_constants(word: str) -> Any:
        raise ConfigError(f"{name}: {word} is not JSON; fix the file by hand")

    text = raw.decode("utf-8-sig")
    if text.strip():
        json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constants)
    return data


def read_current(path: Path) -> tuple[bytes | None, dict[str, Any]]:
    """daemon.json's bytes and data; :class:`Refused` for a link, a non-file, a big or bad file."""
    parent = path.parent
    try:
        pst = os.lstat(parent)
    except FileNotFoundError:
        raise Refused(f"refused: {parent} does not exist: is Docker Engine installed?") from None
    if stat.S_ISLNK(pst.st_mode) or not stat.S_ISDIR(pst.st_mode):
        raise Refused(f"refused: {parent} is not a plain directory (a symbolic link?); nothing was written")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None, {}
    if stat.S_ISLNK(st.st_mode):
        raise Refused(f"refused: {path} is a symbolic link; the helper never writes through a link. Nothing was written.")
    if not stat.S_ISREG(st.st_mode):
        raise Refused(f"refused: {path} is not a regular file; nothing was written")
    if st.st_size > MAX_BYTES:
        raise Refused(f"refused: {path} is larger than {MAX_BYTES} bytes; nothing was written")
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        with os.fdopen(fd, "rb") as fh:
            if os.fstat(fh.fileno()).st_ino != st.st_ino:
                raise Refused(f"refused: {path} changed while it was read; try again")
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise Refused(f"refused: {path} cannot be read ({exc.strerror})") from exc
    try:
        return raw, strict_parse(raw, str(path))
    except ConfigError as exc:
        raise Refused(f"refused: {exc}") from exc


# --- the operations ------------------------------------------------------------------------
def switch(path: Path, store: Store) -> bool:
    """Ask daemon.json for *store*; True when the file changed."""
    raw, data = read_current(path)
    try:
        new = edit_store(raw, data, store)
    except ConfigError as exc:
        raise Refused(f"refused: {exc}") from exc
    if new == raw:
        return False
    write_atomic(path, new, mode=0o644)
    return True


def rollback(path: Path, original: bytes) -> bool:
    """Put back the pre-switch bytes *original* (b"": there was no file); True when the file changed."""
    if len(original) > MAX_BYTES:
        raise Refused(f"refused: the old daemon.json on stdin is larger than {MAX_BYTES} bytes")
    raw, data = read_current(path)
    if raw is None:
        if original:
            raise Refused(f"refused: {path} does not exist, so it cannot be what a switch made of the bytes given")
        return False
    now = configured_store(data)
    try:
        before = strict_parse(original, "the old daemon.json (stdin)") if original else {}
        produced = set_store(before, now)
    except ConfigError as exc:
        raise Refused(f"refused: {exc}") from exc
    if produced != data:
        raise Refused(
            f"refused: the bytes given differ from {path} in more than the image-store setting, so they are "
            "not what it was before a switch (was the file edited since?). Nothing was written; compare the "
            "two by hand."
        )
    if not original:
        path.unlink()
        return True
    if original == raw:
        return False
    write_atomic(path, original, mode=0o644)
    return True


def restart(cmd: list[str]) -> str | None:
    """Run the restart command *cmd*; None when it worked, else the reason."""
    env = dict(os.environ) if _caller_was_root() else {"PATH": SAFE_PATH, "LANG": "C.UTF-8"}
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=RESTART_TIMEOUT)
    except FileNotFoundError:
        return f"`{cmd[0]}` is not installed here, so the engine could not be restarted"
    except subprocess.TimeoutExpired:
        return f"`{shlex.join(cmd)}` did not finish within {RESTART_TIMEOUT} s"
    if proc.returncode == 0:
        return None
    words = [ln.strip() for ln in (proc.stderr or proc.stdout or "").splitlines() if ln.strip()]
    return f"`{shlex.join(cmd)}` failed (exit {proc.returncode}): {' | '.join(words[-3:]) or 'it printed nothing'}"


def run(argv: list[str], stdin: bytes = b"") -> tuple[int, dict[str, Any]]:
    """Carry out *argv*; (exit code, report)."""
    report: dict[str, Any] = {"operation": " ".join(argv[:2]), "written": False, "restarted": False}
    try:
        op = parse_args(argv)
        if os.geteuid() != 0:
            raise Refused(f"{PROG} must run as root, through pkexec (storeswitch does that)", EXIT_NOT_ROOT)
        path = config_path()
        report["config"] = str(path)
        cmd = restart_command()  # before the write: no way to restart, nothing written
        report["restart"] = shlex.join(cmd)
        report["written"] = switch(path, op.store) if op.kind == "switch" else rollback(path, stdin)
    except Refused as exc:
        report["message"] = str(exc)
        return exc.code, report
    why = restart(cmd)
    if why:
        done = "written" if report["written"] else "unchanged"
        report["message"] = f"{path} {done}, but the engine did not restart: {why}"
        return EXIT_RESTART_FAILED, report
    report["restarted"] = True
    what = "switched to the " + op.store.title if op.kind == "switch" else "restored"
    report["message"] = f"{path} {what if report['written'] else 'was already as asked'}; the engine was restarted"
    return EXIT_OK, report


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    stdin = b""
    if argv[:1] == ["rollback"] and len(argv) == 1:
        stdin = sys.stdin.buffer.read(MAX_BYTES + 1)
    code, report = run(argv, stdin)
    print(json.dumps(report, ensure_ascii=False))
    print(f"{PROG}: {report['message']}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
