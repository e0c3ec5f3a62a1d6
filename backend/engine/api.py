"""``EngineClient``: the Docker Engine API over httpx, on a unix socket or tcp.

The client negotiates the API version the way docker-py does: ``GET /version`` unversioned,
then every call under ``/v<ApiVersion>``. Errors are turned into :mod:`backend.errors` types
whose text says what failed and what to try ("no engine listening on unix:///...: is it
started?"), and the engine's own ``message`` is kept verbatim, because the switch quotes it.
"""

from __future__ import annotations

import json
from typing import Any, Iterable
from urllib.parse import urlparse

import httpx

from backend.errors import EngineAPIError, EngineError, EngineUnreachable

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 30.0


class EngineClient:
    """One engine, addressed like the docker CLI does (``unix:///...`` or ``tcp://host:port``)."""

    def __init__(self, host: str, timeout: float = READ_TIMEOUT) -> None:
        self.host = host
        url = urlparse(host)
        # A transport with verify=True loads the CA bundle (about 20-40 ms per client, several
        # clients per switch). No TLS is ever spoken over a unix socket or plain http, so those
        # transports skip it; https keeps the default verification.
        if url.scheme == "unix":
            transport = httpx.HTTPTransport(uds=url.path, verify=False)
            base = "http://docker"
        elif url.scheme in ("tcp", "http", "https"):
            scheme = "https" if url.scheme == "https" or url.port == 2376 else "http"
            transport = httpx.HTTPTransport() if scheme == "https" else httpx.HTTPTransport(verify=False)
            base = f"{scheme}://{url.netloc}"
        else:
            raise EngineError(f"engine address {host!r} is not unix:// or tcp://; check DOCKER_HOST or your docker context")
        self._http = httpx.Client(
            transport=transport,
            base_url=base,
            timeout=httpx.Timeout(timeout, connect=CONNECT_TIMEOUT),
        )
        self._api_version: str | None = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "EngineClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport ----------------------------------------------------------------------
    def _send(self, method: str, path: str, *, timeout: float | None = None, **kw: Any) -> httpx.Response:
        try:
            if timeout is not None:
                kw["timeout"] = httpx.Timeout(timeout, connect=CONNECT_TIMEOUT)
            resp = self._http.request(method, path, **kw)
        except (httpx.ConnectError, FileNotFoundError, ConnectionRefusedError) as exc:
            raise EngineUnreachable(f"no engine listening on {self.host}: is it started?") from exc
        except httpx.TimeoutException as exc:
            raise EngineUnreachable(
                f"the engine at {self.host} did not answer {method} {path} in time: it may be hung; "
                "restart it and try again"
            ) from exc
        except httpx.RemoteProtocolError as exc:
            raise EngineError(
                f"the engine at {self.host} broke off or garbled its reply to {method} {path} ({exc}): "
                "if it is restarting, try again; otherwise check that a Docker Engine listens there"
            ) from exc
        except httpx.HTTPError as exc:
            raise EngineError(f"talking to the engine at {self.host} failed on {method} {path}: {exc}") from exc
        if resp.status_code >= 400:
            raise EngineAPIError(resp.status_code, _error_message(resp), f"{method} {path}")
        return resp

    @property
    def api_version(self) -> str:
        if self._api_version is None:
            self._api_version = str(self.version()["ApiVersion"])
        return self._api_version

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """A versioned call: ``path`` is like ``/info``."""
        return self._send(method, f"/v{self.api_version}{path}", **kw)

    def _json(self, resp: httpx.Response) -> Any:
        try:
            return resp.json()
        except ValueError as exc:
            raise EngineError(
                f"the engine at {self.host} sent a reply that is not JSON for {resp.request.url.path}: "
                f"{resp.text[:200]!r}; is something else listening there?"
            ) from exc

    # --- calls --------------------------------------------------------------------------
    def ping(self, timeout: float = 2.0) -> bool:
        try:
            return self._send("GET", "/_ping", timeout=timeout).text.strip() == "OK"
        except EngineError:
            return False

    def version(self) -> dict[str, Any]:
        data = self._json(self._send("GET", "/version"))
        if not isinstance(data, dict) or "ApiVersion" not in data:
            raise EngineError(f"the engine at {self.host} sent a /version reply without ApiVersion: {str(data)[:200]}")
        return data

    def info(self) -> dict[str, Any]:
        return self._json(self.request("GET", "/info"))

    def images(self, all: bool = True, filters: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
        params: dict[str, str] = {"all": "1" if all else "0"}
        if filters:
            params["filters"] = json.dumps(filters)
        return self._json(self.request("GET", "/images/json", params=params))

    def containers(self, all: bool = True) -> list[dict[str, Any]]:
        return self._json(self.request("GET", "/containers/json", params={"all": "1" if all else "0"}))

    def import_image(self, tar_bytes: bytes, repo: str, tag: str = "latest") -> None:
        """``POST /images/create?fromSrc=-``: an image from a tar, no registry needed."""
        resp = self.request(
            "POST",
            "/images/create",
            params={"fromSrc": "-", "repo": repo, "tag": tag},
            content=tar_bytes,
            headers={"Content-Type": "application/x-tar"},
            timeout=120,
        )
        _raise_stream_error(resp.text, f"import {repo}:{tag}")

    def load_images(self, tar_bytes: bytes) -> str:
        resp = self.request(
            "POST", "/images/load", params={"quiet": "1"}, content=tar_bytes,
            headers={"Content-Type": "application/x-tar"}, timeout=120,
        )
        _raise_stream_error(resp.text, "load")
        return resp.text

    def export_image(self, name: str) -> bytes:
        return self.request("GET", "/images/get", params={"names": name}, timeout=120).content

    def remove_image(self, ref: str, force: bool = True) -> None:
        self.request("DELETE", f"/images/{ref}", params={"force": "1" if force else "0"})

    def inspect_image(self, ref: str) -> dict[str, Any]:
        return self._json(self.request("GET", f"/images/{ref}/json"))

    def create_container(self, image: str, name: str | None = None, cmd: Iterable[str] = ("/none",)) -> str:
        params = {"name": name} if name else None
        body = {"Image": image, "Cmd": list(cmd)}
        return self._json(self.request("POST", "/containers/create", params=params, json=body))["Id"]

    def remove_container(self, ident: str, force: bool = True) -> None:
        self.request("DELETE", f"/containers/{ident}", params={"force": "1" if force else "0"})


def _error_message(resp: httpx.Response) -> str:
    try:
        data = resp.json()
        if isinstance(data, dict) and data.get("message"):
            return str(data["message"])
    except ValueError:
        pass
    return resp.text.strip()[:500] or resp.reason_phrase


def _raise_stream_error(body: str, what: str) -> None:
    """Streamed endpoints answer 200 and put the failure in a JSON line's ``error``."""
    for line in body.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and (item.get("error") or item.get("errorDetail")):
            msg = item.get("error") or item["errorDetail"].get("message", "")
            raise EngineAPIError(500, str(msg), what)
