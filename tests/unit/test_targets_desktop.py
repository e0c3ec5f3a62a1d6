"""The desktop target: Docker Desktop's settings files switched with every other key kept.

No Docker Desktop runs here, so a switch is saved and reported as restart pending (the real
outcome on a machine whose Docker Desktop is not running or has no `docker desktop` CLI). The
one test double is a stand-in `docker` executable answering `docker desktop version`, for the
CLI check on a machine without Docker Desktop; its test says so.
"""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest

from backend.errors import ConfigError
from backend.stores import Store
from backend.switch import SwitchTransaction
from backend.targets.desktop import (
    DesktopSettings,
    DesktopTarget,
    desktop_host,
    desktop_settings_dir,
    render_like,
)

FIXTURES = Path(__file__).parent / "fixtures" / "desktop"
REAL_FILES = [("4.34", "settings.json"), ("4.35", "settings-store.json"), ("4.45", "settings-store.json"),
              ("4.45-kind", "settings-store.json"), ("4.34-kubernetes", "settings.json"), ("locked", "settings-store.json")]


def place(tmp_path: Path, version: str, name: str) -> Path:
    directory = tmp_path / "desktop"
    directory.mkdir(exist_ok=True)
    path = directory / name
    shutil.copyfile(FIXTURES / version / name, path)
    return path


def keys_other_than(data: dict, *skip: str) -> list:
    return [(k, v) for k, v in data.items() if k not in skip]


@pytest.mark.parametrize("version,name", REAL_FILES)
def test_round_trip_keeps_every_other_key_and_the_formatting(tmp_path, version, name):
    path = place(tmp_path, version, name)
    original = path.read_bytes()
    settings = DesktopSettings.load(path)
    store_key, time_key = settings.fmt.key("UseContainerdSnapshotter"), settings.fmt.key("LastContainerdSnapshotterEnable")
    start = settings.store

    there = settings.with_store(start.other, now=1_800_000_000)
    settings.write(there)
    back = DesktopSettings.load(path).with_store(start, now=1_800_000_001)
    path.write_bytes(back)

    for content in (there, back):
        data = json.loads(content)
        assert keys_other_than(data, store_key, time_key) == keys_other_than(json.loads(original), store_key, time_key)
    assert DesktopSettings.load(path).store is start
    # Only the store line (and the time line on turning containerd on) differs from the original text.
    changed = [(a, b) for a, b in zip(original.decode().splitlines(), back.decode().splitlines()) if a != b]
    assert len(original.splitlines()) == len(back.splitlines())
    assert len(changed) <= 1, changed  # the store line is back as it was; at most the time stamp moved
    assert keys_other_than(json.loads(back), time_key) == keys_other_than(json.loads(original), time_key)
    if time_key not in json.loads(original):
        assert back == original  # byte for byte


def test_turning_containerd_on_stamps_the_time_and_off_keeps_it(tmp_path):
    path = place(tmp_path, "4.45", "settings-store.json")
    settings = DesktopSettings.load(path)
    assert settings.store is Store.CONTAINERD and settings.last_enabled == 1764017291
    off = json.loads(settings.with_store(Store.CLASSIC, now=1_800_000_000))
    assert off["UseContainerdSnapshotter"] is False
    assert off["LastContainerdSnapshotterEnable"] == 1764017291  # as Docker Desktop leaves it
    path.write_text(json.dumps(off, indent=2) + "\n")
    on = json.loads(DesktopSettings.load(path).with_store(Store.CONTAINERD, now=1_800_000_000))
    assert on["UseContainerdSnapshotter"] is True and on["LastContainerdSnapshotterEnable"] == 1_800_000_000


def test_asking_for_the_store_it_has_gives_the_same_bytes(tmp_path):
    path = place(tmp_path, "4.45", "settings-store.json")
    settings = DesktopSettings.load(path)
    assert settings.with_store(Store.CONTAINERD) == path.read_bytes()


def test_legacy_settings_json_is_read_and_written_in_camel_case(tmp_path):
    path = place(tmp_path, "4.34", "settings.json")
    settings = DesktopSettings.load(path)
    assert settings.store is Store.CLASSIC
    data = json.loads(settings.with_store(Store.CONTAINERD, now=1_800_000_000))
    assert data["useContainerdSnapshotter"] is True
    assert "UseContainerdSnapshotter" not in data
    assert "lastContainerdSnapshotterEnable" not in data  # never seen in a 4.34 file: not added
    data["lastContainerdSnapshotterEnable"] = 1
    path.write_text(json.dumps(data, indent=2))
    again = json.loads(DesktopSettings.load(path).with_store(Store.CLASSIC))
    assert again["lastContainerdSnapshotterEnable"] == 1 and again["useContainerdSnapshotter"] is False


@pytest.mark.parametrize("text,problem", [
    ((FIXTURES / "malformed" / "settings-store.json").read_text(), "invalid JSON at line 4"),
    ('{"UseContainerdSnapshotter": "yes"}\n', "must be true or false"),
    ('["UseContainerdSnapshotter"]\n', "must hold a JSON object"),
])
def test_a_malformed_file_is_refused_and_untouched(tmp_path, profile, text, problem):
    directory = tmp_path / "desktop"
    directory.mkdir()
    path = directory / "settings-store.json"
    path.write_text(text)
    before = path.read_bytes()
    with pytest.raises(ConfigError, match=problem):
        DesktopSettings.load(path)
    target = DesktopTarget(directory, host=f"unix://{tmp_path}/none.sock", docker_cli=str(tmp_path / "no-docker"))
    with pytest.raises(ConfigError, match=problem):
        SwitchTransaction(target, profile).run(Store.CONTAINERD)
    assert path.read_bytes() == before
    assert not profile.journal_path.exists()
    assert sorted(p.name for p in directory.iterdir()) == ["settings-store.json"]


def test_switch_without_a_running_desktop_is_saved_and_pending(tmp_path, profile):
    path = place(tmp_path, "4.35", "settings-store.json")
    original = json.loads(path.read_text())
    target = DesktopTarget(path.parent, host=f"unix://{tmp_path}/none.sock", docker_cli=str(tmp_path / "no-docker"))
    result = SwitchTransaction(target, profile).run(Store.CONTAINERD)
    assert result.outcome == "saved"
    assert "Docker Desktop is not running" in result.message
    after = json.loads(path.read_text())
    assert after["UseContainerdSnapshotter"] is True
    assert keys_other_than(after, "UseContainerdSnapshotter", "LastContainerdSnapshotterEnable") == keys_other_than(
        original, "UseContainerdSnapshotter", "LastContainerdSnapshotterEnable")
    again = SwitchTransaction(target, profile).run(Store.CONTAINERD)
    assert again.outcome == "unchanged" and "next engine start" in again.message


def test_snapshotter_is_refused_for_desktop(tmp_path):
    path = place(tmp_path, "4.45", "settings-store.json")
    with pytest.raises(ConfigError, match="Docker Desktop chooses its own snapshotter"):
        DesktopSettings.load(path).with_store(Store.CONTAINERD, "stargz")


def test_settings_store_json_wins_over_settings_json(tmp_path):
    legacy = place(tmp_path, "4.34", "settings.json")
    assert DesktopTarget(legacy.parent).config_path == legacy
    newer = place(tmp_path, "4.45", "settings-store.json")
    target = DesktopTarget(newer.parent)
    assert target.config_path == newer
    assert target.read_config().store is Store.CONTAINERD
    assert target.installed()[0] is True


def test_no_settings_file_says_where_it_looked(tmp_path):
    target = DesktopTarget(tmp_path / "nowhere")
    ok, why = target.installed()
    assert not ok and str(tmp_path / "nowhere") in why and "settings-store.json" in why
    with pytest.raises(ConfigError, match="start Docker Desktop once"):
        target.read_config()


@pytest.mark.parametrize("platform,env,expected", [
    ("darwin", {"HOME": "/Users/zoe"}, "/Users/zoe/Library/Group Containers/group.com.docker"),
    ("win32", {"APPDATA": "C:/Users/zoe/AppData/Roaming", "HOME": "C:/Users/zoe"}, "C:/Users/zoe/AppData/Roaming/Docker"),
    ("linux", {"HOME": "/home/zoe"}, "/home/zoe/.docker/desktop"),
])
def test_per_os_settings_location(platform, env, expected):
    assert desktop_settings_dir(platform, env) == Path(expected)


def test_engine_address_per_os():
    assert desktop_host("linux", {"HOME": "/home/zoe"}) == "unix:///home/zoe/.docker/desktop/docker.sock"
    assert desktop_host("win32", {"HOME": "C:/Users/zoe"}).startswith("npipe://")


@pytest.mark.parametrize("original", [
    b'{"A": 1, "B": "\\u00e9"}\n',
    b'{\r\n\t"A": 1,\r\n\t"B": [\r\n\t\t2\r\n\t]\r\n}',
    b'\xef\xbb\xbf{\n    "A": 1,\n    "B": "\xc3\xa9"\n}\n',
    b'{"A":1,"B":2}',
])
def test_render_like_keeps_the_files_formatting(original):
    data = json.loads(original.decode("utf-8-sig"))
    assert render_like(original, data) == original


@pytest.mark.parametrize("version,name", REAL_FILES)
def test_kubernetes_round_trip_changes_only_its_line(tmp_path, version, name):
    path = place(tmp_path, version, name)
    original = path.read_bytes()
    settings = DesktopSettings.load(path)
    key = settings.fmt.key("KubernetesEnabled")
    start = settings.kubernetes_enabled
    there = settings.with_kubernetes(not start)
    path.write_bytes(there)
    flipped = DesktopSettings.load(path)
    assert flipped.kubernetes_enabled is (not start) and flipped.store is settings.store
    assert keys_other_than(json.loads(there), key) == keys_other_than(json.loads(original), key)
    back = flipped.with_kubernetes(start)
    if key in json.loads(original):
        assert back == original  # byte for byte: the same line back, a locked object's shape kept
        changed = [(a, b) for a, b in zip(original.decode().splitlines(), there.decode().splitlines()) if a != b]
        assert len(changed) == 1 and ("true" in changed[0][0]) != ("true" in changed[0][1])
    else:
        assert json.loads(back)[key] is start


def test_locked_values_are_read_written_in_place_and_refused_when_locked(tmp_path):
    path = place(tmp_path, "locked", "settings-store.json")
    settings = DesktopSettings.load(path)
    assert settings.store is Store.CLASSIC and settings.kubernetes_enabled is True and settings.kubernetes_mode == "kubeadm"
    on = json.loads(settings.with_store(Store.CONTAINERD, now=1_800_000_000))
    assert on["UseContainerdSnapshotter"] == {"value": True, "locked": False}
    assert on["LastContainerdSnapshotterEnable"] == {"value": 1_800_000_000, "locked": False}
    assert on["AnalyticsEnabled"] == {"value": True, "locked": True}  # another locked value, kept as it was
    data = json.loads(path.read_text())
    data["UseContainerdSnapshotter"]["locked"] = True
    data["KubernetesEnabled"]["locked"] = True
    path.write_text(json.dumps(data, indent=2) + "\n")
    locked = DesktopSettings.load(path)
    with pytest.raises(ConfigError, match="the image store is locked by your administrator"):
        locked.with_store(Store.CONTAINERD)
    with pytest.raises(ConfigError, match="Kubernetes is locked by your administrator"):
        locked.with_kubernetes(False)
    assert locked.with_store(Store.CLASSIC) == path.read_bytes()  # what it already asks for is no change


def test_kubernetes_key_that_is_not_a_bool_is_refused(tmp_path):
    directory = tmp_path / "desktop"
    directory.mkdir()
    (directory / "settings-store.json").write_text('{"KubernetesEnabled": "yes"}\n')
    with pytest.raises(ConfigError, match="'KubernetesEnabled' must be true or false"):
        DesktopSettings.load(directory / "settings-store.json").kubernetes_enabled


def test_cli_restart_is_used_only_where_docker_desktop_has_it(tmp_path):
    """A stand-in `docker` (test double: no Docker Desktop on CI) answers `docker desktop version`."""
    fake = tmp_path / "docker"
    fake.write_text("#!/bin/sh\n[ \"$1 $2\" = \"desktop version\" ] && exit 0\necho 'docker: unknown command' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    assert DesktopTarget(tmp_path, docker_cli=str(fake)).cli_restart() == (True, "")
    fake.write_text("#!/bin/sh\necho 'docker: unknown command: docker desktop' >&2\nexit 1\n")
    able, why = DesktopTarget(tmp_path, docker_cli=str(fake)).cli_restart()
    assert not able and "4.37" in why and "restart pending" in why
    able, why = DesktopTarget(tmp_path, docker_cli=str(tmp_path / "absent")).cli_restart()
    assert not able and "docker CLI is not available" in why
