"""``status`` / ``status --json``: ``configured_store`` plus ``configured_by``, by the engine's own rule.

The engine is stopped here; its version comes from its dockerd binary. No Engine 29 binary is
available to these machines, so the Engine 29 cases use a stand-in ``dockerd`` that only answers
``--version`` with 29.1.0 (a real engine cannot be made to be 29 on demand): the rule itself is
tested row by row in test_store_choice.py.
"""

from __future__ import annotations

import json
import stat

import pytest

from backend.cli import main
from backend.engine.install import fetched_binaries


def fake_dockerd(tmp_path, version: str):
    path = tmp_path / "bin" / "dockerd"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n[ \"$1\" = --version ] && echo 'Docker version {version}, build 0000000' && exit 0\nexit 1\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def status_json(capsys, *argv):
    assert main([*argv, "--target", "managed", "status", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_engine_29_without_the_key_is_the_containerd_store_with_the_reason(tmp_path, capsys, profile):
    dockerd = fake_dockerd(tmp_path, "29.1.0")
    data = status_json(capsys, "--dockerd", str(dockerd))
    overlay = profile.managed_data_root / "overlay2"
    assert data["configured_store"] == "containerd"
    assert data["configured_by"] == f"engine default: containerd store (Engine 29: `{overlay}` is empty)"


def test_engine_29_with_a_prior_overlay2_keeps_classic_and_says_what_would_flip_it(tmp_path, capsys, profile):
    dockerd = fake_dockerd(tmp_path, "29.1.0")
    (profile.managed_data_root / "overlay2" / "abc").mkdir(parents=True)
    data = status_json(capsys, "--dockerd", str(dockerd))
    assert data["configured_store"] == "classic" and "is not empty" in data["configured_by"]
    assert any("would flip this engine to the containerd store" in n for n in data["store_notes"])
    assert main(["--dockerd", str(dockerd), "--target", "managed", "status"]) == 0
    out = capsys.readouterr().out
    assert "configured:  engine default: classic store (Engine 29:" in out and "note: emptying" in out


def test_explicit_key_says_so_and_migration_gets_a_status_line(tmp_path, capsys, profile):
    profile.managed_config_path.parent.mkdir(parents=True, exist_ok=True)
    profile.managed_config_path.write_text(json.dumps({"features": {"containerd-snapshotter": False, "containerd-migration": True}}))
    data = status_json(capsys, "--dockerd", str(fake_dockerd(tmp_path, "29.1.0")))
    assert data["configured_store"] == "classic"
    assert data["configured_by"] == "daemon.json: features.containerd-snapshotter is false"
    assert any("containerd-migration is set" in n and "no containers" in n for n in data["store_notes"])


def test_the_managed_engines_own_binary_decides_before_29(capsys, profile):
    if fetched_binaries() is None:
        pytest.skip("no fetched engine: run scripts/fetch-engine (scripts/test does)")
    data = status_json(capsys)
    assert data["configured_store"] == "classic"
    assert data["configured_by"].startswith("engine default: classic store (Engine 26.1.5 is before 29")


def test_dockerd_version_output_is_read():
    from packaging.version import Version

    from backend.engine.version import parse_dockerd_version

    assert parse_dockerd_version("Docker version 20.10.24+dfsg1, build 5d6db84\n") == Version("20.10.24")
    assert parse_dockerd_version("Docker version 28.5.2+dfsg4, build 89c5e8f") == Version("28.5.2")
    assert parse_dockerd_version("unknown flag: --version") is None


def test_a_switch_always_writes_the_key_explicitly():
    """On Engine 29 an absent key means "the engine's rule decides": a switch never leaves it absent."""
    from backend.daemon_config import parse, set_store
    from backend.stores import Store

    for store in Store:
        written = set_store(parse(b'{"log-level": "warn"}'), store)
        assert written["features"] == {"containerd-snapshotter": store is Store.CONTAINERD}
