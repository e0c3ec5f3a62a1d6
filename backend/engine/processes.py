"""The engine's processes as the kernel sees them: find by command line, wait, terminate.

A pidfile says which process an engine was, but not always in time: dockerd writes its pidfile
a few milliseconds after it starts, so a storeswitch killed in that window leaves a dockerd no
pidfile names, and the next start would put a second dockerd on the same data-root (issue 13,
point 10). The managed engine therefore also looks for its processes by their command line in
``/proc``: every process it starts names the profile's own paths there (``--pidfile``,
``--config``). Cheap: one read per process (docs/performance.md).

Why by hand: psutil would do the scan, but it is one more compiled dependency for a dozen lines
over ``/proc``, which is all a Linux-only engine needs.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Callable

POLL_INTERVAL = 0.01


def cmdline(pid: int) -> list[str] | None:
    """The process's arguments, or None when it is gone (or a kernel thread)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    if not raw:
        return None
    return raw.rstrip(b"\0").decode("utf-8", "replace").split("\0")


def has_option(argv: list[str], flag: str, value: str) -> bool:
    """True when *argv* holds ``flag value`` or ``flag=value``."""
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv) and argv[i + 1] == value:
            return True
        if arg == f"{flag}={value}":
            return True
    return False


def program(argv: list[str]) -> str:
    return os.path.basename(argv[0]) if argv else ""


def find(match: Callable[[list[str]], bool]) -> list[int]:
    """Pids of the live (not zombie) processes whose arguments *match*, lowest first."""
    found = []
    me = os.getpid()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        if pid == me:
            continue
        argv = cmdline(pid)
        if argv and match(argv) and not is_zombie(pid):
            found.append(pid)
    return sorted(found)


def accepts(socket_path: os.PathLike | str) -> bool:
    """True when something listens on the unix socket *socket_path* (a connect, nothing sent)."""
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(os.fspath(socket_path))
        except OSError:
            return False
    return True


def running(pidfile: Path, match: Callable[[list[str]], bool]) -> int | None:
    """The process a pidfile names, if it runs and *match*es; else the first such process in /proc."""
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        pid = None
    if pid is not None:
        argv = cmdline(pid)
        if argv and match(argv) and not is_zombie(pid):
            return pid
    found = find(match)
    return found[0] if found else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if is_zombie(pid):
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        return False
    return True


def is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def terminate(pid: int, timeout: float) -> None:
    """SIGTERM *pid* and wait for it to end; SIGKILL it after *timeout* seconds."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if wait_gone(pid, timeout):
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    wait_gone(pid, None)


def wait_gone(pid: int, timeout: float | None) -> bool:
    """Wait until *pid* has ended (True), or *timeout* seconds have passed (False).

    Through a pidfd (Linux 5.3+), which becomes readable the moment the process ends: a switch
    waits for dockerd to exit, and every poll interval lost there is time the user waits beyond
    a plain restart. Where there is no pidfd, the state is polled every 10 ms.
    """
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        import select

        try:
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            poller.poll(None if timeout is None else max(timeout, 0.0) * 1000)
        finally:
            os.close(fd)
        if not alive(pid):
            return True
        if timeout is not None:
            return False
    deadline = None if timeout is None else time.monotonic() + timeout
    while alive(pid):
        if deadline is not None and time.monotonic() >= deadline:
            return False
        time.sleep(POLL_INTERVAL)
    return True
