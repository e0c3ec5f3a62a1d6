"""Profile: --profile DIR puts every file under DIR; a deep profile gets a short run dir for sockets."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from backend.profile import Profile

SOCKET_LIMIT = 108  # sun_path, including the final NUL


def all_paths(p: Profile) -> list[Path]:
    return [
        p.config_dir, p.data_dir, p.state_dir, p.log_dir, p.settings_path, p.managed_config_path,
        p.managed_data_root, p.engine_log_path, p.journal_path, p.history_path, p.lock_path,
        p.run_dir, p.managed_exec_root, p.managed_socket, p.managed_pidfile,
    ]


def test_profile_dir_holds_everything(tmp_path):
    root = tempfile.mkdtemp(prefix="ssw-")  # short: the run dir stays inside too
    try:
        p = Profile.from_dir(root)
        assert p.explicit
        for path in all_paths(p):
            assert path.is_relative_to(root), path
        assert p.managed_config_path == Path(root) / "config" / "engine" / "daemon.json"
        assert p.run_dir == Path(root) / "run"
        assert p.as_dict()["state_dir"] == str(Path(root) / "state")
    finally:
        os.rmdir(root)


def test_relative_profile_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Profile.from_dir("prof").config_dir == tmp_path / "prof" / "config"


def test_deep_profile_gets_a_short_stable_run_dir():
    deep = Path("/tmp") / ("d" * 60) / ("e" * 60) / "profile"
    p = Profile.from_dir(deep)
    for path in all_paths(p):
        if path.is_relative_to(p.run_dir):
            continue
        assert path.is_relative_to(deep), path
    assert not p.run_dir.is_relative_to(deep)
    assert p.run_dir.parent == Path(tempfile.gettempdir())
    assert Profile.from_dir(deep).run_dir == p.run_dir  # same profile, same sockets
    assert Profile.from_dir(deep / "other").run_dir != p.run_dir
    containerd_socket = p.managed_exec_root / "containerd" / "containerd-debug.sock"
    assert len(str(containerd_socket).encode()) < SOCKET_LIMIT
    assert len(str(p.managed_socket).encode()) < SOCKET_LIMIT


def test_explicit_beats_env_beats_platform_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("STORESWITCH_PROFILE", str(tmp_path / "from-env"))
    assert Profile.resolve(tmp_path / "explicit").config_dir == tmp_path / "explicit" / "config"
    assert Profile.resolve().config_dir == tmp_path / "from-env" / "config"
    monkeypatch.delenv("STORESWITCH_PROFILE")
    default = Profile.resolve()
    assert not default.explicit
    # conftest points the XDG dirs at a temporary home: the platform dirs follow them.
    assert default.config_dir == Path(os.environ["XDG_CONFIG_HOME"]) / "storeswitch"
    assert default.state_dir == Path(os.environ["XDG_STATE_HOME"]) / "storeswitch"
    assert default.data_dir == Path(os.environ["XDG_DATA_HOME"]) / "storeswitch"
