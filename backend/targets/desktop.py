"""The ``desktop`` target: Docker Desktop, switched through its own settings file.

Docker Desktop runs its engine in a VM and owns that engine's daemon.json; the image store is its
setting ``UseContainerdSnapshotter`` in ``settings-store.json`` (``settings.json`` before 4.35;
names, places and key spellings in :mod:`migration.desktop_settings`). :class:`DesktopSettings`
is that file as a :class:`backend.targets.base.StoreConfig`: it sets the store key (and
``LastContainerdSnapshotterEnable`` to the current Unix time when the store is turned on; files
seen in public keep the old time when it is turned off) and keeps every other key, with its
value and its place, in the file's own formatting (indent, line ends, final newline), so a file
switched there and back is the same bytes. A file it cannot parse, or whose store key is not
true/false, is refused and never written.

The restart is ``docker desktop restart`` (the Docker Desktop CLI, 4.37 and later), checked with
``docker desktop version``. Without it (or with Docker Desktop not running) the switch saves the
setting and says so (outcome ``saved``): the user restarts Docker Desktop, and ``status`` shows
"restart pending" until the engine reports the new store. No validation beforehand: Docker
Desktop checks its own settings, and the verify step after the restart decides.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.atomic import write_atomic
from backend.daemon_config import parse
from backend.engine.api import EngineClient
from backend.errors import ConfigError, EngineError
from backend.stores import Store, StoreRoots
from backend.targets.locations import DESKTOP_DIR_ENV as DIR_ENV, desktop_settings_dir, desktop_settings_file
from migration.desktop_settings import FILE_NAMES, SETTINGS_STORE, STORE_KEY, TIME_KEY, DesktopFormat, format_for
START_TIMEOUT = 300.0  # Docker Desktop restarts its whole VM
WINDOWS_PIPE = "npipe:////./pipe/dockerDesktopLinuxEngine"


def desktop_host(platform: str | None = None, env: dict[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    platform = platform or sys.platform
    home = Path(env.get("HOME") or Path.home())
    if platform.startswith("win"):
        return WINDOWS_PIPE
    if platform == "darwin":
        user_socket = home / ".docker" / "run" / "docker.sock"  # 4.13 and later; /var/run/docker.sock before
        legacy = Path("/var/run/docker.sock")
        return f"unix://{legacy if legacy.exists() and not user_socket.exists() else user_socket}"
    return f"unix://{home / '.docker' / 'desktop' / 'docker.sock'}"


# --- the settings file ---------------------------------------------------------------------
@dataclass
class DesktopSettings:
    path: Path
    raw: bytes | None
    data: dict[str, Any] = field(default_factory=dict)
    fmt: DesktopFormat = field(default_factory=lambda: format_for(SETTINGS_STORE))

    @classmethod
    def load(cls, path: Path) -> "DesktopSettings":
        path = Path(path)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise ConfigError(
                f"Docker Desktop's settings file {path} does not exist; start Docker Desktop once so that it "
                "writes it, then try again"
            ) from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read ({exc.strerror}); check its permissions") from exc
        settings = cls(path, raw, parse(raw, str(path)), format_for(path.name))
        settings.store  # refuses a store key that is not true/false
        return settings

    @property
    def current(self) -> dict[str, Any]:
        """The data in settings-store.json's key spelling."""
        return self.fmt.to_current(self.data)

    @property
    def store(self) -> Store:
        value = self.current.get(STORE_KEY)
        if value is None:
            return Store.CONTAINERD if self.fmt.default_containerd else Store.CLASSIC
        if not isinstance(value, bool):
            raise ConfigError(
                f"{self.path}: key {self.fmt.key(STORE_KEY)!r} must be true or false, found {value!r}. "
                "The file was left untouched; fix it in Docker Desktop (Settings > General) or by hand."
            )
        return Store.CONTAINERD if value else Store.CLASSIC

    @property
    def last_enabled(self) -> int | None:
        value = self.current.get(TIME_KEY)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def with_store(self, store: Store, snapshotter: str | None = None, now: float | None = None) -> bytes:
        """The file's bytes asking for *store*; the same bytes when it already does."""
        if snapshotter:
            raise ConfigError("Docker Desktop chooses its own snapshotter; --snapshotter applies to daemon.json targets")
        store_key = self.fmt.key(STORE_KEY)
        if store_key in self.data and self.store is store and self.raw is not None:
            return self.raw
        new = dict(self.data)
        new[store_key] = store is Store.CONTAINERD
        time_key = self.fmt.key(TIME_KEY)
        if store is Store.CONTAINERD and (self.fmt.adds_time_key or time_key in new):
            new[time_key] = int(time.time() if now is None else now)
        return render_like(self.raw or b"", new)

    def write(self, content: bytes) -> None:
        write_atomic(self.path, content, mode=0o644)


def render_like(original: bytes, data: dict[str, Any]) -> bytes:
    """*data* as JSON written the way *original* was: BOM, indent, line ends, final newline, escapes."""
    bom = original.startswith(b"\xef\xbb\xbf")
    text = original.decode("utf-8-sig", "replace")
    body = text.strip()
    crlf = "\r\n" in text
    if body and "\n" not in body:
        separators = (", ", ": ") if re.search(r'":\s', body) else (",", ":")
        out = json.dumps(data, separators=separators, ensure_ascii=_ascii_only(text))
    else:
        m = re.search(r"\{[ \t]*\r?\n([ \t]+)\S", text)
        indent = m.group(1) if m else "  "
        out = json.dumps(data, indent=indent, ensure_ascii=_ascii_only(text))
    if crlf:
        out = out.replace("\n", "\r\n")
    if not body or text.endswith("\n"):
        out += "\r\n" if crlf else "\n"
    return (b"\xef\xbb\xbf" if bom else b"") + out.encode("utf-8")


def _ascii_only(text: str) -> bool:
    """Whether the original escaped non-ASCII characters (``\\u00e9``) rather than writing them."""
    return "\\u" in text and all(ord(c) < 128 for c in text)


# --- the target ----------------------------------------------------------------------------
class DesktopTarget:
    name = "desktop"

    def __init__(
        self,
        settings_dir: Path | None = None,
        host: str | None = None,
        *,
        reason: str = "",
        docker_cli: str = "docker",
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self.settings_dir = Path(settings_dir) if settings_dir else desktop_settings_dir()
        self._host = host or desktop_host()
        self.reason = reason or "--target desktop"
        self.docker_cli = docker_cli
        self.start_timeout = start_timeout
        self._cli: tuple[bool, str] | None = None

    @property
    def config_path(self) -> Path:
        return desktop_settings_file(self.settings_dir) or self.settings_dir / SETTINGS_STORE

    @property
    def host(self) -> str:
        return self._host

    def client(self, timeout: float = 30.0) -> EngineClient:
        return EngineClient(self.host, timeout=timeout)

    def read_config(self) -> DesktopSettings:
        return DesktopSettings.load(self.config_path)

    def installed(self) -> tuple[bool, str]:
        path = desktop_settings_file(self.settings_dir)
        if path is None:
            return False, (
                f"Docker Desktop's settings file was not found in {self.settings_dir} ({' or '.join(FILE_NAMES)}): "
                "is Docker Desktop installed and started once for this user?"
            )
        return True, f"Docker Desktop (settings in {path})"

    def validate(self, content: bytes) -> None:
        """Docker Desktop checks its own settings; the verify step after the restart decides."""

    def restart_plan(self, restart: bool) -> tuple[bool, str]:
        if not restart:
            return False, "--no-restart was given"
        if not self._engine_answers():
            return False, "Docker Desktop is not running; the setting takes effect when you start it"
        able, why = self.cli_restart()
        return (True, "") if able else (False, why)

    def cli_restart(self) -> tuple[bool, str]:
        """Whether ``docker desktop restart`` exists here, and if not, what the user does instead."""
        if self._cli is None:
            self._cli = self._probe_cli()
        return self._cli

    def _probe_cli(self) -> tuple[bool, str]:
        instead = (
            "restart Docker Desktop yourself (whale menu > Restart); until then `storeswitch status` shows "
            "restart pending"
        )
        try:
            proc = subprocess.run(
                [self.docker_cli, "desktop", "version"],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False, f"the docker CLI is not available to restart Docker Desktop: {instead}"
        if proc.returncode != 0:
            return False, f"this Docker Desktop has no `docker desktop restart` (it came with 4.37): {instead}"
        return True, ""

    def stop(self) -> None:
        """Nothing: ``docker desktop restart`` stops and starts in one step."""

    def start(self) -> None:
        able, why = self.cli_restart()
        if not able:
            raise EngineError(f"Docker Desktop cannot be restarted from here: {why}")
        try:
            proc = subprocess.run(
                [self.docker_cli, "desktop", "restart"],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=self.start_timeout,
            )
        except subprocess.TimeoutExpired as exc:
            raise EngineError(f"`docker desktop restart` did not finish within {self.start_timeout:.0f} s") from exc
        if proc.returncode != 0:
            words = (proc.stderr or proc.stdout).strip().splitlines()
            raise EngineError(f"`docker desktop restart` failed (exit {proc.returncode}): {words[-1] if words else ''}")
        deadline = time.monotonic() + self.start_timeout
        with self.client(timeout=5) as client:
            while time.monotonic() < deadline:
                if client.ping(timeout=1.0):
                    return
                time.sleep(0.5)
        raise EngineError(f"Docker Desktop's engine did not answer on {self.host} within {self.start_timeout:.0f} s")

    def store_roots(self, info: dict | None) -> dict[Store, StoreRoots]:
        data_root = Path((info or {}).get("DockerRootDir") or "/var/lib/docker")
        note = ("inside Docker Desktop's VM",)
        return {
            Store.CLASSIC: StoreRoots(Store.CLASSIC, (data_root / "image", data_root / "overlay2"), note),
            Store.CONTAINERD: StoreRoots(Store.CONTAINERD, (Path("/var/lib/containerd"), data_root / "containerd"), note),
        }

    def log_tail(self, lines: int = 50) -> str:
        return ""

    def _engine_answers(self) -> bool:
        try:
            with self.client(timeout=5) as client:
                return client.ping(timeout=2.0)
        except EngineError:
            return False
