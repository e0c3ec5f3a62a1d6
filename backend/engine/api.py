"""``EngineClient``: the Docker Engine API over httpx, on a unix socket or tcp.

The client negotiates the API version the way docker-py does: ``GET /version`` unversioned,
then every call under ``/v<ApiVersion>``. The answer is kept for the process, by address: a
switch makes several clients for one engine (the checks, the live store, the verify after the
restart), and each ``/version`` is a round trip to the engine. Should the engine behind an address
be replaced by an older one that refuses the kept version ("client version ... is too new"), the
call negotiates again and is sent once more. Errors are turned into :mod:`backend.errors` types
whose text says what failed and what to try ("no engine listening on unix:///...: is it
started?"), and the engine's own ``message`` is kept verbatim, because the switch quotes it.

httpx (with httpcore and h11) is imported when the first client is made, not with this module:
it is a large part of a command's start-up (docs/performance.md), and many importers of this module (target detection,
the GUI's first paint, ``--help``) never talk to an engine, or do so later, off the critical path.
It is imported without its command-line client (:func:`load_httpx`).
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterable, Iterator

from backend.errors import EngineAPIError, EngineError, EngineUnreachable

if TYPE_CHECKING:
    import httpx

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 30.0
STREAM_TIMEOUT = 600.0  # an export or import of gigabytes: the engine may think for a while between chunks
STREAM_CHUNK = 1 << 20

_negotiated: dict[str, str] = {}  # engine address -> ApiVersion it answered (see the module docstring)


def load_httpx():
    """httpx, loaded without ``httpx._main``, its command-line client (``httpx URL`` in a shell).

    ``import httpx`` runs ``from ._main import main`` and falls back to a stub on ImportError
    (httpx/__init__.py). Where click, rich and pygments are installed (in a development venv:
    import-linter brings them) that import loads all three, about half of what ``import httpx``
    costs, for a function storeswitch never calls (docs/performance.md). A None entry in
    ``sys.modules`` makes that one import fail at once (the import system's documented way to
    block a module), so httpx keeps its stub, as it does in the Debian package, which ships no
    click or rich. Every use of httpx in storeswitch goes through here.
    """
    import sys

    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)
    import httpx

    return httpx


class EngineClient:
    """One engine, addressed like the docker CLI does (``unix:///...`` or ``tcp://host:port``)."""

    def __init__(self, host: str, timeout: float = READ_TIMEOUT) -> None:
        from urllib.parse import urlparse

        httpx = load_httpx()  # here, not at the top: see the module docstring

        self.host = host
        url = urlparse(host)
        # A transport with verify=True loads the CA bundle (a cost per client, several
        # clients per switch: docs/performance.md). No TLS is ever spoken over a unix socket or plain http, so those
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
        import httpx  # loaded by __init__ already (load_httpx): a dictionary lookup

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
            known = _negotiated.get(self.host)
            self._api_version = known if known is not None else str(self.version()["ApiVersion"])
        return self._api_version

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """A versioned call: ``path`` is like ``/info``."""
        kept = self._api_version is None and self.host in _negotiated
        try:
            return self._send(method, f"/v{self.api_version}{path}", **kw)
        except EngineAPIError as exc:
            if not (kept and exc.status == 400 and "too new" in exc.message):
                raise
        # The version kept from an earlier client is refused: the engine here is another one now.
        _negotiated.pop(self.host, None)
        self._api_version = None
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
        # The negotiation is this same call: a caller that asks for /version first (status, the
        # known-issue probe) spares the versioned calls after it a second round trip.
        self._api_version = _negotiated[self.host] = str(data["ApiVersion"])
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

    def inspect_image(self, ref: str, platform: dict[str, str] | None = None) -> dict[str, Any]:
        """*platform*: which platform of a multi-platform image (API 1.49+; older engines ignore it)."""
        params = {"platform": json.dumps(platform, separators=(",", ":"))} if platform else None
        return self._json(self.request("GET", f"/images/{ref}/json", params=params))

    def create_container(self, image: str, name: str | None = None, cmd: Iterable[str] = ("/none",)) -> str:
        params = {"name": name} if name else None
        body = {"Image": image, "Cmd": list(cmd)}
        return self._json(self.request("POST", "/containers/create", params=params, json=body))["Id"]

    def remove_container(self, ident: str, force: bool = True) -> None:
        self.request("DELETE", f"/containers/{ident}", params={"force": "1" if force else "0"})

    # --- streamed export and import: bringing images along a switch (backend/bring.py) -----
    # ``docker save`` / ``docker load`` move gigabytes: these never hold a whole archive in memory.
    def save_images(self, names: list[str], out: BinaryIO, platform: dict[str, str] | None = None,
                    on_chunk: Callable[[int], None] | None = None) -> int:
        """``GET /images/get?names=…``: the engine's export of *names*, written to *out* chunk by chunk.

        *platform* (an OCI platform) selects one platform of a multi-platform image; the engine
        honours it from API 1.48 (moby daemon/server/router/image/image_routes.go, getImagesGet:
        "platform param was introduced in API version 1.48"). *on_chunk(bytes so far)* may raise
        to stop the transfer (a cancel). Returns the bytes written.
        """
        params: list[tuple[str, str]] = [("names", n) for n in names]
        if platform:
            params.append(("platform", json.dumps(platform, separators=(",", ":"))))
        if self.host.startswith("unix://"):
            return self._save_over_unix(params, out, on_chunk)
        written = 0
        with self._stream("GET", "/images/get", params=params) as resp:
            for chunk in resp.iter_raw(STREAM_CHUNK):
                out.write(chunk)
                written += len(chunk)
                if on_chunk is not None:
                    on_chunk(written)
        return written

    def _save_over_unix(self, params: list[tuple[str, str]], out: BinaryIO, on_chunk: Callable[[int], None] | None) -> int:
        """The export read with the standard library's ``http.client``, not httpx: dockerd sends it
        chunked (its length is not known up front), and httpx's h11 parses every ~32 KB chunk in
        Python, which made bringing 260 MB 0.3 to 1 s slower than ``docker save`` here
        (benchmarks/bring_vs_save_load.py); ``http.client`` reads the chunks straight into one buffer."""
        import http.client
        import socket
        from urllib.parse import urlencode, urlparse

        what = "GET /images/get"
        conn = _unix_connection(urlparse(self.host).path, STREAM_TIMEOUT)
        written = 0
        try:
            conn.request("GET", f"/v{self.api_version}/images/get?{urlencode(params)}", headers={"Host": "docker"})
            resp = conn.getresponse()
            if resp.status >= 400:
                body = resp.read(1 << 16)
                try:
                    message = str(json.loads(body).get("message") or body[:500].decode(errors="replace"))
                except (ValueError, AttributeError):
                    message = body[:500].decode(errors="replace").strip() or resp.reason
                raise EngineAPIError(resp.status, message, what)
            buf = memoryview(bytearray(STREAM_CHUNK))
            while n := resp.readinto(buf):
                out.write(buf[:n])
                written += n
                if on_chunk is not None:
                    on_chunk(written)
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise EngineUnreachable(f"no engine listening on {self.host}: is it started?") from exc
        except (http.client.HTTPException, socket.timeout, ConnectionError) as exc:
            raise EngineError(f"the engine at {self.host} broke off {what}: {exc}") from exc
        finally:
            conn.close()
        return written

    def load_images_from(self, chunks: Iterable[bytes]) -> list[str]:
        """``POST /images/load`` with the archive streamed from *chunks*; the names the engine loaded."""
        resp = self.request("POST", "/images/load", params={"quiet": "1"}, content=chunks,
                            headers={"Content-Type": "application/x-tar"}, timeout=STREAM_TIMEOUT)
        _raise_stream_error(resp.text, "load")
        loaded = []
        for line in resp.text.splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            text = str(item.get("stream", "")) if isinstance(item, dict) else ""
            if text.startswith("Loaded image: "):
                loaded.append(text[len("Loaded image: "):].strip())
        return loaded

    def images_with_manifests(self) -> list[dict[str, Any]]:
        """``GET /images/json?manifests=1`` (API 1.47+): each image's platform manifests on the containerd store."""
        return self._json(self.request("GET", "/images/json", params={"manifests": "1"}))

    @contextmanager
    def _stream(self, method: str, path: str, **kw: Any) -> Iterator[httpx.Response]:
        import httpx

        full = f"/v{self.api_version}{path}"
        try:
            with self._http.stream(method, full, timeout=httpx.Timeout(STREAM_TIMEOUT, connect=CONNECT_TIMEOUT), **kw) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    raise EngineAPIError(resp.status_code, _error_message(resp), f"{method} {path}")
                yield resp
        except (httpx.ConnectError, FileNotFoundError, ConnectionRefusedError) as exc:
            raise EngineUnreachable(f"no engine listening on {self.host}: is it started?") from exc
        except httpx.HTTPError as exc:
            raise EngineError(f"the engine at {self.host} broke off {method} {path}: {exc}") from exc


def _unix_connection(path: str, timeout: float):
    """An ``http.client.HTTPConnection`` on a unix socket (for :meth:`EngineClient._save_over_unix`);
    http.client is loaded here, by the one call that needs it."""
    import http.client
    import socket

    class UnixConnection(http.client.HTTPConnection):
        def connect(self) -> None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                sock.connect(path)
            except OSError:
                sock.close()
                raise
            self.sock = sock

    return UnixConnection("docker", timeout=timeout)


class EngineAnswers:
    """``/version`` and ``/info`` of one engine, asked once for several readers, or why they are not known.

    ``storeswitch diagnose`` asks them once for its status, its listing of the live store and its
    known-issue probe, instead of each asking (a round trip to dockerd each). A reader that starts
    before the answers are in (the known-issue probe runs in a thread from the start, so that its
    own loading and ``docker buildx version`` overlap the asking) gets a :meth:`later` instance
    and calls :meth:`wait`. ``client`` stays open for the readers' further calls until
    :meth:`close`. ``version`` may be set with ``error`` when ``/info`` failed after it.
    """

    def __init__(self) -> None:
        self.client: EngineClient | None = None
        self.version: dict[str, Any] | None = None
        self.info: dict[str, Any] | None = None
        self.error: EngineError | None = None
        self._ready = threading.Event()

    @classmethod
    def later(cls) -> "EngineAnswers":
        """Answers still to come: :meth:`ask` fills them in, :meth:`wait` waits for that."""
        return cls()

    def ask(self, make_client: Any, after_version: Any = None) -> "EngineAnswers":
        """Ask through the client *make_client()* returns; an :class:`EngineError` is kept, never raised.

        *after_version*, if given, is called once ``/version`` has answered (the API version is
        known then), before ``/info``: a caller starts its own slow calls there. The readers are
        released whatever happens, also if something else than the engine fails.
        """
        try:
            self.client = make_client()
            self.version = self.client.version()
            if after_version is not None:
                after_version()
            self.info = self.client.info()
        except EngineError as exc:
            self.error = exc
        finally:
            self._ready.set()
        return self

    def wait(self) -> "EngineAnswers":
        self._ready.wait()
        return self

    def close(self) -> None:
        if self.client is not None:
            self.client.close()


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
