"""What keeps commands and the GUI quick to start: lazy loading, one API negotiation per engine,
no pings of sockets that are not there, the switch lock kept across the known-issue check.

Test doubles: the tiny unix-socket server of test_engine_client stands in for an engine ONLY to
play an engine that is replaced by an older one between two calls (a real dockerd cannot be
downgraded on demand). The rest runs against the real code with no engine.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

from backend.engine import api
from backend.engine.api import EngineAnswers, EngineClient
from backend.errors import EngineUnreachable, SwitchInProgress
from backend.switch import SwitchTransaction
from backend.targets.detect import Probe, detect
from backend.targets.managed import ManagedTarget
from tests.unit.test_engine_client import http, serve  # noqa: F401 - the fixture

REPO = Path(__file__).resolve().parents[2]


def _fresh_modules(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running *code* (printed as JSON)."""
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_importing_the_backend_the_gui_and_cli_load_first_leaves_httpx_and_filelock_alone():
    loaded = _fresh_modules(
        "import backend.cli, backend.profile, backend.targets.detect, backend.status, backend.stores, "
        "backend.targets.base, backend.daemon_config, backend.settings, backend.engine.api"
    )
    assert not {"httpx", "httpcore", "filelock"} & loaded
    # the other targets load only when chosen or looked for
    assert not {"backend.targets.desktop", "backend.targets.system", "backend.targets.rootless"} & loaded


def test_a_client_still_loads_httpx_when_made():
    loaded = _fresh_modules("from backend.engine.api import EngineClient\nEngineClient('unix:///nowhere.sock').close()")
    assert "httpx" in loaded


def test_auto_detection_does_not_ping_a_socket_that_is_not_there(profile, tmp_path, monkeypatch):
    def no_client(*a, **k):
        raise AssertionError("a client was made for a socket that does not exist")

    monkeypatch.setattr(api, "EngineClient", no_client)
    (tmp_path / "plain-file.sock").write_text("not a socket")
    probe = Probe(tmp_path / "desktop", None, tmp_path / "run" / "docker.sock", address_error="no address")
    assert probe.info(f"unix://{tmp_path}/missing.sock") is None
    assert probe.info(f"unix://{tmp_path}/plain-file.sock") is None  # a file, not a socket: nothing answers
    target = detect(profile, probe=probe)
    assert target.name == "managed" and "run/docker.sock" in target.reason


def test_a_socket_that_is_there_is_still_asked(profile, tmp_path, monkeypatch):
    """A bound socket nobody listens on: it is tried, and found silent (a crashed dockerd leaves one)."""
    import socket
    import tempfile

    made: list[str] = []

    class Recording(EngineClient):
        def __init__(self, host: str, *a, **k) -> None:
            made.append(host)
            super().__init__(host, *a, **k)

    monkeypatch.setattr(api, "EngineClient", Recording)
    path = Path(tempfile.mkdtemp(prefix="ssw-sock-")) / "stale.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.close()
    try:
        probe = Probe(tmp_path / "desktop", None, path, address_error="no address", timeout=0.2)
        assert probe.info(f"unix://{path}") is None
        assert made == [f"unix://{path}"]
    finally:
        path.unlink()
        path.parent.rmdir()


def test_the_negotiated_api_version_is_kept_for_the_next_client(serve):  # noqa: F811
    """Test double: a fake engine counting /version calls."""

    def reply(request: bytes) -> bytes:
        if request.startswith(b"GET /version "):
            return http("200 OK", {"Version": "26.1.5", "ApiVersion": "1.45"})
        return http("200 OK", {"Driver": "overlay2"})

    server = serve(reply)
    with EngineClient(server.host) as first:
        first.info()
    with EngineClient(server.host) as second:
        assert second.info() == {"Driver": "overlay2"}
    paths = [r.split(b" ")[1] for r in server.requests]
    assert paths == [b"/version", b"/v1.45/info", b"/v1.45/info"]  # negotiated once


def test_an_engine_replaced_by_an_older_one_is_negotiated_again(serve):  # noqa: F811
    """Test double: the engine behind the address now refuses the kept version as too new."""

    def reply(request: bytes) -> bytes:
        if request.startswith(b"GET /version "):
            return http("200 OK", {"Version": "24.0.9", "ApiVersion": "1.43"})
        if request.startswith(b"GET /v1.45/"):
            return http("400 Bad Request", {"message": "client version 1.45 is too new. Maximum supported API version is 1.43"})
        return http("200 OK", {"Driver": "overlay2"})

    server = serve(reply)
    api._negotiated[server.host] = "1.45"  # what a client of the engine there before had learned
    with EngineClient(server.host) as client:
        assert client.info() == {"Driver": "overlay2"}
        assert client.api_version == "1.43"
    assert [r.split(b" ")[1] for r in server.requests] == [b"/v1.45/info", b"/version", b"/v1.43/info"]


def test_engine_answers_keep_the_error_and_release_waiters(tmp_path):
    answers = EngineAnswers.later()
    answers.ask(lambda: EngineClient(f"unix://{tmp_path}/none.sock"))
    assert answers.wait() is answers
    assert isinstance(answers.error, EngineUnreachable) and answers.info is None
    answers.close()
    broken = EngineAnswers.later()
    with pytest.raises(RuntimeError):
        broken.ask(lambda: (_ for _ in ()).throw(RuntimeError("not the engine's fault")))
    assert broken.wait().error is None  # released all the same: nobody waits forever


def test_the_cli_restores_the_collector_it_turns_off(capsys):
    """main() turns the cyclic collector off while it runs; the caller's setting comes back.

    (The GUI tests' collector turns it off for the whole process, so both settings are tried.)
    """
    from backend.cli import main

    was = gc.isenabled()
    try:
        for enabled in (True, False):
            gc.enable() if enabled else gc.disable()
            assert main(["--target", "managed", "status", "--json"]) == 0
            assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
    capsys.readouterr()


def test_a_held_switch_lock_makes_a_second_switch_wait_its_turn(profile):
    target = ManagedTarget(profile)
    first = SwitchTransaction(target, profile)
    first.check_not_busy(hold=True)
    try:
        with pytest.raises(SwitchInProgress, match="a switch is in progress"):
            SwitchTransaction(target, profile).check_not_busy()
    finally:
        first.release()
    SwitchTransaction(target, profile).check_not_busy()  # free again
    first.release()  # a second release is nothing


def test_no_journal_means_recovery_is_not_even_loaded(profile):
    loaded = _fresh_modules(
        "import os\nos.environ['STORESWITCH_PROFILE'] = " + repr(str(profile.config_dir.parent)) + "\n"
        "from backend.cli import make_context, build_parser\n"
        "make_context(build_parser().parse_args(['--target', 'managed', 'status']))"
    )
    assert "backend.recovery" not in loaded and "filelock" not in loaded
    assert "backend.reclaim_journal" not in loaded and "backend.journal" not in loaded


def test_auto_detection_without_docker_loads_no_other_target(tmp_path):
    """The GUI's first paint waits for ``auto``: on a machine with no engine it needs only the managed target."""
    env = {
        "STORESWITCH_PROFILE": str(tmp_path / "profile"),
        "STORESWITCH_DESKTOP_DIR": str(tmp_path / "no-desktop"),
        "STORESWITCH_SYSTEM_HOST": f"unix://{tmp_path}/no-system.sock",
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "DOCKER_CONFIG": str(tmp_path / "docker"),
    }
    loaded = _fresh_modules(
        "import os\nos.environ.update(" + repr(env) + ")\nos.environ.pop('DOCKER_HOST', None)\n"
        "from backend.profile import Profile\nfrom backend.targets.detect import choose_target\n"
        "assert choose_target('auto', Profile.resolve(None)).name == 'managed'"
    )
    assert "backend.targets.managed" in loaded
    others = {"backend.targets.desktop", "backend.targets.system", "backend.targets.rootless",
              "backend.targets.service", "backend.privileged_helper", "migration.desktop_settings"}
    assert not others & loaded
    assert not {"subprocess", "backend.engine.install"} & loaded  # loaded when first used


def test_the_windows_first_paint_loads_no_store_reader_and_no_engine_client(tmp_path):
    """``storeswitch-gui --screenshot --wait 0`` (the first paint) in a fresh interpreter.

    What the window needs before it paints is its widgets and the draft; the store readers (bbolt,
    a thread pool), the engine client (httpx) and ``html``'s entity table come after, off
    the GUI thread. Each of them crept back in once through one small import (a size formatter
    loading ``backend.inspect``'s readers, ``html.escape`` on a page) and cost first paint 10-30 ms.
    """
    env_code = (
        "import os\nos.environ.update(QT_QPA_PLATFORM='offscreen', STORESWITCH_PROFILE=" + repr(str(tmp_path / "profile"))
        + ", DOCKER_CONFIG=" + repr(str(tmp_path / "docker")) + ")\n"
        "from gui.app import main\n"
        "assert main(['--screenshot', " + repr(str(tmp_path / "first.png")) + ", '--tab', 'experimental', "
        "'--target', 'managed', '--wait', '0']) == 0\n"
    )
    loaded = _fresh_modules(env_code)
    assert "gui.window" in loaded and (tmp_path / "first.png").exists()
    late = {"backend.inspect.inventory", "backend.inspect.bbolt", "concurrent.futures", "html",
            "httpx", "backend.known_issues.catalog", "backend.switch"}
    assert not late & loaded, sorted(late & loaded)
