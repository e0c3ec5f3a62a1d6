"""Docker Desktop's backend settings API: change a setting while Desktop runs, so it applies it itself.

Docker Desktop does not document this API; tools that change Desktop's settings while it runs use
it anyway, and this module speaks it the way the most used public client does: Tilt's
``ctlptl`` (tilt-dev/ctlptl, ``pkg/cluster/docker_desktop.go`` and ``docker_desktop_dial*.go``).
What that client shows, and what is done here:

- **Protocol 2** (Docker Desktop 4.12 and later): the backend socket ``backend.sock``
  (``~/.docker/desktop/`` on Linux, ``~/Library/Containers/com.docker.docker/Data/`` on macOS,
  the named pipe ``\\\\.\\pipe\\dockerBackendApiServer`` on Windows). ``GET
  /app/settings?format=grouped`` answers the settings grouped by section (``vm.kubernetes.enabled``,
  ``desktop.useContainerdSnapshotter``), each either a plain value or ``{"value": ...,
  "locked": ...}`` (with ``min``/``max`` for numbers). ``POST /app/settings`` takes the same
  document back with the changed value, the ``{"value", "locked"}`` objects kept.
- **Protocol 1** (before 4.12): ``backend.native.sock`` (``gui-api.sock`` in older versions;
  pipes ``dockerBackendNativeApiServer`` / ``dockerWebApiServer`` on Windows). ``GET /settings``
  answers the same grouped shape; ``POST /settings`` takes only the values: each
  ``{"value": ..., "locked": ...}`` replaced by its value, ``{"locks": [...], "json": ...}`` by its
  ``json``, and a ``{"locked": ...}`` alone dropped.

Both are asked in that order (newest first), as ctlptl does; requests carry ``Content-Type:
application/json``. A status outside 200-204 is a refusal. A setting whose ``locked`` is true
is not sent (Settings Management: the administrator decides), and the caller falls back to the
settings file, which refuses it too with the same words.

Why by hand: no library speaks this API (ctlptl says so too: "There isn't an off-the-shelf library
or documented protocol"). httpx on the unix socket, as the engine client. Windows named pipes are
not reachable through httpx: there the API is reported unavailable and the file is used.

Docker Desktop cannot run on the machines storeswitch is tested on (Linux CI without a VM), so
the tests run a stand-in server on a unix socket that answers both protocols the way ctlptl's
own test fixture expects them (tests/unit/test_desktop_api.py says so).
"""

from __future__ import annotations

import copy
import json
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.errors import StoreswitchError

TIMEOUT = 5.0
KUBERNETES_SETTING = ("vm", "kubernetes", "enabled")
STORE_SETTING = ("desktop", "useContainerdSnapshotter")
SOCKET_DIR_ENV = "STORESWITCH_DESKTOP_SOCKET_DIR"
HEADERS = {"Content-Type": "application/json"}


class SettingsAPIError(StoreswitchError):
    """Docker Desktop's settings API is not there, refused, or could not take the setting."""


class SettingLocked(SettingsAPIError):
    """The setting is locked by an administrator: neither the API nor the file may change it."""


@dataclass(frozen=True)
class Endpoint:
    """One socket and the protocol spoken on it."""

    protocol: int  # 2: /app/settings (4.12+); 1: /settings (before)
    socket: Path

    @property
    def read_path(self) -> str:
        return "/app/settings?format=grouped" if self.protocol == 2 else "/settings"

    @property
    def write_path(self) -> str:
        return "/app/settings" if self.protocol == 2 else "/settings"

    def describe(self) -> str:
        return f"Docker Desktop's settings API ({self.socket.name}, {self.write_path})"


def socket_dir(platform: str | None = None, env: dict[str, str] | None = None) -> Path | None:
    """Where Docker Desktop's backend sockets are on *platform*; None where they are named pipes (Windows)."""
    env = os.environ if env is None else env
    platform = platform or sys.platform
    if env.get(SOCKET_DIR_ENV):
        return Path(env[SOCKET_DIR_ENV])
    home = Path(env.get("HOME") or Path.home())
    if platform == "darwin":
        return home / "Library" / "Containers" / "com.docker.docker" / "Data"
    if platform.startswith("win"):
        return None
    return home / ".docker" / "desktop"


def endpoints_in(directory: Path | None) -> list[Endpoint]:
    """The sockets to try in *directory*, newest protocol first (ctlptl's order)."""
    if directory is None:
        return []
    return [
        Endpoint(2, directory / "backend.sock"),
        Endpoint(1, directory / "backend.native.sock"),
        Endpoint(1, directory / "gui-api.sock"),
    ]


def for_writing(settings: Any, protocol: int) -> Any:
    """The grouped document as a POST of *protocol* takes it (see the module docstring)."""
    if not isinstance(settings, dict):
        return settings
    if "locked" in settings and "value" in settings:
        return settings if protocol == 2 else settings["value"]
    if set(settings) == {"locked"}:
        return None
    if "locks" in settings and "json" in settings:
        return settings["json"]
    out = {}
    for key, value in settings.items():
        new = for_writing(value, protocol)
        if new is not None:
            out[key] = new
    return out


def lookup(settings: dict[str, Any], path: tuple[str, ...]) -> tuple[Any, bool]:
    """``(value, locked)`` at *path* in a grouped document; raises SettingsAPIError when it is not there."""
    node: Any = settings
    for n, part in enumerate(path):
        if not isinstance(node, dict) or part not in node:
            raise SettingsAPIError(f"Docker Desktop's settings have no {'.'.join(path[:n + 1])!r}")
        node = node[part]
    if isinstance(node, dict) and "value" in node:
        return node["value"], node.get("locked") is True
    return node, False


def with_value(settings: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of *settings* with *value* at *path*, in the shape the setting has there."""
    out = copy.deepcopy(settings)
    parent = out
    for part in path[:-1]:
        parent = parent[part]
    old = parent[path[-1]]
    if isinstance(old, dict) and "value" in old:
        old["value"] = value
    else:
        parent[path[-1]] = value
    return out


class DesktopSettingsAPI:
    """A client for the settings API on the first of *endpoints* that answers."""

    def __init__(self, endpoints: list[Endpoint], timeout: float = TIMEOUT) -> None:
        self.endpoints = list(endpoints)
        self.timeout = timeout

    @classmethod
    def here(cls, directory: Path | None = None) -> "DesktopSettingsAPI":
        return cls(endpoints_in(directory if directory is not None else socket_dir()))

    def _request(self, endpoint: Endpoint, method: str, path: str, body: Any = None):
        from backend.engine.api import load_httpx

        httpx = load_httpx()

        transport = httpx.HTTPTransport(uds=str(endpoint.socket), verify=False)
        with httpx.Client(transport=transport, base_url="http://localhost", timeout=self.timeout) as client:
            content = None if body is None else json.dumps(body).encode("utf-8")
            try:
                return client.request(method, path, content=content, headers=HEADERS if body is not None else None)
            except (httpx.HTTPError, OSError) as exc:
                raise SettingsAPIError(f"{endpoint.socket} did not answer ({exc})") from exc

    def read(self) -> tuple[Endpoint, dict[str, Any]]:
        """The grouped settings from the first endpoint that answers, and that endpoint."""
        reasons = []
        for endpoint in self.endpoints:
            if not _is_socket(endpoint.socket):
                reasons.append(f"no socket at {endpoint.socket}")
                continue
            try:
                resp = self._request(endpoint, "GET", endpoint.read_path)
            except SettingsAPIError as exc:
                reasons.append(str(exc))
                continue
            if not 200 <= resp.status_code <= 204:
                reasons.append(f"{endpoint.socket.name} refused GET {endpoint.read_path} ({resp.status_code}: {_text(resp)})")
                continue
            try:
                data = resp.json()
            except ValueError:
                reasons.append(f"{endpoint.socket.name} answered GET {endpoint.read_path} with something that is not JSON")
                continue
            if isinstance(data, dict):
                return endpoint, data
            reasons.append(f"{endpoint.socket.name} answered GET {endpoint.read_path} with a JSON {type(data).__name__}")
        if not self.endpoints:
            reasons.append("its backend is a named pipe on Windows, which storeswitch does not reach")
        raise SettingsAPIError("Docker Desktop's settings API is not available: " + "; ".join(reasons))

    def get(self, path: tuple[str, ...]) -> tuple[Any, bool, Endpoint]:
        endpoint, settings = self.read()
        value, locked = lookup(settings, path)
        return value, locked, endpoint

    def set(self, path: tuple[str, ...], value: Any) -> Endpoint:
        """Set *path* to *value* through the API; the endpoint that took it. Raises SettingsAPIError."""
        endpoint, settings = self.read()
        old, locked = lookup(settings, path)
        if locked:
            raise SettingLocked(
                f"Docker Desktop's setting {'.'.join(path)} is locked by your administrator (Settings Management); "
                "nothing was changed. Ask your administrator to change it."
            )
        if old == value:
            return endpoint
        body = for_writing(with_value(settings, path, value), endpoint.protocol)
        resp = self._request(endpoint, "POST", endpoint.write_path, body)
        if not 200 <= resp.status_code <= 204:
            raise SettingsAPIError(
                f"Docker Desktop refused POST {endpoint.write_path} on {endpoint.socket.name} ({resp.status_code}: {_text(resp)})"
            )
        return endpoint


def _is_socket(path: Path) -> bool:
    try:
        return stat.S_ISSOCK(path.stat().st_mode)
    except OSError:
        return False


def _text(resp) -> str:
    text = resp.text.strip()
    try:
        data = json.loads(text)
        if isinstance(data, dict) and isinstance(data.get("message"), str):
            text = data["message"]
    except ValueError:
        pass
    return text[:200] or "no message"
