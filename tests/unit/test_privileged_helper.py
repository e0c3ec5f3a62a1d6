"""The privileged helper refuses everything but its two operations, and writes nothing else.

Called directly, as pkexec would start it (``python -m backend.privileged_helper ...``), with a
temporary daemon.json: as root the helper honours STORESWITCH_SYSTEM_CONFIG (a caller that is
root already gains nothing from it). Where a switch gets as far as the restart, the restart
command is ``python -c pass`` (a host whose restart command does nothing); the real restart is
tested with a real engine in tests/engine/test_targets_system_engine.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend import privileged_helper as helper
from backend.privileged_helper import EXIT_NOT_ROOT, EXIT_OK, EXIT_REFUSED, EXIT_RESTART_FAILED, EXIT_USAGE

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="the helper acts only as root (run the tests as root)")
NOOP_RESTART = f"{sys.executable} -c pass"


@pytest.fixture
def etc(tmp_path, monkeypatch):
    """A stand-in /etc/docker with a daemon.json, and the helper pointed at it."""
    directory = tmp_path / "etc-docker"
    directory.mkdir()
    path = directory / "daemon.json"
    path.write_text('{\n  "log-level": "warn",\n  "features": {"buildkit": true}\n}\n')
    monkeypatch.setenv("STORESWITCH_SYSTEM_CONFIG", str(path))
    monkeypatch.setenv("STORESWITCH_RESTART_CMD", NOOP_RESTART)
    monkeypatch.delenv("PKEXEC_UID", raising=False)
    return path


def call(*args: str, stdin: bytes = b"", **kw) -> tuple[int, dict, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "backend.privileged_helper", *args],
        input=stdin, capture_output=True, timeout=60, **kw,
    )
    lines = proc.stdout.decode().strip().splitlines()
    return proc.returncode, json.loads(lines[-1]) if lines else {}, proc.stderr.decode()


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() if p.is_file() and not p.is_symlink() else b"<not a file>" for p in directory.iterdir()}


@pytest.mark.parametrize("args,words", [
    ([], "usage"),
    (["restart"], "unknown operation 'restart'"),
    (["switch"], "exactly one of classic|containerd"),
    (["switch", "overlay2"], "exactly one of classic|containerd"),
    (["switch", "Classic"], "exactly one of classic|containerd"),
    (["switch", "classic", "containerd"], "exactly one of classic|containerd"),
    (["switch", "containerd", "--no-restart"], "exactly one of classic|containerd"),
    (["rollback", "0123abcd"], "takes no arguments"),
    (["rollback", "--force"], "takes no arguments"),
    (["--help"], "unknown operation"),
    (["switch", "/etc/docker/daemon.json"], "never paths"),
    (["switch", "containerd", "/tmp/daemon.json"], "never paths"),
    (["switch", "../containerd"], "never paths"),
    (["rollback", "~/daemon.json"], "never paths"),
])
def test_bad_arguments_are_refused_and_touch_nothing(etc, args, words):
    before = snapshot(etc.parent)
    code, report, err = call(*args)
    assert code == EXIT_USAGE
    assert words in report["message"] and words in err
    assert report["written"] is False and report["restarted"] is False
    assert snapshot(etc.parent) == before


@ROOT_ONLY
def test_switch_writes_only_the_key_and_keeps_owner_and_mode(etc):
    os.chown(etc, 1234, 5678)
    os.chmod(etc, 0o640)
    code, report, err = call("switch", "containerd")
    assert code == EXIT_OK, err
    assert report == {"operation": "switch containerd", "written": True, "restarted": True, "config": str(etc),
                      "restart": NOOP_RESTART, "message": report["message"]}
    assert json.loads(etc.read_text()) == {"log-level": "warn", "features": {"buildkit": True, "containerd-snapshotter": True}}
    st = etc.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (1234, 5678, 0o640)
    assert sorted(p.name for p in etc.parent.iterdir()) == ["daemon.json"]  # nothing else written


@ROOT_ONLY
def test_rollback_restores_the_bytes_a_switch_replaced(etc):
    original = etc.read_bytes()
    assert call("switch", "containerd")[0] == EXIT_OK
    code, report, err = call("rollback", stdin=original)
    assert code == EXIT_OK, err
    assert report["written"] is True
    assert etc.read_bytes() == original


@ROOT_ONLY
def test_rollback_refuses_bytes_that_differ_in_more_than_the_store(etc):
    original = etc.read_bytes()
    assert call("switch", "containerd")[0] == EXIT_OK
    switched = etc.read_bytes()
    forged = original.replace(b'"warn"', b'"debug"')
    for stdin in (forged, b'{"data-root": "/tmp/evil"}', b'{"log-level": "warn", "log-level": "debug"}', b""):
        code, report, _ = call("rollback", stdin=stdin)
        assert code == EXIT_REFUSED, stdin
        assert etc.read_bytes() == switched
        assert report["restarted"] is False


@ROOT_ONLY
def test_rollback_of_a_file_the_switch_created_removes_it(etc):
    etc.unlink()
    assert call("switch", "classic")[0] == EXIT_OK
    assert json.loads(etc.read_text()) == {"features": {"containerd-snapshotter": False}}
    code, report, err = call("rollback", stdin=b"")
    assert code == EXIT_OK, err
    assert not etc.exists()


@ROOT_ONLY
def test_a_symlinked_daemon_json_is_refused(etc, tmp_path):
    real = tmp_path / "elsewhere.json"
    real.write_bytes(etc.read_bytes())
    etc.unlink()
    etc.symlink_to(real)
    before = real.read_bytes()
    for args, stdin in ((("switch", "containerd"), b""), (("rollback",), before)):
        code, report, err = call(*args, stdin=stdin)
        assert code == EXIT_REFUSED
        assert "symbolic link" in report["message"]
        assert etc.is_symlink() and real.read_bytes() == before
        assert report["restarted"] is False


@ROOT_ONLY
def test_a_symlinked_config_directory_is_refused(etc, tmp_path, monkeypatch):
    linked = tmp_path / "linked-etc"
    linked.symlink_to(etc.parent)
    monkeypatch.setenv("STORESWITCH_SYSTEM_CONFIG", str(linked / "daemon.json"))
    before = etc.read_bytes()
    code, report, _ = call("switch", "containerd")
    assert code == EXIT_REFUSED and "not a plain directory" in report["message"]
    assert etc.read_bytes() == before


@ROOT_ONLY
@pytest.mark.parametrize("content,words", [
    (b'{"log-level": "warn",}', "invalid JSON"),
    (b'{"debug": true, "debug": false}', "appears twice"),
    (b'{"max-concurrent-downloads": NaN}', "NaN is not JSON"),
    (b'["features"]', "JSON object"),
    (b'{"features": "containerd"}', "'features' must be an object"),
])
def test_a_config_it_cannot_parse_is_refused_and_untouched(etc, content, words):
    etc.write_bytes(content)
    code, report, _ = call("switch", "containerd")
    assert code == EXIT_REFUSED
    assert words in report["message"]
    assert etc.read_bytes() == content


@ROOT_ONLY
def test_not_a_regular_file_is_refused(etc):
    etc.unlink()
    etc.mkdir()
    code, report, _ = call("switch", "classic")
    assert code == EXIT_REFUSED and "not a regular file" in report["message"]


@ROOT_ONLY
def test_a_failed_restart_is_reported_after_the_write(etc, monkeypatch):
    monkeypatch.setenv("STORESWITCH_RESTART_CMD", f"{sys.executable} -c \"import sys; sys.exit('docker.service failed')\"")
    code, report, _ = call("switch", "containerd")
    assert code == EXIT_RESTART_FAILED
    assert report["written"] is True and report["restarted"] is False
    assert "docker.service failed" in report["message"] and "did not restart" in report["message"]


def test_an_ordinary_user_is_refused(etc, monkeypatch):
    """Run as uid 1000 (the venv's python under /root cannot be started as another user here)."""
    monkeypatch.setattr(helper.os, "geteuid", lambda: 1000)
    before = snapshot(etc.parent)
    code, report = helper.run(["switch", "containerd"])
    assert code == EXIT_NOT_ROOT and "pkexec" in report["message"]
    assert snapshot(etc.parent) == before


def test_under_pkexec_the_overrides_are_ignored(monkeypatch, tmp_path):
    """Started by pkexec, the helper uses /etc/docker/daemon.json and the detected service manager."""
    from backend.service_manager import detect

    monkeypatch.setenv("STORESWITCH_SYSTEM_CONFIG", str(tmp_path / "daemon.json"))
    monkeypatch.setenv("STORESWITCH_RESTART_CMD", "rm -rf /")
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    (tmp_path / "service").write_text("#!/bin/sh\nexit 0\n")
    (tmp_path / "service").chmod(0o755)
    monkeypatch.setenv("PKEXEC_UID", "1000")
    assert helper.config_path() == Path("/etc/docker/daemon.json")
    manager = detect()
    if manager.found:
        assert helper.restart_command() == list(manager.restart)
        assert not helper.restart_command()[0].startswith(str(tmp_path))  # never the caller's PATH
    else:
        with pytest.raises(helper.Refused, match="nothing here restarts Docker"):
            helper.restart_command()


def test_the_polkit_policy_names_the_launcher_not_python():
    """The action is bound to the installed launcher the system target runs through pkexec."""
    import xml.etree.ElementTree as ET
    from importlib.resources import files

    from backend.targets.system import HELPER_PATH

    policy = ET.fromstring(files("resources").joinpath("io.storeswitch.switch.policy").read_bytes())
    action = policy.find("action")
    assert action.get("id") == "io.storeswitch.switch"
    annotations = {a.get("key"): a.text for a in action.findall("annotate")}
    assert annotations["org.freedesktop.policykit.exec.path"] == str(HELPER_PATH)
    assert action.find("defaults/allow_active").text == "auth_admin_keep"
    launcher = files("resources").joinpath("storeswitch-helper").read_text()
    assert launcher.startswith("#!@PYTHON@ -I\n")  # isolated: no cwd, no user site, no PYTHON* variables
    assert "from backend.privileged_helper import main" in launcher
