"""What the engine last started with, and the edits beyond it that make a switch ask for --force."""

from __future__ import annotations

import json

from backend.started_config import SCHEMA_VERSION, last_started, record_start, unstarted_changes


def test_no_record_means_nothing_is_refused(profile, tmp_path):
    assert last_started(profile, tmp_path / "daemon.json") is False
    assert unstarted_changes(profile, tmp_path / "daemon.json", {"debug": True}) == []


def test_edits_beyond_the_store_keys_are_listed(profile, tmp_path):
    path = tmp_path / "daemon.json"
    record_start(profile, path, b'{"debug": false, "dns": ["1.1.1.1"], "features": {"containerd-snapshotter": false}}')
    saved = json.loads((profile.state_dir / "started-config.json").read_text())
    assert saved["schema_version"] == SCHEMA_VERSION and str(path) in saved["configs"]
    same_but_store = {"debug": False, "dns": ["1.1.1.1"], "storage-driver": "overlay2",
                      "features": {"containerd-snapshotter": True}}
    assert unstarted_changes(profile, path, same_but_store) == []
    edited = {"debug": True, "log-level": "warn", "features": {"containerd-snapshotter": False, "cdi": True}}
    assert unstarted_changes(profile, path, edited) == ["'debug' changed", "'dns' removed", "'log-level' added", "'features' added"]
    # keys the switch itself rewrites (the GUI's editor text) are the user's edits of the moment: not listed
    assert unstarted_changes(profile, path, edited, new={"debug": False, "dns": ["1.1.1.1"], "log-level": "warn"}) == ["'log-level' added"]


def test_a_started_engine_without_a_file_is_recorded(profile, tmp_path):
    path = tmp_path / "daemon.json"
    record_start(profile, path, None)
    assert last_started(profile, path) is None
    assert unstarted_changes(profile, path, {"features": {"containerd-snapshotter": True}}) == []
    assert unstarted_changes(profile, path, {"debug": True}) == ["'debug' added"]


def test_an_engine_started_after_the_last_edit_runs_the_file_as_it_is(tmp_path):
    """dockerd creates its socket at each start: a socket newer than daemon.json means it read the file."""
    import os
    import socket

    from backend.started_config import started_after_last_edit

    config = tmp_path / "daemon.json"
    config.write_text("{}")
    sock_path = tmp_path / "docker.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        os.utime(config, ns=(1, 1))
        assert started_after_last_edit(f"unix://{sock_path}", config)
        config.write_text('{"debug": true}')  # edited after the start
        os.utime(sock_path, ns=(1, 1))
        assert not started_after_last_edit(f"unix://{sock_path}", config)
    assert not started_after_last_edit("tcp://127.0.0.1:2375", config)
    assert not started_after_last_edit(f"unix://{tmp_path / 'missing.sock'}", config)
