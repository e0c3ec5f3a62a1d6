"""Service-manager detection: from the machine's files, never from the caller's environment.

Each case builds the marker files of one init system under a temporary root (systemd's
``/run/systemd/system``, OpenRC's ``/run/openrc``, a SysV ``/etc/init.d/docker``); the real
SysV case, with Debian's own script starting a real dockerd, is in tests/system/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backend.service_manager import SAFE_PATH, detect


def make(root: Path, *paths: str) -> Path:
    for p in paths:
        target = root / p
        if p.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("#!/bin/sh\n")
    return root


def test_systemd_as_pid_1_wins(tmp_path):
    m = detect(make(tmp_path, "run/systemd/system/", "etc/init.d/docker", "run/openrc/"))
    assert m.name == "systemd"
    assert m.restart[1:] == ("restart", "docker") and Path(m.restart[0]).name == "systemctl"
    assert "PID 1" in m.reason


def test_sysv_script_without_systemd(tmp_path):
    m = detect(make(tmp_path, "etc/init.d/docker"))
    assert m.name == "sysv"
    assert m.restart[-2:] == ("docker", "restart") or m.restart == ("/etc/init.d/docker", "restart")
    assert m.stop[-1] == "stop" and m.status[-1] == "status"
    assert str(m.log_file) == "/var/log/docker.log"
    assert m.as_dict()["restart"].endswith("docker restart")


def test_openrc_when_its_state_directory_exists(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "rc-service").write_text("#!/bin/sh\n")
    (bindir / "rc-service").chmod(0o755)
    monkeypatch.setattr("backend.service_manager.SAFE_PATH", f"{bindir}:{SAFE_PATH}")
    m = detect(make(tmp_path, "run/openrc/", "etc/init.d/docker"))
    assert m.name == "openrc"
    assert m.restart == (str(bindir / "rc-service"), "docker", "restart")


def test_nothing_found_says_so(tmp_path):
    m = detect(tmp_path)
    assert not m.found and m.restart == ()
    assert "nothing here restarts Docker" in m.reason


def test_the_callers_path_is_not_used(tmp_path, monkeypatch):
    """A `service` planted first on PATH is not what the SysV case runs."""
    (tmp_path / "service").write_text("#!/bin/sh\n")
    (tmp_path / "service").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    m = detect(make(tmp_path / "root", "etc/init.d/docker"))
    assert not m.restart[0].startswith(str(tmp_path))


def test_status_reports_the_manager_for_the_system_target(tmp_path):
    from backend.targets.system import SystemTarget

    target = SystemTarget(tmp_path / "daemon.json", f"unix://{tmp_path}/none.sock", privileged=True)
    info = target.service_manager_info()
    assert info == detect().as_dict()
    custom = SystemTarget(tmp_path / "daemon.json", f"unix://{tmp_path}/none.sock", privileged=True,
                          restart_command=["true"])
    assert custom.service_manager_info()["name"] == "custom"


@pytest.mark.parametrize("code,stopped", [(0, False), (1, True), (3, True), (4, False)])
def test_stopped_reads_lsb_status_codes(tmp_path, code, stopped):
    from backend.service_manager import ServiceManager

    m = ServiceManager("sysv", ("x",), ("x",), ("/bin/sh", "-c", f"exit {code}"), "test")
    assert m.stopped() is stopped


def test_the_start_hint_follows_the_service_manager():
    from backend.status import EngineState, Status, describe

    status = Status(
        target="system", target_reason="test", config_path="/etc/docker/daemon.json", configured_store=None,
        config_error=None, engine=EngineState(host="unix:///x.sock"), live_store=None, stores={}, profile={},
        switch_in_progress=False, last_switch=None,
        service_manager={"name": "sysv", "restart": "/usr/sbin/service docker restart", "reason": "a SysV script"},
    )
    text = "\n".join(describe(status))
    assert "start it with `sudo /usr/sbin/service docker start`" in text
    assert "restart:     /usr/sbin/service docker restart (sysv: a SysV script)" in text
    assert status.as_dict()["service_manager"]["name"] == "sysv"
