"""Pick the target: an explicit choice, else (``auto``) the best engine found here.

Order of choice:

1. ``--target NAME`` (or ``STORESWITCH_TARGET``); then the target saved in storeswitch's settings
   (``target``, set by the General tab's chooser), unless it is ``auto``.
2. ``auto``: Docker Desktop, when its settings file exists; else a system or rootless engine
   that answers (the docker CLI's address: ``DOCKER_HOST``, the current context, the default
   socket; then ``$XDG_RUNTIME_DIR/docker.sock``), rootless when ``/info`` says so; else the
   managed engine, storeswitch's embedded default.

Every target carries ``reason``, the sentence ``status`` shows for why it was picked. Where auto
looks is a :class:`Probe`, built from the environment unless given: the tests give their own, and
``STORESWITCH_SYSTEM_HOST`` replaces the default socket, so a test never picks the machine's real
``/var/run/docker.sock`` by accident.

For the GUI: :func:`available_targets` lists every target with whether it can be used here and
why (call it off the GUI thread: it pings sockets); saving the user's choice is
``Settings.set("target", name)``, which :func:`choose_target` then honours.

Imports are lazy: this module is on the path of every command and of the GUI's first paint, and
a command with ``--target managed`` needs neither the Desktop, system and rootless targets nor
(until it talks to the engine) httpx. Each function imports the targets it builds; a unix socket
that does not exist is never pinged (no client is made for it), so ``auto`` on a machine without
Docker costs a few ``stat`` calls.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from backend.errors import ConfigError, EngineError, StoreswitchError

if TYPE_CHECKING:
    from backend.engine.address import EngineAddress
    from backend.profile import Profile
    from backend.targets.base import Target

TARGET_NAMES = ("auto", "managed", "system", "rootless", "desktop")
TARGET_TITLES = {
    "auto": "Automatic",
    "managed": "storeswitch's own engine (managed)",
    "system": "Docker Engine on this machine (system)",
    "rootless": "Rootless Docker (your user's engine)",
    "desktop": "Docker Desktop",
}
TARGET_ENV = "STORESWITCH_TARGET"


@dataclass
class Probe:
    """Where ``auto`` looks for engines. :meth:`from_environment` is the real machine."""

    desktop_dir: Path
    system_address: EngineAddress | None
    rootless_socket: Path
    address_error: str | None = None
    timeout: float = 1.0
    _answers: dict[str, dict[str, Any] | None] = field(default_factory=dict, repr=False)

    @classmethod
    def from_environment(cls) -> "Probe":
        from backend.targets.locations import desktop_settings_dir, rootless_socket, system_address

        try:
            address, error = system_address(), None
        except ConfigError as exc:
            address, error = None, str(exc)
        return cls(desktop_settings_dir(), address, rootless_socket(), error)

    def desktop_file(self) -> Path | None:
        from backend.targets.locations import desktop_settings_file

        return desktop_settings_file(self.desktop_dir)

    def info(self, host: str) -> dict[str, Any] | None:
        """``/info`` of the engine at *host* when it answers, else None (asked once per probe).

        A ``unix://`` socket that is not there (or is not a socket) cannot answer: None without
        making a client. Only a path that cannot be looked at (no permission) is tried anyway,
        so the client's own error decides.
        """
        if host not in self._answers:
            self._answers[host] = None
            if not _may_answer(host):
                return None
            from backend.engine.api import EngineClient

            try:
                with EngineClient(host, timeout=max(self.timeout, 2.0)) as client:
                    if client.ping(timeout=self.timeout):
                        info = client.info()
                        self._answers[host] = info if isinstance(info, dict) else {}
            except EngineError:
                pass
        return self._answers[host]


def _may_answer(host: str) -> bool:
    """False for a ``unix://`` address whose socket file does not exist or is not a socket."""
    path = host[len("unix://"):] if host.startswith("unix://") else ""
    if not path:
        return True
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:  # e.g. a directory we may not search: let the client try and say why
        return True


def is_rootless(info: dict[str, Any]) -> bool:
    return any(str(opt).startswith("name=rootless") for opt in info.get("SecurityOptions") or [])


class TargetOption(NamedTuple):
    """One target as the General tab's chooser shows it.

    A NamedTuple, not a frozen dataclass: this module loads before the GUI's first paint, and a
    frozen dataclass is slower to create (docs/performance.md).
    """

    name: str
    title: str
    available: bool
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self._asdict())


# --- choosing --------------------------------------------------------------------------------
def choose_target(
    name: str | None,
    profile: Profile,
    dockerd: str | os.PathLike | None = None,
    probe: Probe | None = None,
) -> Target:
    """The target for *name* (None: STORESWITCH_TARGET, the saved choice, then auto)."""
    name, source, note = user_choice(name, profile)
    if name not in TARGET_NAMES:
        raise StoreswitchError(f"unknown target {name!r}; choose one of: {', '.join(TARGET_NAMES)}")
    if name != "auto":
        reason = f"chosen with {source} {name}" if source in ("--target", TARGET_ENV) else f"chosen by {source}"
        return build_target(name, profile, dockerd, reason)
    target = detect(profile, dockerd, probe)
    if note:
        target.reason += f" ({note})"
    return target


def user_choice(name: str | None, profile: Profile) -> tuple[str, str, str]:
    """The target as the user chose it: (name or ``auto``, where the choice came from, a note).

    *name* (``--target``) first, then ``STORESWITCH_TARGET``, then the target saved by the General
    tab; the note says why a saved choice was not used. The name is not checked here.
    """
    if name:
        return name, "--target", ""
    if os.environ.get(TARGET_ENV):
        return os.environ[TARGET_ENV], TARGET_ENV, ""
    saved, note = _saved_choice(profile)
    return saved or "auto", "the target saved in storeswitch's settings (General tab)", note


def build_target(name: str, profile: Profile, dockerd: str | os.PathLike | None, reason: str) -> Target:
    if name == "managed":
        from backend.targets.managed import ManagedTarget

        return ManagedTarget(profile, dockerd, reason=reason)
    if name == "system":
        from backend.targets.system import SystemTarget

        return SystemTarget(dockerd=dockerd, reason=reason)
    if name == "rootless":
        from backend.targets.rootless import RootlessTarget

        return RootlessTarget(dockerd=dockerd, reason=reason)
    if name == "desktop":
        from backend.targets.desktop import DesktopTarget

        return DesktopTarget(reason=reason)
    raise StoreswitchError(f"unknown target {name!r}; choose one of: {', '.join(TARGET_NAMES)}")


def detect(profile: Profile, dockerd: str | os.PathLike | None = None, probe: Probe | None = None) -> Target:
    """``auto``: Docker Desktop, else a system or rootless engine that answers, else managed."""
    from backend.targets.locations import socket_path

    probe = probe or Probe.from_environment()
    desktop = probe.desktop_file()
    if desktop is not None:
        from backend.targets.desktop import DesktopTarget

        return DesktopTarget(probe.desktop_dir, reason=f"auto: Docker Desktop's settings file {desktop} exists")
    looked: list[str] = []
    address = probe.system_address
    if address is not None and socket_path(address.host) is not None:
        info = probe.info(address.host)
        if info is not None and is_rootless(info):
            from backend.targets.rootless import RootlessTarget

            return RootlessTarget(host=address.host, dockerd=dockerd,
                                  reason=f"auto: the rootless engine answers at {address.host} ({address.source})")
        if info is not None:
            from backend.targets.system import SystemTarget

            return SystemTarget(host=address.host, dockerd=dockerd,
                                reason=f"auto: the system engine answers at {address.host} ({address.source})")
        looked.append(address.host)
    elif address is not None:
        looked.append(f"{address.host} ({address.source}: a remote engine's config cannot be edited from here)")
    else:
        looked.append(f"the docker CLI's address ({probe.address_error})")
    rootless_host = f"unix://{probe.rootless_socket}"
    if rootless_host not in looked and probe.info(rootless_host) is not None:
        from backend.targets.rootless import RootlessTarget

        return RootlessTarget(host=rootless_host, dockerd=dockerd,
                              reason=f"auto: the rootless engine answers at {rootless_host}")
    if rootless_host not in looked:
        looked.append(rootless_host)
    from backend.targets.managed import ManagedTarget

    return ManagedTarget(profile, dockerd, reason=(
        f"auto: no Docker Desktop settings in {probe.desktop_dir} and no engine answers at {', '.join(looked)}; "
        "the managed engine, storeswitch's embedded default"
    ))


def available_targets(
    profile: Profile, dockerd: str | os.PathLike | None = None, probe: Probe | None = None
) -> list[TargetOption]:
    """Every target, whether it can be used here, and why (for the General tab's chooser)."""
    from backend.targets.managed import ManagedTarget
    from backend.targets.rootless import rootless_config_path
    from backend.targets.locations import socket_path
    from backend.targets.service import find_dockerd

    probe = probe or Probe.from_environment()
    options = [TargetOption("auto", TARGET_TITLES["auto"], True, f"picks: {detect(profile, dockerd, probe).name}")]

    managed = ManagedTarget(profile, dockerd)
    ok, why = managed.installed()
    if ok and os.geteuid() != 0:
        ok, why = False, "the managed engine needs root (run storeswitch with sudo)"
    options.append(TargetOption("managed", TARGET_TITLES["managed"], ok, why))

    address = probe.system_address
    if address is None:
        options.append(TargetOption("system", TARGET_TITLES["system"], False, probe.address_error or "no engine address"))
    else:
        info = probe.info(address.host) if socket_path(address.host) else None
        dockerd_path = find_dockerd(dockerd)
        if info is not None and not is_rootless(info):
            options.append(TargetOption("system", TARGET_TITLES["system"], True, f"answers at {address.host}"))
        elif dockerd_path is not None:
            options.append(TargetOption("system", TARGET_TITLES["system"], True,
                                        f"installed ({dockerd_path}), not answering at {address.host}"))
        else:
            options.append(TargetOption("system", TARGET_TITLES["system"], False, f"no engine answers at {address.host}"))

    rootless_host = f"unix://{probe.rootless_socket}"
    if probe.info(rootless_host) is not None:
        options.append(TargetOption("rootless", TARGET_TITLES["rootless"], True, f"answers at {rootless_host}"))
    elif rootless_config_path().is_file():
        options.append(TargetOption("rootless", TARGET_TITLES["rootless"], True,
                                    f"configured ({rootless_config_path()}), not answering at {rootless_host}"))
    else:
        options.append(TargetOption("rootless", TARGET_TITLES["rootless"], False, f"no engine answers at {rootless_host}"))

    desktop = probe.desktop_file()
    options.append(TargetOption(
        "desktop", TARGET_TITLES["desktop"], desktop is not None,
        f"settings in {desktop}" if desktop else f"no Docker Desktop settings file in {probe.desktop_dir}",
    ))
    return options


def target_for_recovery(chosen: Target, profile: Profile, dockerd: str | os.PathLike | None = None) -> Target:
    """The target a switch left in the journal was for: recovery must restore *that* file."""
    if not profile.journal_path.exists():
        return chosen  # no switch was interrupted (the common case): nothing to read
    from backend.journal import SwitchJournal

    try:
        entry = SwitchJournal(profile.journal_path).read()
    except ConfigError:
        return chosen  # recovery reports the damaged journal itself
    if entry is None:
        return chosen
    target = chosen if entry.target == chosen.name else build_target(
        entry.target, profile, dockerd, f"recovering an interrupted switch of the {entry.target} target"
    )
    if str(target.config_path) != entry.config_path:
        raise StoreswitchError(
            f"an interrupted switch of the {entry.target} target changed {entry.config_path}, but that target now "
            f"uses {target.config_path}; run storeswitch with the settings it had then (e.g. STORESWITCH_SYSTEM_CONFIG) "
            f"to recover it, or restore {entry.config_path} by hand from {profile.journal_path} (original_config_b64)"
        )
    return target


def _saved_choice(profile: Profile) -> tuple[str | None, str]:
    """The target saved by the General tab, or (None, why it was not used)."""
    from backend.settings import Settings

    try:
        saved = Settings.load(profile.settings_path).get("target")
    except (ConfigError, OSError) as exc:
        return None, f"the saved target was not read: {exc}"
    if saved in (None, "auto"):
        return None, ""
    if saved not in TARGET_NAMES:
        return None, f"the saved target {saved!r} in {profile.settings_path} is unknown and was ignored"
    return saved, ""
