"""A stand-in for Docker Desktop's backend settings API, on a real unix socket (a test double).

Docker Desktop cannot run on these machines (Linux CI, no VM, no Desktop licence), so its
backend is replaced by this small HTTP server. It answers the two protocols as the public
client that uses them expects (Tilt's ctlptl, pkg/cluster/docker_desktop.go and its test
fixture): protocol 2 on ``backend.sock`` (``GET /app/settings?format=grouped``, ``POST
/app/settings`` with the whole grouped document, ``{"value", "locked"}`` objects kept), protocol
1 on ``backend.native.sock`` or ``gui-api.sock`` (``GET /settings``, ``POST /settings`` with the
values only). A POST in the wrong shape for its protocol is refused with 400, as a client bug
would be. After a POST it does what Docker Desktop does with the two settings storeswitch
changes: it writes them into the settings file (every other key kept) and, when given
``on_store``, calls it so a test can restart a real engine on the new store.
"""

from __future__ import annotations

import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Callable

SOCKETS = {2: "backend.sock", 1: "backend.native.sock"}


def send_json(handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
    """Answer *handler*'s request with *body* as JSON (the stand-ins' one way of answering)."""
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def grouped(kubernetes: bool, containerd: bool, protocol: int, k8s_locked: bool = False) -> dict[str, Any]:
    """A grouped settings document of the shape each protocol answers (ctlptl's fixture's shape)."""
    daemon = '{"builder":{"gc":{"enabled":true}},"experimental":false}'
    return {
        "vm": {
            "daemon": {"value": daemon, "locked": False} if protocol == 2 else {"locks": [], "json": daemon},
            "resources": {"cpus": {"value": 4, "min": 1, "max": 8}, "memoryMiB": {"value": 8092, "min": 1024, "max": 15627}},
            "kubernetes": {"enabled": {"value": kubernetes, "locked": k8s_locked}, "installed": True,
                           "showSystemContainers": {"value": False, "locked": False}},
            "network": {"dns": {"locked": False}, "vpnkitCIDR": {"value": "192.168.65.0/24", "locked": False}},
        },
        "desktop": {
            "autoStart": False,
            "analyticsEnabled": {"value": True, "locked": False},
            "useContainerdSnapshotter": containerd,
        },
        "wslIntegration": {"distros": [], "enableIntegrationWithDefaultWslDistro": False},
    }


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class StandInDesktop:
    def __init__(
        self,
        directory: Path,
        protocol: int = 2,
        settings_file: Path | None = None,
        *,
        socket_name: str | None = None,
        refuse_post: int | None = None,
        refuse_get: int | None = None,
        k8s_locked: bool = False,
        on_store: Callable[[bool], None] | None = None,
    ) -> None:
        self.protocol = protocol
        self.socket = Path(directory) / (socket_name or SOCKETS[protocol])
        self.settings_file = settings_file
        self.refuse_post, self.refuse_get = refuse_post, refuse_get
        self.on_store = on_store
        file = self._file()
        kubernetes = file.get("KubernetesEnabled", file.get("kubernetesEnabled", False))
        containerd = file.get("UseContainerdSnapshotter", file.get("useContainerdSnapshotter", False))
        unwrap = lambda v: v["value"] if isinstance(v, dict) else v  # noqa: E731
        self.state = grouped(unwrap(kubernetes), unwrap(containerd), protocol, k8s_locked)
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []  # method, path, headers, body
        self._server: _Server | None = None

    def _file(self) -> dict[str, Any]:
        return json.loads(self.settings_file.read_text()) if self.settings_file and self.settings_file.exists() else {}

    def __enter__(self) -> "StandInDesktop":
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # the default one wants a TCP peer address
                pass

            def _answer(self, status: int, body: Any) -> None:
                send_json(self, status, body)

            def do_GET(self) -> None:
                standin.requests.append(("GET", self.path, dict(self.headers), None))
                want = "/app/settings?format=grouped" if standin.protocol == 2 else "/settings"
                if self.path != want:
                    return self._answer(404, {"message": f"no route {self.path}"})
                if standin.refuse_get:
                    return self._answer(standin.refuse_get, {"message": "backend not ready"})
                self._answer(200, standin.state)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
                standin.requests.append(("POST", self.path, dict(self.headers), body))
                want = "/app/settings" if standin.protocol == 2 else "/settings"
                if self.path != want:
                    return self._answer(404, {"message": f"no route {self.path}"})
                if standin.refuse_post:
                    return self._answer(standin.refuse_post, {"message": "settings are being applied, try again later"})
                if self.headers.get("Content-Type") != "application/json":
                    return self._answer(415, {"message": "Content-Type must be application/json"})
                problem = standin.shape_problem(body)
                if problem:
                    return self._answer(400, {"message": problem})
                standin.take(body)
                self._answer(201, {})

        self.socket.unlink(missing_ok=True)
        self._server = _Server(str(self.socket), Handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="desktop-standin", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self.socket.unlink(missing_ok=True)

    def shape_problem(self, body: Any) -> str | None:
        """Why *body* is not what this protocol's POST takes (None: it is)."""
        try:
            enabled = body["vm"]["kubernetes"]["enabled"]
            daemon = body["vm"]["daemon"]
            body["desktop"]["useContainerdSnapshotter"]
        except (KeyError, TypeError):
            return "missing settings"
        if self.protocol == 2:
            ok = isinstance(enabled, dict) and set(enabled) == {"value", "locked"} and isinstance(daemon, dict)
        else:
            ok = isinstance(enabled, bool) and isinstance(daemon, str)
        return None if ok else f"not a protocol {self.protocol} settings document"

    def take(self, body: dict[str, Any]) -> None:
        """Apply a POST as Docker Desktop does: its state, its settings file, its engine."""
        unwrap = lambda v: v["value"] if isinstance(v, dict) else v  # noqa: E731
        kubernetes = unwrap(body["vm"]["kubernetes"]["enabled"])
        containerd = unwrap(body["desktop"]["useContainerdSnapshotter"])
        old_containerd = self.state["desktop"]["useContainerdSnapshotter"]
        self.state["vm"]["kubernetes"]["enabled"]["value"] = kubernetes
        self.state["desktop"]["useContainerdSnapshotter"] = containerd
        if self.settings_file is not None:
            data = self._file()
            legacy = "useContainerdSnapshotter" in data or "kubernetesEnabled" in data
            data["kubernetesEnabled" if legacy else "KubernetesEnabled"] = kubernetes
            data["useContainerdSnapshotter" if legacy else "UseContainerdSnapshotter"] = containerd
            self.settings_file.write_text(json.dumps(data, indent=2) + "\n")
        if self.on_store is not None and containerd != old_containerd:
            self.on_store(containerd)

    @property
    def posts(self) -> list[Any]:
        return [body for method, _, _, body in self.requests if method == "POST"]
