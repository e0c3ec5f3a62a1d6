"""EngineClient: the error texts people see when the engine cannot be reached or misbehaves.

Test doubles: a tiny unix-socket server in a thread stands in for the engine ONLY for what a real
dockerd cannot be made to do on demand: a hung socket (accepts, never answers), a garbage reply
(not HTTP), and an HTTP 500 with a message. The normal paths (version negotiation, /info, images)
run against a real engine in tests/engine.
"""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
import threading
from pathlib import Path

import pytest

from backend.engine.api import EngineClient
from backend.errors import EngineAPIError, EngineError, EngineUnreachable


class FakeSocketServer:
    """Serves *reply(request_bytes) -> bytes | None* on a unix socket; None means: never answer."""

    def __init__(self, reply) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="ssw-sock-"))  # short: socket paths are limited to 108 bytes
        self.path = self.dir / "engine.sock"
        self.reply = reply
        self.requests: list[bytes] = []
        self.stop = threading.Event()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(self.path))
        self.sock.listen(8)
        self.sock.settimeout(0.05)
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def host(self) -> str:
        return f"unix://{self.path}"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            conn.settimeout(2)
            try:
                request = conn.recv(65536)
            except OSError:
                request = b""
            self.requests.append(request)
            answer = self.reply(request)
            if answer is None:
                self.held.append(conn)  # hung: keep it open, say nothing
                continue
            try:
                conn.sendall(answer)
            finally:
                conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        for conn in self.held:
            conn.close()
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def serve():
    servers: list[FakeSocketServer] = []

    def start(reply) -> FakeSocketServer:
        servers.append(FakeSocketServer(reply))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def http(status: str, body: dict | str, content_type: str = "application/json") -> bytes:
    data = (json.dumps(body) if isinstance(body, dict) else body).encode()
    head = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    return head.encode() + data


def test_nothing_listening_says_is_it_started(tmp_path):
    host = f"unix://{tmp_path}/no-engine.sock"
    with EngineClient(host) as client:
        with pytest.raises(EngineUnreachable) as err:
            client.version()
        assert str(err.value) == f"no engine listening on {host}: is it started?"
        assert client.ping() is False


def test_socket_file_without_a_listener_is_unreachable(tmp_path):
    path = Path(tempfile.mkdtemp(prefix="ssw-sock-")) / "stale.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.close()  # the file stays, nobody listens: what a crashed dockerd leaves behind
    try:
        with EngineClient(f"unix://{path}") as client, pytest.raises(EngineUnreachable, match="is it started"):
            client.info()
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)


def test_hung_engine_times_out_with_a_clear_message(serve):
    """Test double: a socket that accepts and never answers (a real dockerd cannot be hung on demand)."""
    server = serve(lambda request: None)
    with EngineClient(server.host, timeout=0.3) as client:
        with pytest.raises(EngineUnreachable) as err:
            client.version()
    message = str(err.value)
    assert f"the engine at {server.host} did not answer GET /version in time" in message
    assert "restart it" in message
    assert server.requests and server.requests[0].startswith(b"GET /version HTTP/1.1")


def test_garbage_reply_is_an_engine_error_naming_the_call(serve):
    """Test double: something that answers with bytes that are not HTTP."""
    server = serve(lambda request: b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
    with EngineClient(server.host) as client:
        with pytest.raises(EngineError) as err:
            client.version()
    assert not isinstance(err.value, EngineAPIError)
    assert f"the engine at {server.host} broke off or garbled its reply to GET /version" in str(err.value)
    assert "check that a Docker Engine listens there" in str(err.value)


def test_http_200_that_is_not_json_names_the_path(serve):
    """Test double: an HTTP server that is not an engine (answers HTML)."""
    server = serve(lambda request: http("200 OK", "<html>hello</html>", "text/html"))
    with EngineClient(server.host) as client:
        with pytest.raises(EngineError, match=r"not JSON for /version: '<html>hello</html>'; is something else listening"):
            client.version()


def test_http_500_keeps_the_engines_message_verbatim(serve):
    """Test double: an engine answering 500 with its JSON ``message`` (a real one only does so on real faults)."""
    engine_words = "failed to create shim task: OCI runtime create failed: unable to start container process"

    def reply(request: bytes) -> bytes:
        if request.startswith(b"GET /version "):
            return http("200 OK", {"Version": "26.1.5", "ApiVersion": "1.45", "MinAPIVersion": "1.24"})
        return http("500 Internal Server Error", {"message": engine_words})

    server = serve(reply)
    with EngineClient(server.host) as client:
        with pytest.raises(EngineAPIError) as err:
            client.info()
    assert err.value.status == 500
    assert err.value.message == engine_words
    assert err.value.path == "GET /v1.45/info"  # negotiated: /version first, then the versioned path
    assert str(err.value) == f"the engine refused GET /v1.45/info (500): {engine_words}"


def test_http_error_without_json_keeps_the_text(serve):
    """Test double: a 502 from a proxy in front of the engine, plain text."""
    server = serve(lambda request: http("502 Bad Gateway", "upstream engine is down", "text/plain"))
    with EngineClient(server.host) as client, pytest.raises(EngineAPIError) as err:
        client.version()
    assert (err.value.status, err.value.message) == (502, "upstream engine is down")


def test_version_without_api_version_is_refused(serve):
    """Test double: a /version reply missing ApiVersion (an engine cannot be made to send one)."""
    server = serve(lambda request: http("200 OK", {"Version": "0.0"}))
    with EngineClient(server.host) as client, pytest.raises(EngineError, match="without ApiVersion"):
        client.api_version  # noqa: B018


@pytest.mark.parametrize("host", ["ssh://user@box", "npipe:////./pipe/docker_engine", "/var/run/docker.sock"])
def test_unsupported_address_says_where_to_look(host):
    with pytest.raises(EngineError, match="is not unix:// or tcp://; check DOCKER_HOST or your docker context"):
        EngineClient(host)


def test_tcp_addresses_map_to_http_and_https():
    assert str(EngineClient("tcp://10.1.2.3:2375")._http.base_url) == "http://10.1.2.3:2375"
    assert str(EngineClient("tcp://10.1.2.3:2376")._http.base_url) == "https://10.1.2.3:2376"
