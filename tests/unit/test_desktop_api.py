"""Docker Desktop's settings API, both protocols, and the fall back to the settings file.

Docker Desktop cannot run on these machines (Linux CI without a VM), so its backend is a
stand-in server on a real unix socket (tests/desktop_standin.py, a test double) that answers the
two protocols the way the public client that uses them (Tilt's ctlptl) expects: protocol 2 on
backend.sock (/app/settings, ``{"value", "locked"}`` objects sent back), protocol 1 on
backend.native.sock or gui-api.sock (/settings, values only). It refuses a POST in the wrong shape
for its protocol, so a client that mixed them up would fail here.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from backend.errors import ConfigError
from backend.kubernetes_setting import DesktopKubernetesSetting, OwnKubernetesSetting, kubernetes_setting
from backend.stores import Store
from backend.targets.desktop import DesktopTarget
from backend.targets.desktop_api import (
    KUBERNETES_SETTING,
    STORE_SETTING,
    DesktopSettingsAPI,
    SettingLocked,
    SettingsAPIError,
    for_writing,
    socket_dir,
)
from tests.desktop_standin import StandInDesktop

FIXTURES = Path(__file__).parent / "fixtures" / "desktop"


@pytest.fixture
def desk():
    """A short directory (unix socket paths are limited to 108 bytes) with a Desktop settings file."""
    directory = Path(tempfile.mkdtemp(prefix="ssd-", dir="/tmp"))
    shutil.copyfile(FIXTURES / "4.45-kind" / "settings-store.json", directory / "settings-store.json")
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def file_data(directory: Path) -> dict:
    return json.loads((directory / "settings-store.json").read_text())


@pytest.mark.parametrize("protocol,socket_name", [(2, "backend.sock"), (1, "backend.native.sock"), (1, "gui-api.sock")])
def test_kubernetes_is_changed_through_the_api_in_the_protocols_shape(desk, protocol, socket_name):
    with StandInDesktop(desk, protocol, desk / "settings-store.json", socket_name=socket_name) as server:
        saved = DesktopKubernetesSetting(DesktopTarget(desk)).save(False)
        assert saved.channel == "settings API" and not saved.restart_pending
        assert socket_name in saved.message and "applies it itself" in saved.message
        (body,) = server.posts
        enabled = body["vm"]["kubernetes"]["enabled"]
        if protocol == 2:
            assert enabled == {"value": False, "locked": False}  # the whole object goes back
            assert body["vm"]["daemon"]["value"].startswith("{")
            assert [r[1] for r in server.requests] == ["/app/settings?format=grouped", "/app/settings"]
        else:
            assert enabled is False  # values only
            assert body["vm"]["daemon"].startswith("{")  # {"locks", "json"} -> its json
            assert "dns" not in body["vm"]["network"]  # a {"locked"} alone is dropped
            assert [r[1] for r in server.requests] == ["/settings", "/settings"]
        assert server.requests[-1][2]["Content-Type"] == "application/json"
        assert body["vm"]["resources"]["cpus"] == {"value": 4, "min": 1, "max": 8}  # no "locked": kept whole in both
    assert file_data(desk)["KubernetesEnabled"] is False  # Docker Desktop wrote its own file


def test_the_newer_protocol_is_preferred_when_both_answer(desk):
    with StandInDesktop(desk, 1, desk / "settings-store.json") as old, StandInDesktop(desk, 2, desk / "settings-store.json") as new:
        endpoint = DesktopSettingsAPI.here(desk).set(KUBERNETES_SETTING, False)
        assert endpoint.protocol == 2 and new.posts and not old.requests


def test_an_unchanged_value_is_not_posted(desk):
    with StandInDesktop(desk, 2, desk / "settings-store.json") as server:
        DesktopSettingsAPI.here(desk).set(KUBERNETES_SETTING, True)
        assert server.posts == []


@pytest.mark.parametrize("refusal", [{"refuse_post": 503}, {"refuse_get": 500}])
def test_a_refusal_falls_back_to_the_file_and_says_restart_pending(desk, refusal):
    before = file_data(desk)
    with StandInDesktop(desk, 2, desk / "settings-store.json", **refusal):
        saved = DesktopKubernetesSetting(DesktopTarget(desk)).save(False)
    assert saved.channel == "file" and saved.restart_pending
    assert "restart pending" in saved.message and "refused" in saved.message
    after = file_data(desk)
    assert after["KubernetesEnabled"] is False
    assert {k: v for k, v in after.items() if k != "KubernetesEnabled"} == {k: v for k, v in before.items() if k != "KubernetesEnabled"}


def test_a_missing_socket_falls_back_to_the_file(desk):
    saved = DesktopKubernetesSetting(DesktopTarget(desk)).save(False)
    assert saved.channel == "file" and f"no socket at {desk / 'backend.sock'}" in saved.message
    assert file_data(desk)["KubernetesEnabled"] is False
    with pytest.raises(SettingsAPIError, match="not available"):
        DesktopSettingsAPI.here(desk).read()


def test_a_locked_setting_is_refused_and_nothing_is_written(desk):
    before = (desk / "settings-store.json").read_bytes()
    with StandInDesktop(desk, 2, desk / "settings-store.json", k8s_locked=True) as server:
        with pytest.raises(SettingLocked):
            DesktopSettingsAPI.here(desk).set(KUBERNETES_SETTING, False)
        with pytest.raises(ConfigError, match="locked by your administrator"):
            DesktopKubernetesSetting(DesktopTarget(desk)).save(False)
        assert server.posts == []
    assert (desk / "settings-store.json").read_bytes() == before


def test_the_store_goes_through_the_api_when_it_answers(desk):
    target = DesktopTarget(desk)
    with StandInDesktop(desk, 2, desk / "settings-store.json") as server:
        config = target.read_config()
        assert config.store is Store.CLASSIC
        config.write(config.with_store(Store.CONTAINERD))
        assert server.posts[0]["desktop"]["useContainerdSnapshotter"] is True
    assert "backend.sock" in target.last_channel and "applies it itself" in target.last_channel
    assert file_data(desk)["UseContainerdSnapshotter"] is True


def test_the_store_goes_into_the_file_when_the_api_refuses(desk):
    target = DesktopTarget(desk)
    with StandInDesktop(desk, 2, desk / "settings-store.json", refuse_post=503):
        config = target.read_config()
        config.write(config.with_store(Store.CONTAINERD))
    assert target.last_channel.startswith("settings-store.json (Docker Desktop reads it when it restarts)")
    assert "503" in target.last_channel
    assert file_data(desk)["UseContainerdSnapshotter"] is True


def test_other_edits_go_into_the_file_not_the_api(desk):
    """The API takes settings it knows; an edit of other keys (the GUI's editor) is written as the user made it."""
    target = DesktopTarget(desk)
    with StandInDesktop(desk, 2, desk / "settings-store.json") as server:
        config = target.read_config()
        text = config.with_store(Store.CONTAINERD).replace(b'"Cpus": 8', b'"Cpus": 6')
        config.write(text)
        assert server.posts == []
    assert (desk / "settings-store.json").read_bytes() == text


def test_for_writing_follows_each_protocol():
    doc = {"a": {"value": 1, "locked": True}, "b": {"locked": False}, "c": {"locks": [], "json": "{}"}, "d": 2}
    assert for_writing(doc, 2) == {"a": {"value": 1, "locked": True}, "c": "{}", "d": 2}
    assert for_writing(doc, 1) == {"a": 1, "c": "{}", "d": 2}


def test_socket_places_per_os():
    assert socket_dir("linux", {"HOME": "/home/zoe"}) == Path("/home/zoe/.docker/desktop")
    assert socket_dir("darwin", {"HOME": "/Users/zoe"}) == Path("/Users/zoe/Library/Containers/com.docker.docker/Data")
    assert socket_dir("win32", {"HOME": "C:/Users/zoe"}) is None
    with pytest.raises(SettingsAPIError, match="named pipe"):
        DesktopSettingsAPI([]).read()


def test_other_targets_keep_storeswitchs_own_setting(tmp_path):
    class Managed:
        name = "managed"

    setting = kubernetes_setting(Managed(), tmp_path / "settings.json")
    assert isinstance(setting, OwnKubernetesSetting)
    assert "storeswitch's own setting (no engine reads it)" in setting.load().where
    assert setting.save(True).channel == "storeswitch settings"
    assert setting.load().enabled is True
    assert STORE_SETTING == ("desktop", "useContainerdSnapshotter")


def test_status_says_which_way_changes_go(desk, capsys, monkeypatch, tmp_path):
    from backend.cli import main

    monkeypatch.setenv("STORESWITCH_DESKTOP_DIR", str(desk))
    argv = ["--profile", str(tmp_path / "p"), "--target", "desktop", "status", "--json"]
    main(argv)
    desktop = json.loads(capsys.readouterr().out)["desktop"]
    assert desktop["settings_api"] is False and "no socket at" in desktop["settings_api_reason"]
    assert desktop["changes_go_to"].startswith("settings-store.json: Docker Desktop applies them when it restarts")
    assert (desktop["kubernetes_enabled"], desktop["kubernetes_mode"]) == (True, "kind")
    with StandInDesktop(desk, 1, desk / "settings-store.json"):
        main(argv)
        desktop = json.loads(capsys.readouterr().out)["desktop"]
    assert desktop["settings_api"] is True
    assert desktop["changes_go_to"] == "Docker Desktop's settings API (backend.native.sock, /settings): Docker Desktop applies them itself"


def test_switch_output_names_the_way_it_went(desk, capsys, monkeypatch, tmp_path):
    from backend.cli import main

    monkeypatch.setenv("STORESWITCH_DESKTOP_DIR", str(desk))
    code = main(["--profile", str(tmp_path / "p"), "--target", "desktop", "switch", "classic", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["outcome"] == "unchanged" and out["settings_channel"] is None  # nothing written
    data = file_data(desk)
    data["UseContainerdSnapshotter"], data["KubernetesEnabled"] = True, False
    (desk / "settings-store.json").write_text(json.dumps(data, indent=2) + "\n")
    code = main(["--profile", str(tmp_path / "p"), "--target", "desktop", "switch", "classic", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["outcome"] == "saved"
    assert out["settings_channel"].startswith("settings-store.json (Docker Desktop reads it when it restarts)")


def test_the_file_fallback_is_a_journaled_no_restart_write(desk, tmp_path):
    """With a profile (the window's save), the write of Desktop's file goes through SwitchTransaction:
    the history records it, the journal is gone, every other key is kept."""
    from backend.journal import SwitchHistory
    from backend.profile import Profile

    profile = Profile.from_dir(tmp_path / "p")
    before = file_data(desk)
    saved = DesktopKubernetesSetting(DesktopTarget(desk), profile).save(False)
    assert saved.channel == "file" and saved.restart_pending
    after = file_data(desk)
    assert after["KubernetesEnabled"] is False
    assert {k: v for k, v in after.items() if k != "KubernetesEnabled"} == {k: v for k, v in before.items() if k != "KubernetesEnabled"}
    last = SwitchHistory.load(profile.history_path).as_list()[-1]
    assert (last["outcome"], last["target"]) == ("saved", "desktop") and "Kubernetes turned off" in last["message"]
    assert not profile.journal_path.exists()
