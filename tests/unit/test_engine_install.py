"""Which dockerd the managed engine runs (explicit, fetched, PATH), and the fetch's idempotence."""

from __future__ import annotations

import json
import stat

import pytest

from backend.engine import install
from backend.engine.install import EngineNotInstalled, fetched_binaries, find_dockerd, install_engine


def fake_binary(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def fake_engine_dir(root):
    fake_binary(root / "root" / "usr" / "sbin" / "dockerd")
    fake_binary(root / "root" / "usr" / "bin" / "containerd")
    (root / install.MARKER).write_text(json.dumps({"schema_version": 1, "packages": []}))
    return root


@pytest.fixture
def nothing(tmp_path, monkeypatch):
    """No fetched engine, an empty PATH, no STORESWITCH_DOCKERD."""
    empty = tmp_path / "cache"
    empty.mkdir()
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("STORESWITCH_ENGINE_DIR", str(empty))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.delenv("STORESWITCH_DOCKERD", raising=False)
    return tmp_path


def test_nothing_installed_says_how_to_get_an_engine(nothing):
    with pytest.raises(EngineNotInstalled) as err:
        find_dockerd()
    assert "no dockerd is installed for the managed engine" in str(err.value)
    assert "storeswitch engine install" in str(err.value) and "--dockerd PATH" in str(err.value)


def test_dockerd_on_path_is_used(nothing):
    dockerd = fake_binary(nothing / "bin" / "dockerd")
    found = find_dockerd()
    assert (found.dockerd, found.source) == (dockerd, "PATH")


def test_fetched_engine_beats_path_and_brings_its_path_dirs(nothing, monkeypatch):
    fake_binary(nothing / "bin" / "dockerd")
    engine_dir = fake_engine_dir(nothing / "cache")
    found = find_dockerd()
    assert found.source == "fetched"
    assert found.dockerd == engine_dir / "root/usr/sbin/dockerd"
    path = found.env({"PATH": "/usr/bin"})["PATH"].split(":")
    assert path[:2] == [str(engine_dir / "root/usr/sbin"), str(engine_dir / "root/usr/bin")] and path[-1] == "/usr/bin"


def test_an_incomplete_fetch_does_not_count(nothing):
    fake_binary(nothing / "cache" / "root" / "usr" / "sbin" / "dockerd")  # no engine.json: interrupted
    assert fetched_binaries(nothing / "cache") is None


def test_explicit_dockerd_beats_everything(nothing, monkeypatch):
    fake_engine_dir(nothing / "cache")
    mine = fake_binary(nothing / "opt" / "dockerd")
    assert find_dockerd(mine).source == "explicit"
    monkeypatch.setenv("STORESWITCH_DOCKERD", str(mine))
    assert find_dockerd().dockerd == mine


def test_explicit_path_that_is_not_executable_is_refused(nothing):
    plain = nothing / "dockerd.txt"
    plain.write_text("not a program")
    with pytest.raises(EngineNotInstalled, match="is not an executable file"):
        find_dockerd(plain)
    with pytest.raises(EngineNotInstalled, match=str(nothing / "missing")):
        find_dockerd(nothing / "missing")


def test_install_is_idempotent_on_a_complete_engine_dir(nothing, monkeypatch):
    engine_dir = fake_engine_dir(nothing / "cache")

    def no_network(*a, **k):
        raise AssertionError("a complete engine dir must not be fetched again")

    monkeypatch.setattr(install, "_run", no_network)
    said: list[str] = []
    found = install_engine(engine_dir, log=said.append)
    assert found.dockerd == engine_dir / "root/usr/sbin/dockerd"
    assert said == [f"engine already fetched in {engine_dir}"]


def test_other_suites_go_beside_the_default_engine_dir(nothing):
    """sid and bookworm never replace the managed engine everyone uses (~/.cache/storeswitch/engine)."""
    base = nothing / "cache"
    assert install.suite_engine_dir() == base
    assert install.suite_engine_dir("sid") == nothing / "engine-sid"
    assert install.suite_engine_dir("bookworm") == nothing / "engine-bookworm"
    with pytest.raises(EngineNotInstalled, match="unknown suite 'buster'"):
        install.suite_engine_dir("buster")


def test_engine_install_suite_asks_apt_for_that_suite_and_the_host_runc(nothing, monkeypatch, capsys):
    """`storeswitch engine install --suite sid`: sid's docker.io and containerd, runc from the host release."""
    from backend.cli import main

    calls: list[list[str]] = []

    def fake_run(args, cwd=None):  # apt-get is not run: only its arguments are checked (no network in unit tests)
        calls.append(args)

    monkeypatch.setattr(install, "_run", fake_run)
    monkeypatch.setattr(install, "_apt_mirror", lambda: "http://deb.debian.org/debian")
    monkeypatch.setattr(install, "_host_codename", lambda: "bookworm")
    monkeypatch.setattr(install.shutil, "which", lambda tool: f"/usr/bin/{tool}")
    assert main(["engine", "install", "--suite", "sid", "--json"]) == 1  # nothing was unpacked: no dockerd
    assert "hold no usr/sbin/dockerd" in capsys.readouterr().err
    download = next(c for c in calls if "download" in c)
    assert download[-3:] == ["docker.io/sid", "containerd/sid", "runc/bookworm"]
    sources = next(c for c in calls if "update" in c)
    assert any(o.startswith("-oDir::Etc::SourceList=") for o in sources)
