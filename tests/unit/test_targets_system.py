"""The system and rootless targets without an engine: where they look, what they run, what they refuse.

The switch itself, on a real dockerd, is in tests/engine/test_targets_system_engine.py. Commands here
are real processes (``python -c ...``) standing in for a restart command of a host without
systemd; ``pkexec`` cannot be driven in CI, so the two exit codes it uses for a refused or
dismissed authorization are given by such a command too (said where it happens).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from backend.errors import ConfigError, EngineError, SwitchError
from backend.service_manager import detect
from backend.stores import Store
from backend.targets.rootless import RootlessTarget
from backend.targets.service import command_from_env
from backend.targets.system import HelperDaemonConfig, SystemTarget, system_address, system_config_path


def py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_system_defaults(monkeypatch):
    monkeypatch.delenv("STORESWITCH_SYSTEM_HOST")
    target = SystemTarget(privileged=True)
    assert target.config_path == Path("/etc/docker/daemon.json")
    assert target.host == "unix:///var/run/docker.sock"
    manager = detect()  # the service manager found on this machine (tests/unit/test_service_manager.py)
    assert target.manager == manager
    assert target.restart_command == list(manager.restart)
    assert target.stop_command == (list(manager.stop) or None)
    assert target.reason == "--target system"


def test_no_service_manager_says_what_to_do(monkeypatch, tmp_path):
    from backend.errors import EngineError
    from backend.service_manager import detect as real_detect

    monkeypatch.setattr("backend.targets.system.detect", lambda: real_detect(tmp_path))
    target = SystemTarget(tmp_path / "daemon.json", f"unix://{tmp_path}/none.sock", privileged=True)
    assert target.restart_command == [] and target.stop_command is None
    target.stop()  # nothing to stop with
    with pytest.raises(EngineError, match="nothing here restarts Docker.*STORESWITCH_RESTART_CMD"):
        target.start()


def test_system_locations_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("STORESWITCH_SYSTEM_CONFIG", str(tmp_path / "daemon.json"))
    monkeypatch.setenv("STORESWITCH_RESTART_CMD", "rc-service 'docker engine' restart")
    target = SystemTarget(privileged=True)
    assert target.config_path == tmp_path / "daemon.json" == system_config_path()
    assert target.restart_command == ["rc-service", "docker engine", "restart"]
    assert target.stop_command is None  # a restart command of one's own does both halves
    target.stop()  # nothing to run
    monkeypatch.setenv("DOCKER_HOST", "unix:///srv/docker.sock")
    assert system_address().host == "unix:///srv/docker.sock"
    monkeypatch.delenv("DOCKER_HOST")
    assert system_address().source == "STORESWITCH_SYSTEM_HOST"


def test_a_restart_command_that_cannot_be_split_is_refused(monkeypatch):
    monkeypatch.setenv("STORESWITCH_RESTART_CMD", "service 'docker restart")
    with pytest.raises(ConfigError, match="STORESWITCH_RESTART_CMD"):
        command_from_env("STORESWITCH_RESTART_CMD")


def test_a_failing_restart_reports_its_own_words(tmp_path):
    target = SystemTarget(tmp_path / "daemon.json", f"unix://{tmp_path}/none.sock", privileged=True,
                          restart_command=py("import sys; sys.exit('Job for docker.service failed')"))
    with pytest.raises(EngineError, match="Job for docker.service failed"):
        target.start()


def test_an_engine_that_does_not_answer_after_the_restart(tmp_path):
    target = SystemTarget(tmp_path / "daemon.json", f"unix://{tmp_path}/none.sock", privileged=True,
                          restart_command=py("pass"))
    target.start_timeout = 0.3
    with pytest.raises(EngineError, match="did not answer on unix://.*none.sock"):
        target.start()


def test_a_symlinked_daemon_json_is_refused(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("{}")
    (tmp_path / "daemon.json").symlink_to(real)
    target = SystemTarget(tmp_path / "daemon.json", "unix:///none", privileged=True)
    with pytest.raises(ConfigError, match="symbolic link"):
        target.read_config()


def test_without_root_the_helper_is_required_and_no_restart_refused(tmp_path):
    target = SystemTarget(tmp_path / "daemon.json", "unix:///none", privileged=False,
                          helper_command=[str(tmp_path / "missing-pkexec"), str(tmp_path / "storeswitch-helper")])
    target._custom_helper = False  # as if it were the default pkexec command
    with pytest.raises(SwitchError, match="pkexec"):
        target.restart_plan(True)
    ok = SystemTarget(tmp_path / "daemon.json", "unix:///none", privileged=False, helper_command=py("pass"))
    assert ok.restart_plan(True) == (True, "")
    with pytest.raises(SwitchError, match="--no-restart needs root"):
        ok.restart_plan(False)
    assert SystemTarget(tmp_path / "d.json", "unix:///none", privileged=True).restart_plan(False) == (False, "--no-restart was given")


def test_the_helper_is_asked_only_for_what_it_does(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text('{"log-level": "warn"}\n')
    calls = tmp_path / "calls"
    target = SystemTarget(path, "unix:///none", privileged=False,
                          helper_command=py(f"import sys; open({str(calls)!r}, 'a').write(' '.join(sys.argv[1:]) + chr(10))"))
    config = target.read_config()
    assert isinstance(config, HelperDaemonConfig)
    with pytest.raises(ConfigError, match="snapshotter"):
        config.with_store(Store.CONTAINERD, "stargz")
    with pytest.raises(ConfigError, match="beyond the image-store setting"):
        config.write(b'{"log-level": "debug", "features": {"containerd-snapshotter": true}}\n')
    assert not calls.exists()
    config.write(config.with_store(Store.CONTAINERD))
    target.restore_config(b'{"log-level": "warn"}\n')  # the file is unchanged (the stand-in wrote nothing): no call
    target.restore_config(None)
    assert calls.read_text().splitlines() == ["switch containerd", "rollback"]


@pytest.mark.parametrize("code,words", [
    (126, "refused or cancelled"),  # pkexec: the dialog was dismissed
    (127, "refused or cancelled"),  # pkexec: not authorized
    (1, "helper refused"),
])
def test_helper_failures_are_reported(tmp_path, code, words):
    """The helper command is a stand-in exiting as pkexec does (pkexec cannot be driven in CI)."""
    path = tmp_path / "daemon.json"
    path.write_text("{}")
    target = SystemTarget(path, "unix:///none", privileged=False, helper_command=py(f"import sys; sys.exit({code})"))
    with pytest.raises(ConfigError, match=words):
        target.read_config().write(target.read_config().with_store(Store.CONTAINERD))
    assert path.read_text() == "{}"


def test_a_restart_the_helper_could_not_do_fails_the_start(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text("{}")
    report = '{"written": true, "restarted": false, "message": "daemon.json written, but the engine did not restart: boom"}'
    target = SystemTarget(path, "unix:///none", privileged=False,
                          helper_command=py(f"import sys; print({report!r}); sys.exit(3)"))
    target.read_config().write(target.read_config().with_store(Store.CONTAINERD))
    target.stop()
    with pytest.raises(EngineError, match="did not restart: boom"):
        target.start()


def test_rootless_locations(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    target = RootlessTarget()
    assert target.config_path == tmp_path / "cfg" / "docker" / "daemon.json"
    assert target.host == f"unix://{tmp_path}/run/docker.sock"
    assert target.restart_command == ["systemctl", "--user", "restart", "docker"]
    assert target.stop_command == ["systemctl", "--user", "stop", "docker"]
    assert target.store_roots(None)[Store.CLASSIC].roots[0] == Path(os.environ["XDG_DATA_HOME"]) / "docker" / "image" / "overlay2"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert RootlessTarget().config_path == Path(os.environ["HOME"]) / ".config" / "docker" / "daemon.json"


def test_validation_without_dockerd_is_skipped(tmp_path, monkeypatch):
    """No dockerd on PATH (and none given): nothing to ask, the restart decides (real dockerd: tests/engine).

    The usual places are pointed at an empty folder too: the system tests install docker.io on
    this machine, and its /usr/sbin/dockerd would otherwise be found.
    """
    import backend.targets.service as service

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(service, "USUAL_DOCKERDS", (tmp_path / "dockerd",))
    target = SystemTarget(tmp_path / "daemon.json", "unix:///none", privileged=True)
    target.validate(b'{"no-such-option": true}')
    assert target.installed() == (False, target.installed()[1])
    assert "no dockerd on PATH and no socket at /none" in target.installed()[1]
