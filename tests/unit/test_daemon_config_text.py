"""daemon.json edited as text (issue 13 points 2-5): formatting kept, links kept, bad keys refused.

The five fixtures in ``fixtures/daemon_json/`` are formatted by hand the ways people write the
file (4-space indent, one line, inline arrays with ``\\u`` escapes, a BOM with tabs, CRLF with
spaces before the colon). A switch there and back must give the original bytes, and a switch
must change only the store key's line.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import pytest

from backend.daemon_config import DaemonConfig, edit_store, parse, write_config
from backend.errors import ConfigError
from backend.stores import Store

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "daemon_json").glob("*.json"))


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_switching_there_and_back_gives_the_original_bytes(fixture, tmp_path):
    original = fixture.read_bytes()
    path = tmp_path / "daemon.json"
    path.write_bytes(original)
    config = DaemonConfig.load(path)
    assert config.store is Store.CLASSIC
    config.write(config.with_store(Store.CONTAINERD))
    switched = path.read_bytes()
    assert DaemonConfig.load(path).store is Store.CONTAINERD
    assert json.loads(switched.decode("utf-8-sig")) == {**json.loads(original.decode("utf-8-sig")),
                                                        "features": {**json.loads(original.decode("utf-8-sig"))["features"],
                                                                     "containerd-snapshotter": True}}
    # only the store key's line changed
    before, after = original.decode("utf-8").splitlines(True), switched.decode("utf-8").splitlines(True)
    changed = [line for line in difflib.ndiff(before, after) if line[:1] in "+-"]
    assert len(changed) == 2 and all("containerd-snapshotter" in line for line in changed), changed
    back = DaemonConfig.load(path)
    back.write(back.with_store(Store.CLASSIC))
    assert path.read_bytes() == original


def test_a_missing_store_key_is_inserted_in_the_files_own_style():
    four = b'{\n    "debug": true,\n    "labels": ["caf\\u00e9"]\n}\n'
    assert edit_store(four, parse(four), Store.CONTAINERD) == (
        b'{\n    "debug": true,\n    "labels": ["caf\\u00e9"],\n    "features": {\n'
        b'        "containerd-snapshotter": true\n    }\n}\n')
    crlf = b'{\r\n\t"features": {\r\n\t\t"buildkit": true\r\n\t}\r\n}\r\n'
    assert edit_store(crlf, parse(crlf), Store.CONTAINERD) == (
        b'{\r\n\t"features": {\r\n\t\t"buildkit": true,\r\n\t\t"containerd-snapshotter": true\r\n\t}\r\n}\r\n')
    one = b'{"debug":true,"hosts":[]}'
    assert edit_store(one, parse(one), Store.CONTAINERD) == b'{"debug":true,"hosts":[],"features":{"containerd-snapshotter":true}}'


def test_storage_driver_is_removed_with_its_line_only():
    raw = b'{\n    "storage-driver": "overlay2",\n    "debug": true\n}\n'
    assert edit_store(raw, parse(raw), Store.CONTAINERD) == (
        b'{\n    "debug": true,\n    "features": {\n        "containerd-snapshotter": true\n    }\n}\n')
    last = b'{"debug": true, "storage-driver": "overlay2"}'
    assert edit_store(last, parse(last), Store.CONTAINERD) == b'{"debug": true, "features": {"containerd-snapshotter": true}}'
    snap = b'{\n  "storage-driver": "stargz",\n  "features": {"containerd-snapshotter": true}\n}\n'
    assert edit_store(snap, parse(snap), Store.CONTAINERD, "native") == (
        b'{\n  "storage-driver": "native",\n  "features": {"containerd-snapshotter": true}\n}\n')


def test_a_symlinked_config_is_written_through_and_stays_a_link(tmp_path):
    real_dir = tmp_path / "dotfiles"
    real_dir.mkdir()
    real = real_dir / "docker-daemon.json"
    real.write_bytes(b'{\n    "debug": true\n}\n')
    link = tmp_path / "daemon.json"
    link.symlink_to(real)
    config = DaemonConfig.load(link)
    config.write(config.with_store(Store.CONTAINERD))
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert DaemonConfig.load(real).store is Store.CONTAINERD
    assert not [p for p in real_dir.iterdir() if p.name.startswith(".")]  # no temp file left beside it
    config.restore()
    assert link.is_symlink() and real.read_bytes() == b'{\n    "debug": true\n}\n'


def test_a_file_that_already_holds_the_bytes_is_not_written(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_bytes(b"{}")
    inode = path.stat().st_ino
    assert write_config(path, b"{}") is False
    assert path.stat().st_ino == inode
    assert write_config(path, b'{"debug": true}') is True


@pytest.mark.parametrize("value", ['"true"', "1", '"false"', "null", "{}"])
def test_a_wrongly_typed_store_key_is_a_config_error(tmp_path, value):
    path = tmp_path / "daemon.json"
    path.write_text('{"features": {"containerd-snapshotter": %s}}' % value)
    with pytest.raises(ConfigError) as err:
        DaemonConfig.load(path)
    assert str(path) in str(err.value)
    assert "'features'.'containerd-snapshotter' must be true or false" in str(err.value)
    assert value in str(err.value)


def test_deeply_nested_json_is_a_plain_error(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text('{"a":' * 5000 + "1" + "}" * 5000)
    with pytest.raises(ConfigError, match="nested too deeply") as err:
        DaemonConfig.load(path)
    assert str(path) in str(err.value)
