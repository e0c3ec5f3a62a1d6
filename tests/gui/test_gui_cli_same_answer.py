"""The window and the CLI give the same answer for the same input: they call one gate.

One parametrised test drives both front ends with the same daemon.json and the same settings:
``storeswitch switch containerd [--force]`` and the window (tick the box, Apply, the confirmation
answered as ``--force`` would be). A daemon.json error is worded the same (the editor's status line
is in the CLI's message); a blocker known issue refuses both unless forced, and both then leave the
file as it was; forced, both write it. No engine runs: the managed engine is not installed, so
the switch saves the choice (as ``switch`` does without an engine).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from backend import cli
from backend.profile import Profile
from backend.settings import Settings

TRAILING = '{\n  "debug": true,\n}\n'
NOT_BOOLEAN = '{"features": {"containerd-snapshotter": "true"}}\n'
PLAIN = '{"debug": true}\n'


@pytest.fixture
def no_engine(tmp_path, monkeypatch) -> Profile:
    """No dockerd anywhere: the managed engine is not installed (a switch saves the choice)."""
    empty, bin_dir = tmp_path / "engine-cache", tmp_path / "bin"
    empty.mkdir()
    bin_dir.mkdir()
    monkeypatch.setenv("STORESWITCH_ENGINE_DIR", str(empty))
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("STORESWITCH_DOCKERD", raising=False)
    return Profile.from_dir(tmp_path / "profile")


def cli_answer(profile: Profile, capsys, force: bool) -> tuple[bool, str]:
    """(refused, message) of ``storeswitch switch containerd``."""
    argv = ["--profile", str(profile.config_dir.parent), "--target", "managed", "switch", "containerd"]
    code = cli.main(argv + (["--force"] if force else []))
    err = capsys.readouterr().err
    return code != 0, err


def gui_answer(profile: Profile, make_window, monkeypatch, qtbot, force: bool) -> tuple[bool, str]:
    """(refused, message) of the window: its daemon.json line, or what Apply did."""
    w = make_window("--profile", str(profile.config_dir.parent), "--target", "managed")
    if w.draft.saved_problem is not None or w.draft.problem is not None:
        return True, w.findChild(QWidget, "daemonJsonStatus").text()
    w.findChild(QWidget, "useContainerdCheckbox").setChecked(True)
    asked_list = []

    def ask(_parent, confirmation):  # the CLI asks nothing; only "Switch anyway" is its --force
        asked_list.append(confirmation)
        return force if confirmation.needs_switch_anyway else True

    monkeypatch.setattr("gui.confirm.ask", ask)
    before = profile.managed_config_path.read_bytes()
    applied = []
    w.applyFinished.connect(lambda ok, message: applied.append((ok, message)))
    w.apply_changes()
    if applied or w.tasks.applying:
        qtbot.waitUntil(lambda: bool(applied), timeout=30_000)
    asked = asked_list[-1] if asked_list else None
    refused = asked is not None and asked.needs_switch_anyway and not force
    changed = profile.managed_config_path.read_bytes() != before
    assert changed is not refused  # refused: nothing written; accepted: the file changed
    return refused, (asked.refusal if asked is not None else "")


@pytest.mark.parametrize(("config", "kubernetes", "force", "refused", "words"), [
    (TRAILING, False, False, True, "line 2, column 16: a trailing comma"),
    (NOT_BOOLEAN, False, False, True, "'features'.'containerd-snapshotter' must be true or false"),
    (PLAIN, True, False, True, "kubernetes-incompatible"),  # a blocker: refused without --force
    (PLAIN, True, True, False, ""),  # forced: both switch
    (PLAIN, False, False, False, ""),  # nothing blocks
], ids=["trailing-comma", "not-boolean", "blocker", "blocker-forced", "no-blocker"])
def test_the_window_and_the_cli_answer_alike(no_engine, capsys, make_window, monkeypatch, qtbot,
                                             config, kubernetes, force, refused, words):
    profile = no_engine
    profile.managed_config_path.parent.mkdir(parents=True, exist_ok=True)
    if kubernetes:
        Settings(profile.settings_path, {"kubernetes_enabled": True}).save()

    profile.managed_config_path.write_text(config)
    gui_refused, gui_words = gui_answer(profile, make_window, monkeypatch, qtbot, force)
    profile.managed_config_path.write_text(config)
    cli_refused, cli_words = cli_answer(profile, capsys, force)

    assert gui_refused is cli_refused is refused
    assert words in gui_words and words in cli_words
    if refused:
        assert Path(profile.managed_config_path).read_text() == config
