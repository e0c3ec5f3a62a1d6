"""Which snapshotters the containerd store can use on this engine, and why.

With the containerd store on, daemon.json ``storage-driver`` names a containerd snapshotter. The
name alone proves nothing: dockerd starts with ``storage-driver: stargz`` when no stargz plugin
exists and only fails when an image is stored (seen here). So each name is placed by what can be
known without storing anything (the switch's verification probe then proves it by use):

- **builtin**: compiled into containerd: ``overlayfs`` (the default) and ``native`` work on any
  Linux file system; ``btrfs``, ``zfs``, ``devmapper`` and ``blockfile`` are built in too but
  load only on their file system or with their containerd config (status *depends*).
- **proxy plugin**: a ``[proxy_plugins.NAME]`` of ``type = "snapshot"`` in containerd's config
  (``/etc/containerd/config.toml`` for a system containerd). Its socket must exist, or the
  plugin's daemon (containerd-stargz-grpc, containerd-nydus-grpc) is not running.
- **not found**: neither. A containerd that dockerd starts itself, and the managed engine's (its
  config written by storeswitch), have no proxy plugins, so stargz and nydus need a system
  containerd there.

Where containerd can be asked (its socket is reachable and ``ctr`` is on the engine's PATH),
``ctr plugins ls`` gives the truth for this machine: a builtin that containerd skipped ("must be
a btrfs filesystem") is shown as unavailable with containerd's own reason.

Why by hand: containerd's config is read with ``tomllib``; its plugin list has no Python client
(the API is gRPC), and ``ctr``'s table is the stable, documented view of it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from backend.errors import ConfigError, StoreswitchError
from backend.snapshotter_names import AVAILABLE, CHOICES, DEPENDS, UNAVAILABLE, check_name  # noqa: F401 - re-exported
from backend.stores import DEFAULT_SNAPSHOTTER, Store, live_store

SNAPSHOTTER_TYPE = "io.containerd.snapshotter.v1"
SYSTEM_CONTAINERD_CONFIG = Path("/etc/containerd/config.toml")
SYSTEM_CONTAINERD_SOCKET = Path("/run/containerd/containerd.sock")
DEFAULT_EXEC_ROOT = Path("/var/run/docker")
CTR_TIMEOUT = 5.0

BUILTIN: dict[str, str] = {
    "overlayfs": "built into containerd (the default): overlay mounts, fast, on most Linux file systems",
    "native": "built into containerd: plain copies, slower and larger, works on any file system",
}
FS_DEPENDENT: dict[str, str] = {
    "btrfs": "built into containerd, but loads only when containerd's root is on a btrfs file system",
    "zfs": "built into containerd, but loads only when its root is a mounted ZFS dataset",
    "devmapper": "built into containerd, but needs a device-mapper thin pool configured in containerd's config",
    "blockfile": "built into containerd, but needs a scratch file configured in containerd's config",
}
PROXY_HINTS: dict[str, str] = {
    "stargz": "lazy pulling of eStargz images; needs containerd-stargz-grpc running and "
    '[proxy_plugins.stargz] (type = "snapshot") in containerd\'s config',
    "nydus": "lazy pulling of Nydus images; needs containerd-nydus-grpc (Debian: nydus-snapshotter) running and "
    '[proxy_plugins.nydus] (type = "snapshot") in containerd\'s config',
}


@dataclass(frozen=True)
class Snapshotter:
    """One snapshotter name and what is known about it on this engine."""

    name: str
    source: str  # "builtin", "proxy-plugin", "not-found"
    status: str  # AVAILABLE, UNAVAILABLE, DEPENDS
    reason: str
    default: bool = False
    live: bool = False  # the containerd store runs it right now (/info Driver)
    configured: bool = False  # daemon.json storage-driver names it

    @property
    def available(self) -> bool:
        return self.status == AVAILABLE

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "status": self.status,
            "available": self.available,
            "reason": self.reason,
            "default": self.default,
            "live": self.live,
            "configured": self.configured,
        }


@dataclass(frozen=True)
class ContainerdEndpoint:
    """The containerd behind an engine: its socket, its config file, and whose it is."""

    kind: str  # "own" (supervised by dockerd) or "system"
    socket: Path | None
    config: Path | None

    def describe(self) -> str:
        if self.kind == "own":
            return "dockerd's own containerd (it writes its config itself: no proxy plugins)"
        return f"the system containerd ({self.config or 'no config file'})"


@dataclass
class SnapshotterReport:
    endpoint: ContainerdEndpoint
    snapshotters: list[Snapshotter]
    live_store: Store | None
    live_driver: str | None
    configured: str | None
    notes: list[str] = field(default_factory=list)

    def get(self, name: str) -> Snapshotter | None:
        return next((s for s in self.snapshotters if s.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "containerd": {
                "kind": self.endpoint.kind,
                "socket": str(self.endpoint.socket) if self.endpoint.socket else None,
                "config": str(self.endpoint.config) if self.endpoint.config else None,
                "description": self.endpoint.describe(),
            },
            "live_store": self.live_store.value if self.live_store else None,
            "live_driver": self.live_driver,
            "configured": self.configured,
            "default": DEFAULT_SNAPSHOTTER,
            "snapshotters": [s.as_dict() for s in self.snapshotters],
            "notes": self.notes,
        }


# --- containerd's config and plugin list ------------------------------------------------------
def proxy_snapshotters(config_path: Path | None) -> tuple[dict[str, str], str | None]:
    """``{name: socket address}`` of the snapshot proxy plugins in a containerd config.

    Returns a note instead of raising when the file is missing or does not parse.
    """
    if config_path is None:
        return {}, None
    import tomllib  # here: this module is on the GUI's first-paint path, which reads no TOML

    try:
        data = tomllib.loads(Path(config_path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, f"{config_path} does not exist: containerd runs with its defaults (no proxy plugins)"
    except (OSError, UnicodeDecodeError) as exc:
        return {}, f"{config_path} could not be read ({exc}); proxy plugins unknown"
    except tomllib.TOMLDecodeError as exc:
        return {}, f"{config_path} is not valid TOML ({exc}); proxy plugins unknown"
    plugins = data.get("proxy_plugins")
    found: dict[str, str] = {}
    if isinstance(plugins, Mapping):
        for name, spec in plugins.items():
            if isinstance(spec, Mapping) and spec.get("type") == "snapshot":
                found[str(name)] = str(spec.get("address", ""))
    return found, None


def parse_ctr_plugins(text: str) -> dict[str, str]:
    """``{snapshotter id: status}`` from ``ctr plugins ls`` (status ``ok``, ``skip``, ``error``)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[0] == SNAPSHOTTER_TYPE:
            out[parts[1]] = parts[-1]
    return out


def parse_ctr_skip_reasons(text: str) -> dict[str, str]:
    """``{snapshotter id: containerd's message}`` from ``ctr plugins ls --detailed``."""
    reasons: dict[str, str] = {}
    block_type = block_id = None
    lines = text.splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("Type:"):
            block_type, block_id = stripped.split(":", 1)[1].strip(), None
        elif stripped.startswith("ID:"):
            block_id = stripped.split(":", 1)[1].strip()
        elif stripped.startswith("Message:") and block_type == SNAPSHOTTER_TYPE and block_id:
            message = [stripped.split(":", 1)[1].strip()]
            for cont in lines[i + 1:]:  # long messages wrap onto indented lines
                if not cont.strip() or cont.strip().split(":", 1)[0] in ("Type", "ID", "Platforms", "Exports", "Error"):
                    break
                message.append(cont.strip())
            reasons[block_id] = " ".join(message).removesuffix(": skip plugin")
    return reasons


def ask_containerd(socket: Path | None, ctr: str | None) -> tuple[dict[str, str], dict[str, str]] | None:
    """Statuses and skip reasons of containerd's snapshotter plugins, or None when it cannot be asked."""
    if socket is None or ctr is None or not Path(socket).exists():
        return None
    import subprocess  # here: this module loads before the GUI's first paint, which runs nothing

    try:
        table = subprocess.run([ctr, "--address", str(socket), "plugins", "ls"],
                               capture_output=True, text=True, timeout=CTR_TIMEOUT)
        if table.returncode != 0:
            return None
        detail = subprocess.run([ctr, "--address", str(socket), "plugins", "ls", "--detailed"],
                                capture_output=True, text=True, timeout=CTR_TIMEOUT)
    except (OSError, subprocess.SubprocessError):
        return None
    statuses = parse_ctr_plugins(table.stdout)
    reasons = parse_ctr_skip_reasons(detail.stdout) if detail.returncode == 0 else {}
    return (statuses, reasons) if statuses else None


def find_ctr(extra_dirs: Iterable[Path] = ()) -> str | None:
    """``ctr`` beside the engine's containerd first, then on PATH."""
    for d in extra_dirs:
        candidate = Path(d) / "ctr"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("ctr")


def containerd_endpoint(target: Any, daemon_config: Mapping[str, Any] | None) -> ContainerdEndpoint:
    """Which containerd the target's engine uses.

    A target may answer itself with a ``containerd_endpoint()`` method. Otherwise: daemon.json
    ``containerd`` (an address) means a system containerd; the managed target's own containerd
    listens under its exec-root; a system engine supervises its own when its exec-root holds
    ``containerd/containerd.sock``, else it uses the system one (docker-ce's ``--containerd``).
    """
    own = getattr(target, "containerd_endpoint", None)
    if callable(own):
        answer = own()
        if isinstance(answer, ContainerdEndpoint):
            return answer
    config = daemon_config or {}
    address = config.get("containerd")
    if isinstance(address, str) and address:
        return ContainerdEndpoint("system", Path(address.removeprefix("unix://")), SYSTEM_CONTAINERD_CONFIG)
    engine = getattr(target, "engine", None)
    profile = getattr(engine, "profile", None)
    if getattr(target, "name", None) == "managed" and profile is not None:
        return ContainerdEndpoint("own", Path(profile.managed_exec_root) / "containerd" / "containerd.sock", None)
    exec_root = Path(str(config.get("exec-root") or DEFAULT_EXEC_ROOT))
    supervised = exec_root / "containerd" / "containerd.sock"
    try:
        own_containerd = supervised.exists()
    except PermissionError:  # an ordinary user and a root-only exec root: dockerd's own containerd is there
        own_containerd = exec_root.is_dir()
    if own_containerd:
        return ContainerdEndpoint("own", supervised, None)
    return ContainerdEndpoint("system", SYSTEM_CONTAINERD_SOCKET, SYSTEM_CONTAINERD_CONFIG)


# --- the report -------------------------------------------------------------------------------
def classify(
    endpoint: ContainerdEndpoint,
    proxies: Mapping[str, str],
    plugins: tuple[Mapping[str, str], Mapping[str, str]] | None = None,
    live_driver: str | None = None,
    configured: str | None = None,
    extra: Iterable[str] = (),
) -> list[Snapshotter]:
    """Place every name worth showing: the choices, the fs-dependent builtins, the proxy plugins
    found, the configured and the live name, and *extra* (an expert's name)."""
    statuses, reasons = plugins if plugins is not None else ({}, {})
    names: list[str] = []
    for name in [*CHOICES, *FS_DEPENDENT, *proxies, *(n for n in (configured, live_driver) if n), *extra]:
        if name not in names:
            names.append(name)
    out = []
    for name in names:
        source, status, reason = _place(name, endpoint, proxies, statuses, reasons)
        out.append(Snapshotter(name, source, status, reason, name == DEFAULT_SNAPSHOTTER,
                               name == live_driver, name == configured))
    return out


def _place(name: str, endpoint: ContainerdEndpoint, proxies: Mapping[str, str],
           statuses: Mapping[str, str], reasons: Mapping[str, str]) -> tuple[str, str, str]:
    asked = name in statuses
    if name in proxies:
        address = proxies[name]
        socket = Path(address.removeprefix("unix://")) if address else None
        where = f"proxy plugin in {endpoint.config}, address {address or '(none)'}"
        if socket is None or not socket.exists():
            daemon = {"stargz": "containerd-stargz-grpc", "nydus": "containerd-nydus-grpc"}.get(name, "its daemon")
            return "proxy-plugin", UNAVAILABLE, f"{where}; that socket does not exist: is {daemon} running?"
        return "proxy-plugin", AVAILABLE, where
    if name in BUILTIN or name in FS_DEPENDENT:
        why = BUILTIN.get(name) or FS_DEPENDENT[name]
        if asked and statuses[name] != "ok":
            detail = reasons.get(name) or statuses[name]
            return "builtin", UNAVAILABLE, f"{why}; containerd skipped it here: {detail}"
        if asked or name in BUILTIN:
            return "builtin", AVAILABLE, why + ("; containerd loaded it" if asked else "")
        return "builtin", DEPENDS, why
    if asked and statuses[name] == "ok":
        return "proxy-plugin", AVAILABLE, "containerd has it loaded (a plugin outside the config storeswitch read)"
    hint = PROXY_HINTS.get(name, "not a snapshotter built into containerd")
    if endpoint.kind == "own":
        where = "dockerd's own containerd has no proxy plugins, so it needs a system containerd with one"
    elif endpoint.config is not None:
        where = f"no [proxy_plugins.{name}] of type \"snapshot\" in {endpoint.config}"
    else:
        where = "no proxy plugin of that name was found"
    return "not-found", UNAVAILABLE, f"{hint}; {where}"


def snapshotter_report(target: Any, info: Mapping[str, Any] | None = None, extra: Iterable[str] = ()) -> SnapshotterReport:
    """Everything ``storeswitch snapshotters`` shows; *info* is ``/info`` when the engine runs.

    Reads daemon.json through the target (a config that does not parse only loses the
    "configured" mark, with a note) and never writes anything.
    """
    notes: list[str] = []
    config: Mapping[str, Any] | None = None
    try:
        config = target.read_config().data
    except ConfigError as exc:
        notes.append(str(exc))
    endpoint = containerd_endpoint(target, config)
    proxies, note = proxy_snapshotters(endpoint.config)
    if note:
        notes.append(note)
    ctr_dirs = []
    binaries = getattr(getattr(target, "engine", None), "binaries", None)
    if callable(binaries):
        try:
            ctr_dirs = list(binaries().path_dirs)
        except StoreswitchError:  # no engine installed: containerd cannot be asked, which is fine
            ctr_dirs = []
    plugins = ask_containerd(endpoint.socket, find_ctr(ctr_dirs))
    if plugins is None:
        notes.append("containerd could not be asked for its plugin list (engine stopped, or no ctr): "
                      "builtins that depend on the file system are shown as 'depends'")
    store = live_store(info) if info else None
    live_driver = info.get("Driver") if info and store is Store.CONTAINERD else None
    configured = config.get("storage-driver") if isinstance(config, Mapping) else None
    configured = configured if isinstance(configured, str) else None
    items = classify(endpoint, proxies, plugins, live_driver, configured, extra)
    return SnapshotterReport(endpoint, items, store, live_driver, configured, notes)


def describe(report: SnapshotterReport) -> list[str]:
    """The human form: one line per snapshotter, then where that was learned."""
    mark = {AVAILABLE: "available  ", UNAVAILABLE: "unavailable", DEPENDS: "depends    "}
    lines = []
    for s in report.snapshotters:
        flags = [f for f, on in (("default", s.default), ("live", s.live), ("configured", s.configured)) if on]
        tag = f" [{', '.join(flags)}]" if flags else ""
        lines.append(f"{s.name:<10} {mark[s.status]}  {s.reason}{tag}")
    lines.append(f"containerd: {report.endpoint.describe()}")
    lines.extend(f"note: {n}" for n in report.notes)
    return lines
