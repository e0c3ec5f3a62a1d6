"""The CLI where no engine can run: the choice is saved, status says how to get an engine.

Also: a held switch lock makes ``switch`` exit 3 at once, and the CLI's one-command parser
behaves like the full one. No dockerd is involved anywhere here (no root needed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

from backend import cli
from backend.profile import Profile

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_engine(tmp_path, monkeypatch):
    """No fetched engine, no dockerd on PATH, no STORESWITCH_DOCKERD: the managed engine is not installed."""
    empty = tmp_path / "engine-cache"
    empty.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("STORESWITCH_ENGINE_DIR", str(empty))
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("STORESWITCH_DOCKERD", raising=False)
    prof = tmp_path / "profile"
    return ["--profile", str(prof), "--target", "managed"], Profile.from_dir(prof)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_switch_saves_the_choice_and_status_says_how_to_get_an_engine(no_engine, capsys):
    opts, profile = no_engine
    code, out, err = run(capsys, *opts, "switch", "containerd", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["outcome"] == "saved"
    assert result["to_store"] == "containerd"
    assert "storeswitch engine install" in result["message"]
    config = json.loads(profile.managed_config_path.read_text())
    assert config["features"]["containerd-snapshotter"] is True
    assert not profile.journal_path.exists()

    code, out, err = run(capsys, *opts, "status", "--json")
    assert code == 0, err
    status = json.loads(out)
    assert status["engine"]["installed"] is False
    assert "no dockerd is installed" in status["engine"]["install_message"]
    assert "storeswitch engine install" in status["engine"]["install_message"]
    assert status["engine"]["reachable"] is False
    assert status["configured_store"] == "containerd"
    assert status["live_store"] is None
    assert status["pending_restart"] is False
    assert status["config_path"] == str(profile.managed_config_path)
    assert status["last_switch"]["outcome"] == "saved"

    code, out, _ = run(capsys, *opts, "status")
    assert code == 0
    assert "not installed" in out and "storeswitch engine install" in out
    assert "containerd store" in out


def test_switch_to_the_saved_store_changes_nothing(no_engine, capsys):
    opts, profile = no_engine
    assert run(capsys, *opts, "switch", "containerd")[0] == 0
    before = profile.managed_config_path.read_bytes()
    code, out, _ = run(capsys, *opts, "switch", "containerd", "--json")
    assert code == 0 and json.loads(out)["outcome"] == "unchanged"
    assert profile.managed_config_path.read_bytes() == before


def test_engine_start_without_an_engine_fails_saying_how_to_get_one(no_engine, capsys):
    opts, _ = no_engine
    code, _, err = run(capsys, *opts, "engine", "start")
    assert code == 1
    assert "no dockerd is installed" in err and "storeswitch engine install" in err


def test_status_json_has_the_contract_fields(no_engine, capsys):
    opts, _ = no_engine
    code, out, _ = run(capsys, *opts, "status", "--json")
    assert code == 0
    status = json.loads(out)
    for key in ("target", "config_path", "configured_store", "live_store", "pending_restart", "engine", "stores"):
        assert key in status, key
    for key in ("host", "reachable", "version", "api_version", "driver", "driver_type"):
        assert key in status["engine"], key
    assert set(status["stores"]) >= {"classic", "containerd"}
    assert status["target"] == "managed"
    assert all(isinstance(status["stores"][s]["roots"], list) and status["stores"][s]["roots"] for s in ("classic", "containerd"))


def test_malformed_config_is_refused_without_an_engine_too(no_engine, capsys):
    opts, profile = no_engine
    profile.managed_config_path.parent.mkdir(parents=True)
    profile.managed_config_path.write_text('{\n  "debug": true,\n}\n')
    before = profile.managed_config_path.read_bytes()
    code, _, err = run(capsys, *opts, "switch", "containerd")
    assert code == 1
    assert f"{profile.managed_config_path}: invalid JSON at line 2, column 16" in err
    assert profile.managed_config_path.read_bytes() == before
    code, out, _ = run(capsys, *opts, "status", "--json")
    assert code == 0 and "line 2, column 16" in json.loads(out)["config_error"]


def test_a_held_lock_makes_switch_exit_3_at_once(no_engine, capsys):
    opts, profile = no_engine
    profile.state_dir.mkdir(parents=True)
    with FileLock(str(profile.lock_path), timeout=0):
        code, out, err = run(capsys, *opts, "switch", "containerd", "--json")
    assert code == 3
    assert "a switch is in progress" in err
    assert json.loads(out)["exit_code"] == 3
    assert not profile.managed_config_path.exists()  # nothing was written
    assert run(capsys, *opts, "switch", "containerd")[0] == 0  # lock free: it proceeds


def test_one_command_parser_matches_the_full_one(capsys):
    assert cli._command_module(["--profile", "/x", "switch", "containerd"]) == "switch"
    assert cli._command_module(["known-issues", "--json"]) == "known_issues"
    assert cli._command_module(["--target", "bogus", "status"]) is None  # the full parser reports it
    assert cli._command_module(["nope"]) is None
    assert cli._command_module(["--help"]) is None
    with pytest.raises(SystemExit) as exit_:
        cli.main(["switch", "nowhere"])
    assert exit_.value.code == 2
    assert "invalid choice: 'nowhere'" in capsys.readouterr().err
    full = {a.dest for a in cli.build_parser()._subparsers._group_actions[0].choices["switch"]._actions}
    one = {a.dest for a in cli.build_parser("switch")._subparsers._group_actions[0].choices["switch"]._actions}
    assert one == full


def test_the_entry_point_runs_as_a_subprocess(no_engine):
    opts, _ = no_engine
    proc = subprocess.run([sys.executable, "-m", "backend.cli", *opts, "status", "--json"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["engine"]["installed"] is False


@pytest.mark.parametrize(("step", "finished"), [("planned", False), ("config-written", True)])
def test_a_killed_save_is_recovered_without_an_engine(no_engine, tmp_path, step, finished):
    """No engine, so a switch only saves: killed after a step, the next command finishes or undoes it."""
    opts, profile = no_engine
    profile.managed_config_path.parent.mkdir(parents=True)
    original = b'{"log-level": "warn"}\n'
    profile.managed_config_path.write_bytes(original)
    env = {**os.environ, "STORESWITCH_FAULT_KILL_AFTER": step}
    killed = subprocess.run([sys.executable, "-m", "backend.cli", *opts, "switch", "containerd"],
                            capture_output=True, text=True, cwd=ROOT, env=env)
    assert killed.returncode == -9, killed.stderr
    assert json.loads(profile.journal_path.read_text())["step"] == step

    env.pop("STORESWITCH_FAULT_KILL_AFTER")
    proc = subprocess.run([sys.executable, "-m", "backend.cli", *opts, "status", "--json"],
                          capture_output=True, text=True, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)
    assert not profile.journal_path.exists()
    assert "interrupted switch to the containerd store" in status["recovered"]
    if finished:
        assert status["configured_store"] == "containerd"
        assert json.loads(profile.managed_config_path.read_text())["log-level"] == "warn"
        assert status["last_switch"]["outcome"] == "recovered"
    else:
        assert profile.managed_config_path.read_bytes() == original
        assert status["configured_store"] == "classic"
        assert status["last_switch"]["outcome"] == "rolled-back"


def test_every_command_module_is_registered_under_its_own_name():
    """The one-command parser finds a module by its command word: ``known-issues`` -> ``known_issues``."""
    on_disk = {p.stem for p in (ROOT / "backend" / "commands").glob("*.py") if p.stem != "__init__"}
    assert set(cli.COMMANDS) == on_disk
    for name in cli.COMMANDS:
        words = set(cli.build_parser(name)._subparsers._group_actions[0].choices)
        assert name.replace("_", "-") in words, (name, words)


def test_stopped_engine_hint_fits_the_target():
    """Only the managed engine is started with `storeswitch engine start`; others say their own way."""
    from backend.status import EngineState, Status, describe

    def text(target: str) -> str:
        status = Status(
            target=target, target_reason="test", config_path="/x/daemon.json", configured_store=None,
            config_error=None, engine=EngineState(host="unix:///x.sock"), live_store=None, stores={},
            profile={}, switch_in_progress=False, last_switch=None,
        )
        return "\n".join(describe(status))

    assert "storeswitch engine start" in text("managed")
    assert "systemctl start docker" in text("system") and "storeswitch engine start" not in text("system")
    assert "systemctl --user start docker" in text("rootless")
    assert "start Docker Desktop" in text("desktop")


def test_status_lines_up_both_stores_roots_in_one_column(no_engine, capsys):
    """The label column stays 13 wide: ``roots:`` once, then each store's name and its paths lined up."""
    opts, _ = no_engine
    code, out, err = run(capsys, *opts, "status")
    assert code == 0, err
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("roots:"))
    classic, containerd = lines[first], lines[first + 1]
    assert classic.startswith("roots:       classic ") and containerd.startswith(" " * 13 + "containerd ")
    assert classic.index("/") == containerd.index("/")  # both paths start in the same column
    assert "classic roots:" not in out and "containerd roots:" not in out
