"""The system layout: dockerd started with ``--containerd=<socket>`` of a separate containerd.

Debian's and Docker's own service units start dockerd that way
(``ExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock``), with
containerd run by its own ``containerd.service``. The containerd store's data then lives in
*containerd's* root (``/var/lib/containerd`` by default, namespace ``moby``), not under data-root,
and neither moves with the other. storeswitch must find that root with both processes stopped
(``diagnose`` and the switch's "what it hides" read the stores from disk), so it learns, in order:

1. **whether dockerd uses a separate containerd, and at which socket**: daemon.json's
   ``containerd`` key (the same setting as the flag); else ``--containerd`` in the service's
   definition (the systemd unit's ``ExecStart`` and ``/etc/default/docker``'s ``DOCKER_OPTS``);
   else, with the engine up, ``/info`` ``Containerd.Address`` under ``/run/containerd/``.
2. **that containerd's root**: a running containerd serving that socket (its ``--root``, else
   the ``root`` of its ``--config``); else containerd's config file
   (``STORESWITCH_CONTAINERD_CONFIG``, default ``/etc/containerd/config.toml``) ``root``; else
   containerd's default, ``/var/lib/containerd``.

Each answer carries a sentence saying where it came from; ``status`` and ``diagnose`` show it.
Why by hand: these are a service manager's files and containerd's own config; no library reads
"which containerd does this dockerd use". TOML is read with the standard library's ``tomllib``.
"""

from __future__ import annotations

import os
import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

CONTAINERD_CONFIG_ENV = "STORESWITCH_CONTAINERD_CONFIG"
DEFAULT_CONTAINERD_CONFIG = Path("/etc/containerd/config.toml")
DEFAULT_CONTAINERD_ROOT = Path("/var/lib/containerd")
DEFAULT_CONTAINERD_ADDRESS = "/run/containerd/containerd.sock"
SYSTEM_SOCKET_DIRS = ("/run/containerd/", "/var/run/containerd/")
# Where a service manager keeps dockerd's command line (systemd units, then the SysV defaults).
SERVICE_FILES = (
    Path("/etc/systemd/system/docker.service"),
    Path("/lib/systemd/system/docker.service"),
    Path("/usr/lib/systemd/system/docker.service"),
    Path("/etc/default/docker"),
)


@dataclass(frozen=True)
class ContainerdLayout:
    """A separate containerd: its socket and its root, and where each was learned."""

    address: str
    root: Path
    how: str

    @property
    def note(self) -> str:
        return f"separate containerd at {self.address}, namespace moby ({self.how}): not moved by data-root"


def _strip_unix(address: str) -> str:
    return address[len("unix://"):] if address.startswith("unix://") else address


def flag_value(args: Iterable[str], *names: str) -> str | None:
    """The value of the last ``--name VALUE`` / ``--name=VALUE`` among *args* (``-a`` short forms too)."""
    found = None
    args = list(args)
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                found = args[i + 1]
            elif arg.startswith(name + "="):
                found = arg.split("=", 1)[1]
    return found


def service_containerd_flag(files: Iterable[Path] = SERVICE_FILES) -> tuple[str, Path] | None:
    """``--containerd`` in the service definition's dockerd command line, and the file it is in."""
    for path in files:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            line = line.strip()
            m = re.match(r"(?:ExecStart=|DOCKER_OPTS=)(.*)", line)
            if not m or line.startswith("#"):
                continue
            try:
                args = shlex.split(m.group(1).strip().strip("\"'") if line.startswith("DOCKER_OPTS") else m.group(1))
            except ValueError:
                continue
            value = flag_value(args, "--containerd")
            if value:
                return _strip_unix(value), path
    return None


def dockerd_containerd_address(config: Mapping[str, Any] | None, info: Mapping[str, Any] | None = None,
                               service_files: Iterable[Path] = SERVICE_FILES) -> tuple[str, str] | None:
    """The separate containerd's socket dockerd uses and a sentence saying how it is known; None: dockerd runs its own."""
    if config and isinstance(config.get("containerd"), str) and config["containerd"]:
        return _strip_unix(config["containerd"]), "daemon.json `containerd`"
    flag = service_containerd_flag(service_files)
    if flag:
        return flag[0], f"--containerd in {flag[1]}"
    containerd = (info or {}).get("Containerd")
    address = containerd.get("Address") if isinstance(containerd, Mapping) else None
    if isinstance(address, str) and address.startswith(SYSTEM_SOCKET_DIRS):
        return address, "the engine's /info"
    return None


def read_containerd_config(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _config_address(config: Mapping[str, Any]) -> str:
    grpc = config.get("grpc")
    address = grpc.get("address") if isinstance(grpc, Mapping) else None
    return _strip_unix(address) if isinstance(address, str) and address else DEFAULT_CONTAINERD_ADDRESS


def running_containerds(proc: Path = Path("/proc")) -> list[list[str]]:
    """The command lines of the containerd daemons running here (not the shims)."""
    found = []
    try:
        entries = [p for p in proc.iterdir() if p.name.isdigit()]
    except OSError:
        return found
    for entry in entries:
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        args = [a.decode("utf-8", "replace") for a in args if a]
        if args and Path(args[0]).name == "containerd":
            found.append(args)
    return found


def containerd_root(address: str, env: Mapping[str, str] | None = None,
                    processes: list[list[str]] | None = None) -> tuple[Path, str]:
    """The root of the containerd serving *address*, and how it is known."""
    env = os.environ if env is None else env
    for args in running_containerds() if processes is None else processes:
        config_path = flag_value(args, "--config", "-c")
        config = read_containerd_config(Path(config_path)) if config_path else (
            read_containerd_config(DEFAULT_CONTAINERD_CONFIG) or {})
        config = config or {}
        serves = _strip_unix(flag_value(args, "--address", "-a") or _config_address(config))
        if serves != address:
            continue
        root = flag_value(args, "--root") or config.get("root")
        if isinstance(root, str) and root:
            return Path(root), "the running containerd's " + ("--root" if flag_value(args, "--root") else f"config {config_path}")
        return DEFAULT_CONTAINERD_ROOT, "the running containerd's default root"
    config_file = Path(env.get(CONTAINERD_CONFIG_ENV) or DEFAULT_CONTAINERD_CONFIG)
    config = read_containerd_config(config_file)
    if config is not None and isinstance(config.get("root"), str) and config["root"]:
        return Path(config["root"]), f"`root` in {config_file}"
    return DEFAULT_CONTAINERD_ROOT, f"containerd's default root ({config_file} sets none)"


def separate_containerd(config: Mapping[str, Any] | None, info: Mapping[str, Any] | None = None,
                        env: Mapping[str, str] | None = None,
                        service_files: Iterable[Path] = SERVICE_FILES) -> ContainerdLayout | None:
    """The separate containerd a service's dockerd uses (socket and root), or None when it supervises its own."""
    found = dockerd_containerd_address(config, info, service_files)
    if found is None:
        return None
    address, how = found
    root, root_how = containerd_root(address, env)
    return ContainerdLayout(address, root, f"socket from {how}; root from {root_how}")
