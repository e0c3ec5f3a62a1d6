"""Troubleshoot: the engine's state, what support staff ask for, and the actions that fix things.

Laid out like Docker Desktop's Troubleshoot: the engine's state first, then actions as rows
(title, what it does, a button, and the last result under it): **Restart the engine**
(``restartEngineButton``), **Verify the image store** (``verifyStoreButton``: store and remove a
tiny image, by use not by label), **Export a support bundle** (``exportBundleButton``). Then the
diagnostics report (``diagnosticsView``, read-only, with ``copyDiagnosticsButton``), the last
switch and the engine log.

The page only shows and asks: the work runs off the GUI thread in :mod:`gui.diagnostics_panel`
(report, bundle, verify) and :class:`gui.tasks.BackendTasks` (restart), which call the setters here.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from gui import theme
from gui.status_text import EngineSummary, store_name
from gui.task_results import StatusReport
from gui.widgets import ActionRow, SettingsPage, ValueForm, button, button_row, escape, label, result_html

# The history's outcomes in words (backend.journal.HistoryEntry.outcome)
OUTCOME_WORDS = {
    "switched": "switched",
    "saved": "saved; takes effect at the next engine start",
    "refused": "refused; nothing was changed",
    "rolled-back": "rolled back to the previous store",
    "recovered": "finished by recovery after an interruption",
}
REPORT_PLACEHOLDER = "The report is gathered when you open this page."
REPORT_MIN_LINES, REPORT_MAX_LINES = 12, 36


class TroubleshootPage(SettingsPage):
    refreshRequested = Signal()
    """The user asked to check the engine again."""
    restartRequested = Signal()
    """The user asked to restart the engine."""
    verifyRequested = Signal()
    """The user asked to verify the live store by use."""
    exportRequested = Signal()
    """The user asked to export a support bundle."""
    copyRequested = Signal()
    """The user asked to copy the diagnostics report."""
    reportRequested = Signal()
    """The user asked to gather the diagnostics report again."""

    def __init__(self) -> None:
        super().__init__("troubleshootPage", "Troubleshoot",
                         "The engine's state, the actions that help when something is wrong, and a report for support.")
        self.add_section("Engine", name="troubleshootEngineHeader")
        self.state = ValueForm(
            [("state", "State"), ("address", "Address"), ("liveStore", "Live store"),
             ("configuredStore", "Configured store"), ("pending", "Restart pending"),
             ("recovered", "Recovery")],
            prefix="troubleshoot",
        )
        for key in self.state.values:
            self.state.set(key, "checking…")
        self.add(self.state)
        self.refresh_button = button("Check again", "refreshStatusButton", "Check the engine again")
        self.refresh_button.clicked.connect(self.refreshRequested)
        self.add(button_row(self.refresh_button))

        self.add_section("Actions")
        self.restart = ActionRow(
            "Restart the engine",
            "Stops and starts the engine with its current configuration. Running containers stop.",
            "Restart engine", "restartEngineButton", "restartEngineResult")
        self.verify = ActionRow(
            "Verify the image store",
            "Stores and removes a tiny image in the live store (no registry needed): proves that the "
            "store and its snapshotter work, not just that the engine names them.",
            "Verify", "verifyStoreButton", "verifyStoreResult", accessible="Verify the image store")
        self.export = ActionRow(
            "Export a support bundle",
            "A zip with the report below, daemon.json, storeswitch's settings and the engine log. "
            "Registry auths, tokens and passwords are removed first.",
            "Export bundle…", "exportBundleButton", "exportBundleResult", accessible="Export a support bundle")
        for action, signal in ((self.restart, self.restartRequested), (self.verify, self.verifyRequested),
                               (self.export, self.exportRequested)):
            action.button.clicked.connect(signal)
            self.add(action)
        self.restart_button, self.verify_button, self.export_button = self.restart.button, self.verify.button, self.export.button

        self.add_section("Diagnostics report")
        self.report_help = label("What support staff ask for, in one place: the target and its config, both "
                                 "stores (the hidden one read from disk), the last switches, the known issues "
                                 "and the host. Secrets are removed.", "help")
        self.add(self.report_help)
        self.copy_button = button("Copy report", "copyDiagnosticsButton", "Copy the diagnostics report",
                                  "Copy the report below to the clipboard, to paste into a support request")
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self.copyRequested)
        self.report_button = button("Refresh report", "refreshDiagnosticsButton", "Gather the diagnostics report again")
        self.report_button.clicked.connect(self.reportRequested)
        self.report_state = label("", "help", name="diagnosticsState")
        self.report_state.setAccessibleName("Diagnostics report state")
        self.add(button_row(self.copy_button, self.report_button, self.report_state, last_stretches=True))
        self.report = _text_view("diagnosticsView", "Diagnostics report", 240, REPORT_PLACEHOLDER)
        self.add(self.report)

        self.add_section("Last switch")
        self.last_switch = label("No switch recorded yet.", name="lastSwitch")
        self.last_switch.setAccessibleName("Last switch")
        self.add(self.last_switch)

        self.add_section("Engine log (last lines)")
        self.log = _text_view("engineLogView", "Engine log", 160, "The engine has not written a log yet.")
        self.add(self.log)
        self.finish()

    def add_section_widget(self, title: str, widget: QWidget) -> None:
        """Append a section (title + widget) after the built-in ones, before the bottom stretch."""
        from gui.widgets import rule

        index = self.body.count() - 1  # before the stretch
        header = label(title, "section")
        for offset, w in enumerate((rule(), header, widget)):
            self.body.insertWidget(index + offset, w)

    # --- the engine's state -------------------------------------------------------------
    def show_report(self, report: StatusReport, summary: EngineSummary) -> None:
        status = report.status
        e = status.engine
        self.state.set("state", summary.engine + (f" — {e.error}" if e.error and e.installed else ""))
        self.state.set("address", e.host)
        self.state.set("liveStore", e.store_phrase if e.reachable else "—")
        self.state.set("configuredStore", store_name(status.configured_store) if not status.config_error else status.config_error)
        self.state.set("pending", "yes: the config and the running engine disagree" if status.pending_restart else "no")
        self.state.set("recovered", report.recovery_error or status.recovered or "nothing to recover")
        last = status.last_switch
        if last:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(last.get("at", 0)))
            self.last_switch.setText(
                f"{when}: {escape(last.get('from_store'))} → {escape(last.get('to_store'))}, "
                f"<b>{escape(OUTCOME_WORDS.get(last.get('outcome'), last.get('outcome')))}</b><br>"
                f"<span style='color:{theme.MUTED}'>{escape(last.get('message', ''))}</span>"
            )
        self.log.setPlainText(report.log_tail)
        self.log.verticalScrollBar().setValue(self.log.verticalScrollBar().maximum())
        self.restart.button.setEnabled(e.installed and not self._busy)
        self.restart.button.setToolTip("" if e.installed else "No engine is installed for this target")

    def set_checking(self, checking: bool) -> None:
        self.refresh_button.setEnabled(not checking)
        self.refresh_button.setText("Checking…" if checking else "Check again")

    _busy = False

    def set_busy(self, busy: bool) -> None:
        """While Apply runs, nothing here may stop, start or probe the engine."""
        self._busy = busy
        for action in (self.restart, self.verify):
            if not action.running:
                action.button.setEnabled(not busy)
        self.refresh_button.setEnabled(not busy)

    # --- the diagnostics report ---------------------------------------------------------
    def report_gathering(self, sentence: str) -> None:
        self.report_button.setEnabled(False)
        self.report_state.setText(result_html("busy", sentence))
        if not self.report.toPlainText():
            self.report.setPlaceholderText(sentence)

    def report_gathered(self, text: str, when: str) -> None:
        self.report_button.setEnabled(True)
        self.copy_button.setEnabled(True)
        scroll = self.report.verticalScrollBar().value()
        self.report.setPlainText(text)
        self._fit_report(text.count("\n") + 1)
        self.report.verticalScrollBar().setValue(scroll)
        self.report.setAccessibleDescription(text)
        self.report_state.setText(result_html("info", f"Gathered at {when}."))

    def _fit_report(self, lines: int) -> None:
        """As tall as the report (a typical one has 20-30 lines), so it reads without an inner scroll bar."""
        metrics = self.report.fontMetrics()
        shown = min(max(lines, REPORT_MIN_LINES), REPORT_MAX_LINES)
        chrome = self.report.horizontalScrollBar().sizeHint().height() + 2 * self.report.frameWidth() + 16
        self.report.setMinimumHeight(shown * metrics.lineSpacing() + chrome)

    def report_failed(self, message: str) -> None:
        self.report_button.setEnabled(True)
        self.report_state.setText(result_html("error", "The report could not be gathered.", message))

    def report_copied(self, lines: int) -> None:
        self.report_state.setText(result_html("ok", f"Copied the report ({lines} lines) to the clipboard."))

    def report_stale(self) -> None:
        """The engine changed since the report was gathered (a switch, a restart)."""
        if self.report.toPlainText():
            self.report_state.setText(result_html("warning", "The engine changed since this report was gathered: "
                                                             "Refresh report for the current state."))

    def clear_report(self) -> None:
        self.report.clear()
        self.report.setPlaceholderText(REPORT_PLACEHOLDER)
        self.copy_button.setEnabled(False)
        self.report_state.setText("")


def _text_view(name: str, accessible: str, min_height: int, placeholder: str) -> QPlainTextEdit:
    """A read-only monospace text to read and copy (the report, the engine log); Tab moves on."""
    view = QPlainTextEdit()
    view.setObjectName(name)
    view.setAccessibleName(accessible)
    view.setReadOnly(True)
    view.setTabChangesFocus(True)
    view.setFont(theme.monospace_font())
    view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    view.setMinimumHeight(min_height)
    view.setPlaceholderText(placeholder)
    return view
