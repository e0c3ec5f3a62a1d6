"""Choosing the target: explicit, saved, then auto (Desktop, a system or rootless engine, managed).

Every probe here points at temporary paths (tests/conftest.py also moves the default socket and
XDG_RUNTIME_DIR away), so the machine's own engine is never picked. A rootless dockerd cannot run
in CI (it runs as root), so the one test double is a tiny HTTP server on a unix socket answering
``/_ping``, ``/version`` and ``/info`` the way a rootless engine does; its tests say so.
"""

from __future__ import annotations

import base64
import json
import os
import socketserver
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from backend.engine.address import EngineAddress
from backend.errors import StoreswitchError
from backend.journal import JournalEntry, SwitchJournal
from backend.settings import Settings
from backend.targets.detect import (
    TARGET_NAMES,
    Probe,
    available_targets,
    choose_target,
    detect,
    target_for_recovery,
)

REPO = Path(__file__).resolve().parents[2]


class _Handler(BaseHTTPRequestHandler):
    info: dict = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path == "/_ping":
            body, kind = b"OK", "text/plain"
        elif self.path == "/version":
            body, kind = json.dumps({"ApiVersion": "1.45", "Version": "26.1.5"}).encode(), "application/json"
        elif self.path.endswith("/info"):
            body, kind = json.dumps(self.info).encode(), "application/json"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        request, _ = super().get_request()
        return request, ("local", 0)


@pytest.fixture
def fake_engine():
    """Start a stand-in engine answering with the given /info on a unix socket (test double, see module doc)."""
    servers = []

    def start(path: Path, info: dict) -> str:
        handler = type("Handler", (_Handler,), {"info": info})
        path.parent.mkdir(parents=True, exist_ok=True)
        server = _UnixHTTPServer(str(path), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"unix://{path}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def probe(tmp_path) -> Probe:
    return Probe(
        desktop_dir=tmp_path / "desktop",
        system_address=EngineAddress(f"unix://{tmp_path}/system.sock", "default socket"),
        rootless_socket=tmp_path / "run" / "docker.sock",
    )


def test_nothing_found_means_the_managed_engine(profile, probe, tmp_path):
    target = detect(profile, probe=probe)
    assert target.name == "managed"
    assert target.reason.startswith("auto: no Docker Desktop settings")
    assert f"unix://{tmp_path}/system.sock" in target.reason and "run/docker.sock" in target.reason


def test_docker_desktop_settings_come_first(profile, probe, fake_engine, tmp_path):
    fake_engine(tmp_path / "system.sock", {"SecurityOptions": []})  # a system engine answers too
    probe.desktop_dir.mkdir()
    (probe.desktop_dir / "settings.json").write_text('{"useContainerdSnapshotter": false}')
    target = detect(profile, probe=probe)
    assert target.name == "desktop"
    assert target.reason == f"auto: Docker Desktop's settings file {probe.desktop_dir / 'settings.json'} exists"
    assert target.config_path == probe.desktop_dir / "settings.json"


def test_an_answering_engine_is_system_or_rootless_by_its_info(profile, probe, fake_engine, tmp_path):
    """Stand-in engines (test double): a rootless dockerd cannot run in CI."""
    host = fake_engine(tmp_path / "system.sock", {"SecurityOptions": ["name=seccomp,profile=builtin"]})
    target = detect(profile, probe=probe)
    assert (target.name, target.host) == ("system", host)
    assert target.reason == f"auto: the system engine answers at {host} (default socket)"

    probe2 = Probe(probe.desktop_dir, EngineAddress(host, "DOCKER_HOST"), probe.rootless_socket)
    (tmp_path / "system.sock").unlink()
    host = fake_engine(tmp_path / "system.sock", {"SecurityOptions": ["name=seccomp,profile=builtin", "name=rootless"]})
    target = detect(profile, probe=probe2)
    assert target.name == "rootless" and target.host == host and "(DOCKER_HOST)" in target.reason


def test_the_rootless_socket_is_found_when_the_default_is_silent(profile, probe, fake_engine):
    """A stand-in rootless engine on $XDG_RUNTIME_DIR/docker.sock (test double, see module doc)."""
    host = fake_engine(probe.rootless_socket, {"SecurityOptions": ["name=rootless"]})
    target = detect(profile, probe=probe)
    assert target.name == "rootless" and target.host == host
    assert target.reason == f"auto: the rootless engine answers at {host}"


def test_a_remote_engine_is_not_taken_for_the_system_engine(profile, probe):
    probe.system_address = EngineAddress("tcp://build-box:2375", "DOCKER_HOST")
    target = detect(profile, probe=probe)
    assert target.name == "managed"
    assert "tcp://build-box:2375" in target.reason and "remote engine" in target.reason


def test_explicit_choice_wins(profile, monkeypatch):
    assert choose_target("managed", profile).reason == "chosen with --target managed"
    target = choose_target("system", profile)
    assert target.name == "system" and target.reason == "chosen with --target system"
    monkeypatch.setenv("STORESWITCH_TARGET", "rootless")
    target = choose_target(None, profile)
    assert target.name == "rootless" and target.reason == "chosen with STORESWITCH_TARGET rootless"
    assert choose_target("desktop", profile).name == "desktop"


def test_the_saved_choice_is_used_when_none_is_given(profile, probe):
    settings = Settings.load(profile.settings_path)
    settings.set("target", "system")
    settings.save()
    target = choose_target(None, profile, probe=probe)
    assert target.name == "system"
    assert "saved in storeswitch's settings" in target.reason
    settings.set("target", "warp-drive")
    settings.save()
    target = choose_target(None, profile, probe=probe)
    assert target.name == "managed"
    assert "'warp-drive'" in target.reason and "ignored" in target.reason


def test_an_unknown_name_lists_the_choices(profile):
    with pytest.raises(StoreswitchError, match="auto, managed, system, rootless, desktop"):
        choose_target("podman", profile)
    assert TARGET_NAMES == ("auto", "managed", "system", "rootless", "desktop")


def test_available_targets_for_the_general_tab(profile, probe, fake_engine, tmp_path):
    """The stand-in engine is a test double (see module doc)."""
    probe.desktop_dir.mkdir()
    (probe.desktop_dir / "settings-store.json").write_text("{}")
    fake_engine(tmp_path / "system.sock", {"SecurityOptions": []})
    options = {o.name: o for o in available_targets(profile, probe=probe)}
    assert list(options) == list(TARGET_NAMES)
    assert options["auto"].available and options["auto"].reason == "picks: desktop"
    assert options["desktop"].available and "settings-store.json" in options["desktop"].reason
    assert options["system"].available and options["system"].reason == f"answers at unix://{tmp_path}/system.sock"
    assert not options["rootless"].available and "no engine answers" in options["rootless"].reason
    assert options["managed"].as_dict()["title"] == "storeswitch's own engine (managed)"


def _journal(profile, target: str, config_path: Path) -> None:
    SwitchJournal(profile.journal_path).begin(JournalEntry(
        switch_id="a1", from_store="classic", to_store="containerd", target=target,
        config_path=str(config_path), original_config_b64=base64.b64encode(b"{}").decode(),
        new_config_b64=base64.b64encode(b'{"UseContainerdSnapshotter": true}').decode(),
        engine_was_running=False, restart=False, started_at=0.0,
    ))


def test_recovery_uses_the_target_the_journal_was_written_for(profile, tmp_path, monkeypatch):
    desktop_dir = tmp_path / "home" / ".docker" / "desktop"
    desktop_dir.mkdir(parents=True)
    (desktop_dir / "settings-store.json").write_text("{}")
    _journal(profile, "desktop", desktop_dir / "settings-store.json")
    chosen = choose_target("managed", profile)
    target = target_for_recovery(chosen, profile)
    assert target.name == "desktop" and target.config_path == desktop_dir / "settings-store.json"

    _journal(profile, "system", tmp_path / "old" / "daemon.json")
    monkeypatch.setenv("STORESWITCH_SYSTEM_CONFIG", str(tmp_path / "new" / "daemon.json"))
    with pytest.raises(StoreswitchError, match="restore .* by hand"):
        target_for_recovery(chosen, profile)
    profile.journal_path.unlink()
    assert target_for_recovery(chosen, profile) is chosen


def test_status_json_reports_the_target_and_why(tmp_path):
    desktop_dir = tmp_path / "home" / ".docker" / "desktop"
    desktop_dir.mkdir(parents=True)
    (desktop_dir / "settings-store.json").write_text('{"UseContainerdSnapshotter": true}\n')
    proc = subprocess.run([sys.executable, "-m", "backend.cli", "status", "--json"], cwd=REPO,
                          capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["target"] == "desktop"
    assert data["target_reason"] == f"auto: Docker Desktop's settings file {desktop_dir / 'settings-store.json'} exists"
    assert data["configured_store"] == "containerd"

    proc = subprocess.run([sys.executable, "-m", "backend.cli", "--target", "managed", "status", "--json"], cwd=REPO,
                          capture_output=True, text=True, timeout=120, env=dict(os.environ))
    data = json.loads(proc.stdout)
    assert (data["target"], data["target_reason"]) == ("managed", "chosen with --target managed")
