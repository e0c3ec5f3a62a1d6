"""The switch lock, and what runs under it outside a switch (an engine restart, ``engine start|stop``).

One lock file in the profile's state directory (filelock) is held by every switch, reclaim and
recovery, and by everything else that stops or starts an engine, so that none of them runs into
the middle of another storeswitch's switch. A held lock is refused at once
(:class:`SwitchInProgress`), never waited for.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Iterator

from backend.errors import SwitchInProgress
from backend.fs_errors import file_error
from backend.profile import Profile
from backend.targets.base import Target

if TYPE_CHECKING:
    from filelock import FileLock

Progress = Callable[[str, str], None]  # (step id, sentence for people)


def _no_progress(step: str, message: str) -> None:
    pass


def switch_lock(profile: Profile) -> FileLock:
    from filelock import FileLock  # here: loading filelock is a cost only a switch (or recovery) needs

    try:
        profile.state_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise file_error(exc, profile.state_dir, "creating storeswitch's state directory", "nothing was changed") from exc
    return FileLock(str(profile.lock_path), timeout=0)


def acquire(lock: FileLock) -> None:
    from filelock import Timeout

    try:
        lock.acquire()
    except Timeout as exc:
        raise SwitchInProgress(
            f"a switch is in progress (lock {lock.lock_file} is held by another storeswitch); "
            "wait for it to finish, then try again"
        ) from exc
    except OSError as exc:
        raise file_error(exc, lock.lock_file, "taking the switch lock", "nothing was changed") from exc


@contextmanager
def held_unless_busy(profile: Profile) -> Iterator[bool]:
    """The switch lock held for the block (True), or False at once when another process holds it.

    Recovery's way in: a process that holds the lock is alive, and the journal it wrote is its own.
    """
    from filelock import Timeout

    lock = switch_lock(profile)
    try:
        lock.acquire()
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def under_lock(profile: Profile, work: Callable[[], object]) -> object:
    """Run *work* holding the switch lock (:class:`SwitchInProgress` at once when another holds it).

    Everything that stops or starts an engine outside a switch takes it (``engine start|stop``, the
    window's Start and Restart), so none of them runs into the middle of a switch by another storeswitch.
    """
    lock = switch_lock(profile)
    acquire(lock)
    try:
        return work()
    finally:
        lock.release()


def restart_engine(target: Target, profile: Profile, progress: Progress = _no_progress) -> str:
    """Stop and start *target*'s engine under the switch lock; the engine's words for what it runs now.

    A plain restart (the Troubleshoot tab's): no journal, no verify, no rollback; the engine comes back
    on whatever its config names. The engine-state sentence is ``backend.stores.store_phrase``'s.
    """
    from backend.stores import store_phrase

    def work() -> str:
        progress("stop", "Stopping the engine…")
        target.stop()
        progress("start", "Starting the engine…")
        target.start()
        progress("check", "Asking the engine what it runs…")
        with target.client(timeout=10) as client:
            return store_phrase(client.info())

    return under_lock(profile, work)
