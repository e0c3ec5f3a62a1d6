"""Docker Desktop's own Kubernetes setting decides the known issues on the desktop target.

No Docker Desktop and no engine run here: its settings file is placed in a temporary folder
(STORESWITCH_DESKTOP_DIR) in the shapes users publish (tests/unit/fixtures/desktop), and its engine
socket is a path with nothing behind it, which is what a stopped Docker Desktop looks like.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from backend.cli import EXIT_BLOCKED, main
from backend.diagnostics import describe_report, gather_report
from backend.settings import Settings
from backend.targets.desktop import DesktopTarget

FIXTURES = Path(__file__).parent / "fixtures" / "desktop"
KUBERNETES_ON = [("4.45-kind", "settings-store.json"), ("4.34-kubernetes", "settings.json"), ("locked", "settings-store.json")]


@pytest.fixture
def desk(tmp_path, monkeypatch, profile):
    folder = tmp_path / "desktop"
    folder.mkdir()
    monkeypatch.setenv("STORESWITCH_DESKTOP_DIR", str(folder))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))  # no `kind`, no `docker`: facts from the file alone
    return folder


def place(folder: Path, fixture: str, name: str) -> Path:
    shutil.copyfile(FIXTURES / fixture / name, folder / name)
    return folder / name


def known_issues(capsys, *extra):
    code = main(["--target", "desktop", "known-issues", "--json", "--store", "containerd", *extra])
    data = json.loads(capsys.readouterr().out)
    return code, data, {i["id"]: i for i in data["known_issues"]}


@pytest.mark.parametrize("fixture,name", KUBERNETES_ON)
def test_desktops_kubernetes_makes_the_blocker_apply_and_switch_refuse(capsys, desk, profile, fixture, name):
    path = place(desk, fixture, name)
    before = path.read_bytes()
    assert not Settings.load(profile.settings_path).kubernetes_enabled  # storeswitch's own setting is off
    code, data, by_id = known_issues(capsys)
    assert code == 0
    assert by_id["kubernetes-incompatible"]["applies"] == "yes"
    assert by_id["kubernetes-incompatible"]["facts_used"] == {"store_after": "containerd", "kubernetes_enabled": True}
    code = main(["--target", "desktop", "switch", "containerd"])
    err = capsys.readouterr().err
    assert code == EXIT_BLOCKED == 4
    assert "kubernetes-incompatible" in err and "--force" in err
    assert path.read_bytes() == before  # untouched


def test_desktops_kubernetes_off_is_not_overridden_by_storeswitchs_own(capsys, desk, profile):
    path = place(desk, "4.45", "settings-store.json")  # no KubernetesEnabled: Docker Desktop's default, off
    Settings(profile.settings_path, {"kubernetes_enabled": True}).save()
    _, data, by_id = known_issues(capsys, "--all")
    assert by_id["kubernetes-incompatible"]["applies"] == "no"
    assert data["facts"]["kubernetes_enabled"] is False and data["facts"]["kubernetes_mode"] is None
    assert path.exists()


def test_kind_mode_makes_the_kind_issue_apply_with_its_workaround(capsys, desk):
    place(desk, "4.45-kind", "settings-store.json")
    _, data, by_id = known_issues(capsys)
    kind = by_id["kind-load-image-fails"]
    assert kind["applies"] == "yes" and data["facts"]["kubernetes_mode"] == "kind"
    assert "kind load image-archive" in kind["workaround"] and "docker save --platform" in kind["workaround"]
    assert kind["link"] == "https://github.com/kubernetes-sigs/kind/issues/3795"


def test_kind_on_path_counts_on_other_targets(capsys, tmp_path, monkeypatch, profile):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kind").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "kind").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    main(["--target", "managed", "known-issues", "--json", "--store", "containerd"])
    data = json.loads(capsys.readouterr().out)
    assert data["facts"]["kind_in_use"] is True
    assert {i["id"]: i["applies"] for i in data["known_issues"]}["kind-load-image-fails"] == "yes"
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    main(["--target", "managed", "known-issues", "--json", "--store", "containerd", "--all"])
    data = json.loads(capsys.readouterr().out)
    assert {i["id"]: i["applies"] for i in data["known_issues"]}["kind-load-image-fails"] == "no"


def test_diagnose_with_desktop_stopped_gives_no_host_figures_for_its_stores(desk, profile, tmp_path):
    place(desk, "4.45-kind", "settings-store.json")
    target = DesktopTarget(desk, host=f"unix://{tmp_path}/none.sock")
    report = gather_report(target, profile, known_issues=False)
    for store in report["stores"].values():
        assert store["readable"] is False and store["bytes"] is None and store["roots"] == [] and store["image_count"] == 0
        assert "inside Docker Desktop's VM" in store["notes"][0]
    text = "\n".join(describe_report(report))
    assert "classic store:     configured; inside Docker Desktop's VM, whose engine does not answer" in text
    assert "on disk" not in text and "roots:" not in text
    assert len(report["disk"]) == 1 and str(profile.data_dir).startswith(report["disk"][0]["path"])  # storeswitch's own files only
