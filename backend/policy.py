"""The administrator's policy for the image store: ``/etc/storeswitch/policy.toml``.

Fleets decide the store for many machines at once. An administrator writes one small TOML file
(``STORESWITCH_POLICY=FILE`` points at another one, for QA and tests)::

    schema_version = 1
    store = "containerd"        # "classic" | "containerd"                       (required)
    locked = true               # users may not switch away from it         (default false)
    snapshotter = "overlayfs"   # containerd only: the store's snapshotter       (optional)
    allow_force = false         # --force cannot override a blocker known issue (default true)
    message = "Fleet standard since March; ask #platform before changing it."    (optional)

What each front end does with it:

* **locked**: ``storeswitch switch`` to another store (or, on the containerd store, another
  snapshotter than the policy's; overlayfs, the default, when it names none) is refused with exit code 5, naming this file and its message; the GUI shows the checkbox and
  the snapshotter choice disabled with "Set by your administrator" and the message.
* **unlocked**: the store the GUI suggests on first run, and what ``storeswitch apply-policy``
  brings the engine to; users may switch away.
* **allow_force = false**: a blocker known issue cannot be overridden with ``--force`` (exit 5).

Trust. The file is honoured only when no one but root can change it: owned by root, not
writable by group or others, and the same for every directory above it (a world-writable
directory with the sticky bit, like /tmp, is fine: others cannot replace root's file there), as
OpenSSH's StrictModes checks ``authorized_keys``. Otherwise it is **ignored with a warning**: a
file anyone may write would let anyone lock everyone. A missing file is no policy.

An honoured file that cannot be used (bad TOML, an unknown key, a wrong type, a newer schema,
unreadable) is **not** ignored: ignoring it would quietly unlock a machine the administrator
locked. Switching is refused (exit 5) until it is fixed, and the GUI shows the choice locked with
the problem; commands that only read (status, known-issues, diagnose) keep working.

The policy steers storeswitch; it is not an access control: whoever may write the engine's
daemon.json by hand still can.

Hand-written on :mod:`tomllib` (the standard library's parser): a schema of five keys does not
need a validation library, and the errors must name this file, the key and the next step.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.errors import StoreswitchError
from backend.stores import DEFAULT_SNAPSHOTTER, Store

DEFAULT_POLICY_PATH = Path("/etc/storeswitch/policy.toml")
ENV_VAR = "STORESWITCH_POLICY"

# Schema version bump rules: no bump for an added optional key (older files stay valid); bump for
# a changed default, a rename or a removal. A file of a newer version than this is refused (its
# meaning is unknown here), never read as if it were this one.
SCHEMA_VERSION = 1

EXIT_POLICY = 5  # the CLI's exit code for a switch refused by the administrator's policy

_KEYS: dict[str, type] = {"schema_version": int, "store": str, "locked": bool, "snapshotter": str,
                          "allow_force": bool, "message": str}
_TYPE_WORDS = {int: "an integer", str: "a string", bool: "true or false"}


class PolicyRefused(StoreswitchError):
    """The administrator's policy refuses what was asked; the message names the file (exit 5)."""


@dataclass(frozen=True)
class Policy:
    """A policy file that was read and is trusted."""

    path: Path
    store: Store
    locked: bool = False
    snapshotter: str | None = None
    allow_force: bool = True
    message: str = ""

    @property
    def locked_snapshotter(self) -> str | None:
        """The snapshotter a locked containerd policy holds the machine on: its own, else the default."""
        if not self.locked or self.store is not Store.CONTAINERD:
            return None
        return self.snapshotter or DEFAULT_SNAPSHOTTER

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "store": self.store.value, "locked": self.locked,
                "snapshotter": self.snapshotter, "allow_force": self.allow_force, "message": self.message}


@dataclass(frozen=True)
class PolicyState:
    """What was found at the policy's path.

    Exactly one of: ``policy`` (trusted and valid), ``error`` (trusted but unusable: switching is
    refused), ``warning`` (not trusted: ignored), or none of them (no file: no policy).
    """

    path: Path
    policy: Policy | None = None
    error: str | None = None
    warning: str | None = None

    @property
    def locked(self) -> bool:
        """True when users may not choose the store (a locked policy, or one that cannot be read)."""
        return self.error is not None or (self.policy is not None and self.policy.locked)

    @property
    def allow_force(self) -> bool:
        return self.error is None and (self.policy is None or self.policy.allow_force)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": str(self.path), "found": self.policy is not None or self.error is not None}
        if self.policy is not None:
            data.update(self.policy.as_dict())
        data.update(error=self.error, warning=self.warning)
        return data

    # --- the one gate every front end calls ---------------------------------------------
    def refusal(self, to: Store, snapshotter: str | None = None) -> str | None:
        """Why a switch to *to* (with ``storage-driver`` *snapshotter* after it) is refused, or None.

        *snapshotter* is the ``storage-driver`` the config would hold after the switch (None: the
        default). A locked containerd policy holds the snapshotter too: its own, or overlayfs (the
        default) when it names none. The sentence names the file and its message.
        """
        if self.error is not None:
            return (f"the administrator's policy {self.path} cannot be used ({self.error}), so switching is "
                    "refused until it is fixed. Nothing was changed. Ask your administrator to fix it.")
        p = self.policy
        if p is None or not p.locked:
            return None
        if to is not p.store:
            wanted = f"the {p.store.title}"
        elif to is Store.CONTAINERD and (snapshotter or DEFAULT_SNAPSHOTTER) != p.locked_snapshotter:
            wanted = f"the {p.store.title} with the snapshotter {p.locked_snapshotter}"
        else:
            return None
        return f"the administrator's policy {self.path} locks this machine on {wanted}{_quoted(p.message)} Nothing was changed."

    def force_refusal(self) -> str | None:
        """Why ``--force`` may not override a blocker known issue here, or None when it may."""
        if self.allow_force:
            return None
        why = self.error or (self.policy.message if self.policy is not None else "")
        return (f"the administrator's policy {self.path} does not allow --force to override a blocker known issue"
                f"{_quoted(why)} Nothing was changed.")

    def enforce(self, to: Store, snapshotter: str | None = None) -> None:
        """Raise :class:`PolicyRefused` when :meth:`refusal` has a reason."""
        reason = self.refusal(to, snapshotter)
        if reason is not None:
            raise PolicyRefused(reason)


def describe_policy(state: PolicyState) -> list[str]:
    """``storeswitch status``'s line about the policy (none when there is no file)."""
    p = state.policy
    if state.error is not None:
        return [f"policy:      {state.path} cannot be used ({state.error}); switching is refused until it is fixed"]
    if state.warning is not None:
        return [f"policy:      ignored: {state.warning}"]
    if p is None:
        return []
    how = "locked on" if p.locked else "suggests"
    snapshotter = p.snapshotter or p.locked_snapshotter
    return [f"policy:      {how} the {p.store.title}{f' ({snapshotter})' if snapshotter else ''}"
            f"{'' if p.allow_force else ', no --force'} ({state.path})" + (f": {p.message}" if p.message else "")]


def _quoted(message: str) -> str:
    """The end of a sentence, then the administrator's message, quoted, when there is one."""
    return f'. Your administrator says: "{message}"' if message else "."


def policy_path() -> Path:
    """``STORESWITCH_POLICY`` when set, else ``/etc/storeswitch/policy.toml``."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_POLICY_PATH)


def load_policy(path: os.PathLike | str | None = None) -> PolicyState:
    """Read the policy at *path* (default :func:`policy_path`); never raises for a bad file."""
    path = Path(path) if path is not None else policy_path()
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return PolicyState(path)
    except OSError as exc:
        return PolicyState(path, error=f"it cannot be read ({exc.strerror}); it must be readable by every user (mode 0644)")
    untrusted = untrusted_because(path, st)
    if untrusted:
        return PolicyState(path, warning=(
            f"the policy {path} is ignored: {untrusted}, so a user could change it. Make it root's and "
            f"not writable by others: chown root:root {path} && chmod 0644 {path}"))
    import tomllib  # here: every command loads this module (the CLI's exit code 5), few read a policy

    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        return PolicyState(path, error=f"it cannot be read ({exc.strerror}); it must be readable by every user (mode 0644)")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return PolicyState(path, error=f"it is not valid TOML: {exc}")
    try:
        return PolicyState(path, policy=parse_policy(data, path))
    except ValueError as exc:
        return PolicyState(path, error=str(exc))


def parse_policy(data: dict[str, Any], path: Path) -> Policy:
    """A :class:`Policy` from parsed TOML, strictly: every key known, of its type; ``ValueError`` names the key."""
    for key, value in data.items():
        if key not in _KEYS:
            raise ValueError(f"unknown key '{key}' (known keys: {', '.join(_KEYS)}); remove it or fix its spelling")
        kind = _KEYS[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"key '{key}' must be {_TYPE_WORDS[kind]}, not {value!r}")
    version = data.get("schema_version")
    if version is None:
        raise ValueError(f"key 'schema_version' is missing; add schema_version = {SCHEMA_VERSION}")
    if version > SCHEMA_VERSION or version < 1:
        raise ValueError(f"schema_version {version} is not one this storeswitch knows (it reads {SCHEMA_VERSION}); "
                         "update storeswitch, or write the file for this version")
    if "store" not in data:
        raise ValueError("key 'store' is missing; add store = \"classic\" or store = \"containerd\"")
    try:
        store = Store(data["store"])
    except ValueError:
        raise ValueError(f"key 'store' must be \"classic\" or \"containerd\", not {data['store']!r}") from None
    snapshotter = data.get("snapshotter")
    if snapshotter is not None:
        if store is not Store.CONTAINERD:
            raise ValueError("key 'snapshotter' applies to store = \"containerd\" only; remove it or change the store")
        from backend.errors import ConfigError
        from backend.snapshotters import check_name

        try:
            snapshotter = check_name(snapshotter)
        except ConfigError as exc:
            raise ValueError(f"key 'snapshotter': {exc}") from None
    return Policy(path, store, data.get("locked", False), snapshotter, data.get("allow_force", True),
                  data.get("message", "").strip())


def untrusted_because(path: Path, st: os.stat_result | None = None) -> str | None:
    """Why someone other than root could change *path* (the file or a directory above it), or None."""
    st = st or os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        return "it is not a regular file"
    if st.st_uid != 0:
        return f"it is owned by uid {st.st_uid}, not root"
    if st.st_mode & 0o022:
        return f"it is writable by users other than root (mode {stat.S_IMODE(st.st_mode):04o})"
    # the directories above the path as given (a symlink there could be pointed elsewhere) and above its target
    directories = dict.fromkeys([*Path(os.path.abspath(path)).parents, *Path(os.path.realpath(path)).parents])
    for directory in directories:
        d = os.stat(directory)
        sticky = d.st_mode & stat.S_ISVTX
        if d.st_uid != 0:
            return f"its directory {directory} is owned by uid {d.st_uid}, not root"
        if d.st_mode & 0o022 and not sticky:
            return f"its directory {directory} is writable by others (mode {stat.S_IMODE(d.st_mode):04o})"
    return None


# --- what a switch would leave, and whether bringing the engine to a store changes anything ---------
def snapshotter_after(target: Any, to: Store, snapshotter: str | None) -> str | None:
    """The ``storage-driver`` *target*'s config would hold after a switch to *to* (None: unset).

    Targets without that key (Docker Desktop) leave it to *snapshotter*; a config that cannot be
    read is judged by *snapshotter* too (the switch itself then reports the file's error).
    """
    from backend.errors import ConfigError

    try:
        planner = getattr(target.read_config(), "storage_driver_plan", None)
        after = planner(to, snapshotter).after if callable(planner) else snapshotter
    except ConfigError:
        return snapshotter
    return after if isinstance(after, str) else None


def snapshotter_to_apply(policy: Policy, target: Any) -> str | None:
    """The ``--snapshotter`` that brings *target* to *policy*: its own; for a locked containerd
    policy naming none, the default only when the config would otherwise keep another name."""
    if policy.snapshotter or policy.locked_snapshotter is None:
        return policy.snapshotter
    after = snapshotter_after(target, policy.store, None)
    return None if after in (None, DEFAULT_SNAPSHOTTER) else DEFAULT_SNAPSHOTTER


@dataclass(frozen=True)
class ApplyPlan:
    """What ``apply-policy --check`` reports: would the engine change, from what, and why."""

    to: Store
    snapshotter: str | None
    changes: bool
    configured: Store
    live: Store | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"to_store": self.to.value, "snapshotter": self.snapshotter, "would_change": self.changes,
                "configured_store": self.configured.value, "live_store": self.live.value if self.live else None,
                "message": self.reason}


def plan_apply(target: Any, to: Store, snapshotter: str | None) -> ApplyPlan:
    """Whether a switch of *target* to *to* would change anything, by the rule
    :class:`backend.switch.SwitchTransaction` follows (same bytes, and the engine already on *to*
    or not restarted: "unchanged"). Reads only; ``ConfigError`` for a config that cannot be parsed."""
    from backend.stores import running_store
    from backend.switch import restart_plan

    config = target.read_config()
    new_bytes = config.with_store(to, snapshotter)
    installed, _ = target.installed()
    restart, _ = restart_plan(target, True)
    live = running_store(target) if installed else None
    same_file = new_bytes == config.raw
    if same_file and (live is to or not restart or not installed):
        return ApplyPlan(to, snapshotter, False, config.store, live, f"already on the {to.title}")
    if not same_file and config.store is not to:
        reason = f"{config.path} would be changed from the {config.store.title} to the {to.title}"
    elif not same_file:
        reason = f"{config.path} would be changed (the snapshotter) on the {to.title}"
    else:
        reason = f"{config.path} already asks for the {to.title}"
    if restart and installed:
        runs = f"runs the {live.title}" if live is not None else "is not running"
        reason += f"; the engine ({runs}) would be restarted on the {to.title}"
    return ApplyPlan(to, snapshotter, True, config.store, live, reason)
