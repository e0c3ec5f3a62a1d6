"""daemon.json: strict parse with file/line/column, one key edited, every other key kept, byte-exact restore."""

from __future__ import annotations

import json

import pytest

from backend.daemon_config import DaemonConfig, parse, render, set_store
from backend.errors import ConfigError
from backend.stores import Store

RICH = {
    "log-level": "warn",
    "labels": ["zone=ünïcødé", "owner=Zoë", "emoji=🐳"],
    "features": {"buildkit": True},
    "log-opts": {"max-size": "10m", "max-file": "3"},
    "default-address-pools": [{"base": "10.99.0.0/16", "size": 24}],
    "x-vendor-extension": {"nested": {"deeper": [1, 2.5, None, False, "ß"]}},
    "registry-mirrors": [],
}


def test_nested_unicode_and_unknown_keys_are_kept_with_their_order(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text(json.dumps(RICH, ensure_ascii=False, indent=4), encoding="utf-8")
    config = DaemonConfig.load(path)
    assert config.store is Store.CLASSIC

    new = json.loads(config.with_store(Store.CONTAINERD))
    assert list(new) == list(RICH)  # no key moved, none added at the top level ("features" existed)
    assert new["features"] == {"buildkit": True, "containerd-snapshotter": True}
    assert {k: v for k, v in new.items() if k != "features"} == {k: v for k, v in RICH.items() if k != "features"}
    assert "ünïcødé".encode() in config.with_store(Store.CONTAINERD)  # written as UTF-8, not \\u escapes


def test_round_trip_through_both_stores_changes_only_the_flag(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text(json.dumps(RICH, ensure_ascii=False), encoding="utf-8")
    config = DaemonConfig.load(path)
    config.write(config.with_store(Store.CONTAINERD))
    again = DaemonConfig.load(path)
    assert again.store is Store.CONTAINERD
    again.write(again.with_store(Store.CLASSIC))
    final = json.loads(path.read_text(encoding="utf-8"))
    assert final.pop("features") == {"buildkit": True, "containerd-snapshotter": False}
    assert final == {k: v for k, v in RICH.items() if k != "features"}


def test_features_is_appended_when_missing_and_other_feature_flags_stay():
    data = {"debug": True, "hosts": ["unix:///x.sock"]}
    new = set_store(data, Store.CONTAINERD)
    assert list(new) == ["debug", "hosts", "features"]
    assert data == {"debug": True, "hosts": ["unix:///x.sock"]}  # the input is not changed
    assert set_store({"features": {"a": 1}}, Store.CLASSIC)["features"] == {"a": 1, "containerd-snapshotter": False}


def test_features_that_is_not_an_object_is_refused():
    with pytest.raises(ConfigError, match="'features' must be an object"):
        set_store({"features": ["containerd-snapshotter"]}, Store.CONTAINERD)


def test_malformed_file_is_refused_with_file_line_column_and_left_untouched(tmp_path):
    (tmp_path / "etc").mkdir()
    path = tmp_path / "etc" / "daemon.json"
    text = '{\n  "log-level": "info",\n  "debug": tru\n}\n'
    path.write_text(text, encoding="utf-8")
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    with pytest.raises(ConfigError) as err:
        DaemonConfig.load(path)
    message = str(err.value)
    assert str(path) in message
    assert "line 3, column 12" in message
    assert "left untouched" in message
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime
    assert [p.name for p in path.parent.iterdir()] == ["daemon.json"]  # no temp or backup file appeared


def test_trailing_comma_is_reported_at_the_comma(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text('{\n  "debug": true,\n}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        DaemonConfig.load(path)
    assert f"{path}: invalid JSON at line 2, column 16: a trailing comma" in str(err.value)


@pytest.mark.parametrize(
    ("text", "kind"),
    [("[1, 2]", "an array"), ('"containerd"', "a string"), ("42", "a number"), ("null", "null"), ("true", "true")],
)
def test_a_file_that_is_not_an_object_is_refused(tmp_path, text, kind):
    path = tmp_path / "daemon.json"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        DaemonConfig.load(path)
    assert str(path) in str(err.value)
    assert f"must hold a JSON object {{...}}, found {kind}" in str(err.value)


def test_bom_is_accepted_and_positions_count_from_after_it(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_bytes(b'\xef\xbb\xbf{"features": {"containerd-snapshotter": true}}\n')
    config = DaemonConfig.load(path)
    assert config.store is Store.CONTAINERD
    assert config.raw.startswith(b"\xef\xbb\xbf")  # the original bytes are kept for a restore
    # edited as text: the BOM is the user's byte like any other (dockerd skips it when it reads)
    assert config.with_store(Store.CLASSIC) == b'\xef\xbb\xbf{"features": {"containerd-snapshotter": false}}\n'

    path.write_bytes(b'\xef\xbb\xbf{"a": ]}')
    with pytest.raises(ConfigError, match="line 1, column 7"):
        DaemonConfig.load(path)
    assert parse('\ufeff{"a": 1}') == {"a": 1}


def test_not_utf8_is_refused(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_bytes(b'{"labels": ["caf\xe9"]}')
    with pytest.raises(ConfigError, match="not UTF-8"):
        DaemonConfig.load(path)


def test_missing_and_empty_files_mean_no_settings(tmp_path):
    missing = DaemonConfig.load(tmp_path / "nope.json")
    assert not missing.exists and missing.data == {} and missing.store is Store.CLASSIC
    empty = tmp_path / "empty.json"
    empty.write_text("  \n")
    assert DaemonConfig.load(empty).data == {}


def test_restore_puts_back_the_exact_bytes_or_removes_a_new_file(tmp_path):
    path = tmp_path / "daemon.json"
    original = b'{ "debug" : true ,"features":{ }}  \r\n'  # odd spacing a rewrite would not keep
    path.write_bytes(original)
    config = DaemonConfig.load(path)
    config.write(config.with_store(Store.CONTAINERD))
    assert path.read_bytes() != original
    config.restore()
    assert path.read_bytes() == original

    fresh = tmp_path / "new.json"
    new_config = DaemonConfig.load(fresh)
    new_config.write(new_config.with_store(Store.CONTAINERD))
    assert fresh.exists()
    new_config.restore()
    assert not fresh.exists()


def test_write_keeps_the_file_mode(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text("{}")
    path.chmod(0o600)
    config = DaemonConfig.load(path)
    config.write(config.with_store(Store.CONTAINERD))
    assert path.stat().st_mode & 0o777 == 0o600


def test_render_is_indented_utf8_with_a_final_newline():
    out = render({"a": "ö", "b": {"c": 1}})
    assert out == '{\n  "a": "ö",\n  "b": {\n    "c": 1\n  }\n}\n'.encode()
