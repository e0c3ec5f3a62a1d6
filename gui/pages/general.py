"""General: which engine storeswitch manages, how to reach it, and where every file lives.

The target is chosen here (:class:`gui.target_choice.TargetChoice`, ``targetChoice``), with
every target's availability on this machine. It is also where the window says plainly what is
missing (no dockerd, no root, engine stopped) and how to get it, with a button to start the
managed engine when that is all it takes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal

from backend.profile import Profile
from backend.targets.base import Target
from gui.status_text import EngineSummary, store_name
from gui.target_choice import TargetChoice
from gui.widgets import Notice, SettingsPage, ValueForm, button, button_row, label

if TYPE_CHECKING:
    from backend.status import Status

RESTART_TO_APPLY_TIP = ("Restart the engine on the store its configuration names, as a switch does "
                        "(validated, journaled, rolled back if the engine refuses)")


class GeneralPage(SettingsPage):
    startEngineRequested = Signal()
    """The user asked to start the managed engine."""
    restartToApplyRequested = Signal()
    """The user asked to restart the engine on the store its config names ("restart pending")."""

    def __init__(self, target: Target, profile: Profile, choice: str = "auto") -> None:
        super().__init__("generalPage", "General", "Which Docker Engine storeswitch manages and where its files are.")
        self.notice = Notice("info", name="engineNotice")
        self.notice.setVisible(False)
        self.add(self.notice)
        self.start_button = button("Start engine", "startEngineButton", "Start engine",
                                   "Start the managed dockerd (the same as `storeswitch engine start`)")
        self.start_button.clicked.connect(self.startEngineRequested)
        self.restart_to_apply = button("Restart to apply", "restartToApplyButton", "Restart to apply",
                                       RESTART_TO_APPLY_TIP)
        self.restart_to_apply.setProperty("role", "primary")
        self.restart_to_apply.clicked.connect(self.restartToApplyRequested)
        self.actions = button_row(self.start_button, self.restart_to_apply)
        self.actions.setVisible(False)
        self.add(self.actions)

        self.add_section("Engine")
        self.target_choice = TargetChoice(choice)
        self.add(self.target_choice)
        self.engine = ValueForm(
            [("address", "Engine address"), ("version", "Engine version"),
             ("dockerd", "dockerd"), ("config", "Configuration file"), ("configured", "Configured store"),
             ("live", "Live store")],
            prefix="general",
        )
        self.add(self.engine)
        self.set_target(target)

        self.add_section("storeswitch's files")
        self.files = ValueForm(
            [("settings", "Settings"), ("configDir", "Config"), ("dataDir", "Data"), ("stateDir", "State"),
             ("logDir", "Logs"), ("runDir", "Runtime")],
            prefix="profile",
        )
        self.files.set("settings", str(profile.settings_path))
        self.files.set("configDir", str(profile.config_dir))
        self.files.set("dataDir", str(profile.data_dir))
        self.files.set("stateDir", str(profile.state_dir))
        self.files.set("logDir", str(profile.log_dir))
        self.files.set("runDir", str(profile.run_dir))
        self.add(self.files)
        origin = "set by --profile / STORESWITCH_PROFILE" if profile.explicit else "your user's standard folders"
        self.files_note = self.add(label(f"Location: {origin}.", "help"))
        self.finish()

    def set_target(self, target: Target, detecting: bool = False) -> None:
        """Show *target* (at start, and after the user chose another one)."""
        if detecting:
            self.target_choice.reason.setText("Finding the engine: Docker Desktop, a system or rootless engine, else the managed one…")
        else:
            self.target_choice.set_target(target)
        self.engine.set("address", "…" if detecting else target.host)
        self.engine.set("config", "…" if detecting else str(target.config_path))
        for key in ("version", "dockerd", "configured", "live"):
            self.engine.set(key, "checking…")
        self.notice.setVisible(False)
        self.actions.setVisible(False)

    def show_status(self, status: Status, summary: EngineSummary) -> None:
        e = status.engine
        if e.reachable:
            self.engine.set("version", f"Docker {e.version} (API {e.api_version})")
        else:
            self.engine.set("version", "not running" if e.installed else "not installed")
        self.engine.set("dockerd", e.install_message if e.installed else "not found")
        self.engine.set("configured", store_name(status.configured_store) if not status.config_error else "unreadable")
        self.engine.set("live", e.store_phrase if e.reachable else "—")
        if summary.problem:
            self.notice.set_kind(summary.problem_kind)
            self.notice.set_text(f"<b>{summary.problem_title}</b><br>{summary.problem}")
            self.notice.setAccessibleName(summary.problem_title)
        self.notice.setVisible(bool(summary.problem))
        self.start_button.setVisible(summary.can_start)
        self.restart_to_apply.setVisible(summary.can_restart_to_apply)
        self.actions.setVisible(summary.can_start or summary.can_restart_to_apply)

    def set_restart_to_apply_lock(self, reason: str) -> None:
        """Disable "Restart to apply" while *reason* holds (pending edits, a switch running); "" enables it."""
        self.restart_to_apply.setEnabled(not reason)
        self.restart_to_apply.setToolTip(reason or RESTART_TO_APPLY_TIP)

    def set_starting(self, starting: bool) -> None:
        self.start_button.setEnabled(not starting)
        self.start_button.setText("Starting…" if starting else "Start engine")

