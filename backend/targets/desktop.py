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
from typing import Any, Callable

from backend.atomic import write_atomic
from backend.daemon_config import parse
from backend.engine.api import EngineClient
from backend.errors import ConfigError, EngineError, StoreswitchError
from backend.stores import Store, StoreRoots, live_store
from backend.targets.locations import DESKTOP_DIR_ENV as DIR_ENV, desktop_settings_dir, desktop_settings_file
from migration.desktop_settings import (
    FILE_NAMES,
    KUBERNETES_KEY,
    KUBERNETES_MODE_KEY,
    SETTINGS_STORE,
    STORE_KEY,
    TIME_KEY,
    DesktopFormat,
    format_for,
    rewrap,
    unwrap,
)

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
    # Set by DesktopTarget when Docker Desktop's settings API answers: sets the store there (raises
    # StoreswitchError on a refusal) and returns the words for the way it went.
    via_api: Callable[[Store], str] | None = field(default=None, repr=False, compare=False)
    channel: str | None = None  # how the last write went, for people
    api_refusal: str | None = None  # why the settings API did not take it (the file was written)

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

    def setting(self, key: str) -> tuple[Any, bool]:
        """``(value, locked)`` of *key* (settings-store.json spelling); a locked value is unwrapped."""
        return unwrap(self.current.get(key))

    @property
    def store(self) -> Store:
        value, _ = self.setting(STORE_KEY)
        if value is None:
            return Store.CONTAINERD if self.fmt.default_containerd else Store.CLASSIC
        if not isinstance(value, bool):
            raise ConfigError(
                f"{self.path}: key {self.fmt.key(STORE_KEY)!r} must be true or false, found {value!r}. "
                "The file was left untouched; fix it in Docker Desktop (Settings > General) or by hand."
            )
        return Store.CONTAINERD if value else Store.CLASSIC

    @property
    def kubernetes_enabled(self) -> bool:
        """Docker Desktop's own Kubernetes (``KubernetesEnabled``; off when the file does not say)."""
        value, _ = self.setting(KUBERNETES_KEY)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise ConfigError(
                f"{self.path}: key {self.fmt.key(KUBERNETES_KEY)!r} must be true or false, found {value!r}; "
                "fix it in Docker Desktop (Settings > Kubernetes) or by hand"
            )
        return value

    @property
    def kubernetes_mode(self) -> str | None:
        """``KubernetesMode`` (``"kubeadm"``, ``"kind"``), or None when the file does not say."""
        value, _ = self.setting(KUBERNETES_MODE_KEY)
        return value if isinstance(value, str) and value else None

    def locked(self, key: str) -> bool:
        return self.setting(key)[1]

    @property
    def last_enabled(self) -> int | None:
        value, _ = self.setting(TIME_KEY)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def with_store(self, store: Store, snapshotter: str | None = None, now: float | None = None) -> bytes:
        """The file's bytes asking for *store*; the same bytes when it already does."""
        if snapshotter:
            raise ConfigError("Docker Desktop chooses its own snapshotter; --snapshotter applies to daemon.json targets")
        store_key = self.fmt.key(STORE_KEY)
        if store_key in self.data and self.store is store and self.raw is not None:
            return self.raw
        self._refuse_locked(STORE_KEY, "the image store")
        new = dict(self.data)
        new[store_key] = rewrap(new.get(store_key), store is Store.CONTAINERD)
        time_key = self.fmt.key(TIME_KEY)
        if store is Store.CONTAINERD and (self.fmt.adds_time_key or time_key in new):
            new[time_key] = rewrap(new.get(time_key), int(time.time() if now is None else now))
        return render_like(self.raw or b"", new)

    def with_kubernetes(self, enabled: bool) -> bytes:
        """The file's bytes with Docker Desktop's Kubernetes on or off; the same bytes when it already is."""
        key = self.fmt.key(KUBERNETES_KEY)
        if self.kubernetes_enabled is bool(enabled) and (key in self.data or not enabled) and self.raw is not None:
            return self.raw
        self._refuse_locked(KUBERNETES_KEY, "Kubernetes")
        new = dict(self.data)
        new[key] = rewrap(new.get(key), bool(enabled))
        return render_like(self.raw or b"", new)

    def _refuse_locked(self, key: str, what: str) -> None:
        if self.locked(key):
            raise ConfigError(
                f"{self.path}: {what} is locked by your administrator ({self.fmt.key(key)!r} has \"locked\": true, "
                "Docker Desktop's Settings Management); the file was left untouched. Ask your administrator to change it."
            )

    def write(self, content: bytes) -> None:
        """Write *content*; through Docker Desktop's settings API instead when the target offers it.

        The API only takes settings it knows, so it is used when *content* changes nothing but
        the store (and its time stamp): the switch's own edit. Any other edit (the GUI's editor)
        goes into the file. A refusal falls back to the file; ``channel`` says which way it went.
        """
        if self.via_api is not None and self._store_only(content):
            try:
                self.channel = self.via_api(_store_of(self, content))
                if self.channel is not None:
                    return
            except StoreswitchError as exc:
                self.api_refusal = str(exc)
        write_atomic(self.path, content, mode=0o644)
        self.channel = f"{self.path.name} (Docker Desktop reads it when it restarts)"

    def _store_only(self, content: bytes) -> bool:
        try:
            new = parse(content, str(self.path))
        except ConfigError:
            return False
        skip = {self.fmt.key(STORE_KEY), self.fmt.key(TIME_KEY)}
        if _store_of(self, content) is self.store:
            return False  # nothing for the API to do: formatting, or the same store written again
        return {k: v for k, v in new.items() if k not in skip} == {k: v for k, v in self.data.items() if k not in skip}


def _store_of(settings: DesktopSettings, content: bytes) -> Store:
    return DesktopSettings(settings.path, content, parse(content, str(settings.path)), settings.fmt).store


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
    runs_engine_itself = False
    chooses_snapshotter = False  # Docker Desktop chooses its own snapshotter
    saves_without_restart = True  # the file is written; Desktop takes it at its next start

    def __init__(
        self,
        settings_dir: Path | None = None,
        host: str | None = None,
        *,
        reason: str = "",
        docker_cli: str = "docker",
        start_timeout: float = START_TIMEOUT,
        api_dir: Path | None = None,
    ) -> None:
        self.settings_dir = Path(settings_dir) if settings_dir else desktop_settings_dir()
        self._host = host or desktop_host()
        self.reason = reason or "--target desktop"
        self.docker_cli = docker_cli
        self.start_timeout = start_timeout
        self.api_dir = api_dir
        self._cli: tuple[bool, str] | None = None
        self._api: tuple[bool, str] | None = None  # (answers, which socket / why not), asked once
        self._api_store: Store | None = None  # the store Docker Desktop was asked for through its API
        self._api_refusal: str | None = None
        self.last_channel: str | None = None  # how the last change reached Docker Desktop, for people
        self._use_api = True  # False after restart_plan(False): --no-restart only saves the file

    @property
    def config_path(self) -> Path:
        return desktop_settings_file(self.settings_dir) or self.settings_dir / SETTINGS_STORE

    @property
    def host(self) -> str:
        return self._host

    def client(self, timeout: float = 30.0) -> EngineClient:
        return EngineClient(self.host, timeout=timeout)

    def read_config(self) -> DesktopSettings:
        settings = DesktopSettings.load(self.config_path)
        settings.via_api = self._store_via_api
        self._watch(settings)
        return settings

    # --- Docker Desktop's settings API (backend.targets.desktop_api) ---------------------
    def settings_api(self):
        """The settings API client for this Docker Desktop's backend sockets.

        On Linux the sockets sit beside the settings file (``~/.docker/desktop``), so a target
        built on another settings directory looks there; elsewhere, where Docker Desktop keeps them.
        """
        from backend.targets.desktop_api import SOCKET_DIR_ENV, DesktopSettingsAPI, socket_dir

        directory = self.api_dir
        if directory is None and not os.environ.get(SOCKET_DIR_ENV) and sys.platform.startswith("linux"):
            directory = self.settings_dir
        return DesktopSettingsAPI.here(directory)

    def api_state(self) -> tuple[bool, str]:
        """Whether the settings API answers with a store setting it would take, and the words for it."""
        if self._api is None:
            from backend.targets.desktop_api import STORE_SETTING, SettingsAPIError

            try:
                _, locked, endpoint = self.settings_api().get(STORE_SETTING)
                self._api = (False, "the image store is locked by your administrator") if locked else (True, endpoint.describe())
            except SettingsAPIError as exc:
                self._api = (False, str(exc))
        return self._api

    def desktop_status(self) -> dict[str, Any]:
        """For ``status``: how a change reaches Docker Desktop now, and its Kubernetes setting (asked afresh)."""
        from backend.targets.desktop_api import STORE_SETTING, SettingsAPIError

        out: dict[str, Any] = {"settings_api": False, "settings_api_reason": "", "changes_go_to": ""}
        try:
            _, locked, endpoint = self.settings_api().get(STORE_SETTING)
            out["settings_api"] = not locked
            out["settings_api_reason"] = endpoint.describe() + (" (the image store is locked by your administrator)" if locked else "")
        except SettingsAPIError as exc:
            out["settings_api_reason"] = str(exc)
        out["changes_go_to"] = (f"{out['settings_api_reason']}: Docker Desktop applies them itself" if out["settings_api"]
                                else f"{self.config_path.name}: Docker Desktop applies them when it restarts (restart pending)")
        try:
            config = DesktopSettings.load(self.config_path)
            out["kubernetes_enabled"], out["kubernetes_mode"] = config.kubernetes_enabled, config.kubernetes_mode
        except ConfigError:
            out["kubernetes_enabled"], out["kubernetes_mode"] = None, None
        return out

    def _store_via_api(self, store: Store) -> str | None:
        """Ask Docker Desktop for *store* through its API; None when a switch must not (``--no-restart``)."""
        from backend.targets.desktop_api import STORE_SETTING, SettingsAPIError

        if not self._use_api:
            return None
        answers, why = self.api_state()
        if not answers:
            raise SettingsAPIError(why)
        endpoint = self.settings_api().set(STORE_SETTING, store is Store.CONTAINERD)
        self._api_store, self._api_refusal = store, None
        return f"{endpoint.describe()}: Docker Desktop applies it itself"

    def _watch(self, settings: DesktopSettings) -> None:
        """Note how a write of *settings* went (``last_channel``), for the switch's words."""
        write = settings.write

        def write_and_note(content: bytes) -> None:
            self._api_store = None
            write(content)
            self._api_refusal = settings.api_refusal
            self.last_channel = settings.channel + (
                f" (the settings API did not take it: {settings.api_refusal})" if settings.api_refusal else "")

        settings.write = write_and_note  # type: ignore[method-assign]

    def restore_config(self, original: bytes | None) -> None:
        """Put the original bytes back: through the settings API when the switch went that way."""
        if original is not None and self._api_store is not None:
            try:
                self.read_config().write(original)  # the store back through the API, else these bytes
                return
            except ConfigError:
                pass  # the file Docker Desktop wrote cannot be read: put the original bytes back
        self._api_store = None
        if original is None:
            self.config_path.unlink(missing_ok=True)
        else:
            write_atomic(self.config_path, original, mode=0o644)

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
        self._use_api = restart
        if not restart:
            return False, "--no-restart was given"
        if not self._engine_answers():
            self._use_api = False
            return False, "Docker Desktop is not running; the setting takes effect when you start it"
        if self.api_state()[0]:
            return True, ""  # Docker Desktop restarts its engine itself once the API has the setting
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
        if self._api_store is not None:
            self._wait_for(self._api_store)
            return
        able, why = self.cli_restart()
        if not able:
            if self._api_refusal:
                why = f"its settings API refused the change ({self._api_refusal}), and {why}"
            elif self._api is not None and self._api[0]:
                why = (f"its settings API takes the image store alone, the other changes to {self.config_path.name} "
                       f"need Docker Desktop restarted, and {why}")
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

    def _wait_for(self, store: Store) -> None:
        """Docker Desktop took the setting through its API and restarts its engine: wait for it on *store*."""
        deadline = time.monotonic() + self.start_timeout
        seen = "did not answer"
        with self.client(timeout=5) as client:
            while time.monotonic() < deadline:
                try:
                    running = live_store(client.info())
                    if running is store:
                        return
                    seen = f"still runs the {running.title}"
                except EngineError:
                    seen = "did not answer"
                time.sleep(0.5)
        raise EngineError(f"Docker Desktop took the setting, but its engine {seen} on {self.host} within {self.start_timeout:.0f} s")

    def store_roots(self, info: dict | None) -> dict[Store, StoreRoots]:
        data_root = Path((info or {}).get("DockerRootDir") or "/var/lib/docker")
        note = ("inside Docker Desktop's VM",)
        return {
            Store.CLASSIC: StoreRoots(Store.CLASSIC, (data_root / "image", data_root / "overlay2"), note),
            Store.CONTAINERD: StoreRoots(Store.CONTAINERD, (Path("/var/lib/containerd"), data_root / "containerd"), note),
        }

    def inspect_stores(self, info: dict | None, **options: Any) -> dict:
        """Both stores where they are, inside the VM (:mod:`backend.targets.desktop_inspect`)."""
        from backend.targets.desktop_inspect import inspect_desktop_stores

        return inspect_desktop_stores(self, info, **options)

    def log_tail(self, lines: int = 50) -> str:
        return ""

    def _engine_answers(self) -> bool:
        try:
            with self.client(timeout=5) as client:
                return client.ping(timeout=2.0)
        except EngineError:
            return False
