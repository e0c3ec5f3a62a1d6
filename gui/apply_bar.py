"""The apply bar: the window's bottom, with the engine's state, the draft's state, Discard and Apply.

Two strips under the pages. The result strip (``applyResultBar``: ``applyResult`` and Dismiss)
says what the last action did, coloured by kind. The bottom bar shows, by turns, the status line
(``engineStatus`` · ``liveStoreLabel`` · ``pendingRestartLabel``) or, while Apply runs, the
progress bar ``applyProgress`` naming each step; then ``draftStateLabel``, ``discardButton`` and
``applyRestartButton`` (its text and accessible name "Apply & restart", or "Apply" when the draft
needs no restart).

Widgets and their words only: whether Apply may run is the settings model's
(:attr:`backend.settings_model.SettingsModel.apply_problem`); the window passes it in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QStackedWidget, QWidget

from gui import theme
from gui.widgets import ElidedLabel, StatusDot

if TYPE_CHECKING:
    from gui.draft import SettingsDraft
    from gui.status_text import EngineSummary

SWITCH_STEPS = ("plan", "validate", "save", "stop", "start", "verify", "done")
RESULT_COLORS = {"success": ("#E7F5EC", "#B7E0C4", "#0F5C2E"), "error": theme.SEVERITY_COLORS["blocker"],
                 "info": theme.SEVERITY_COLORS["info"]}


class ApplyBar:
    """The result strip and the bottom bar, built into the window's root layout."""

    def __init__(self, root_layout) -> None:
        self.result_bar = QFrame()
        self.result_bar.setObjectName("applyResultBar")
        bar = QHBoxLayout(self.result_bar)
        bar.setContentsMargins(16, 10, 16, 10)
        self.result = QLabel()
        self.result.setObjectName("applyResult")
        self.result.setAccessibleName("Result of Apply")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bar.addWidget(self.result, 1)
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.setObjectName("dismissResultButton")
        self.dismiss.setAccessibleName("Dismiss the result")
        self.dismiss.setProperty("role", "link")
        self.dismiss.clicked.connect(lambda: self.result_bar.setVisible(False))
        bar.addWidget(self.dismiss, 0, Qt.AlignmentFlag.AlignTop)
        self.result_bar.setVisible(False)
        root_layout.addWidget(self.result_bar)

        bottom = QFrame()
        bottom.setObjectName("bottomBar")
        row = QHBoxLayout(bottom)
        row.setContentsMargins(18, 10, 18, 10)
        row.setSpacing(10)
        self.status_stack = QStackedWidget()
        self.status_stack.addWidget(self._status_row())
        self.progress = QProgressBar()
        self.progress.setObjectName("applyProgress")
        self.progress.setAccessibleName("Apply progress")
        self.progress.setRange(0, len(SWITCH_STEPS))
        self.progress.setValue(0)
        self.progress.setFormat("")
        self.status_stack.addWidget(self.progress)
        row.addWidget(self.status_stack, 1)
        self.draft_state = ElidedLabel()
        self.draft_state.setObjectName("draftStateLabel")
        self.draft_state.setAccessibleName("Pending changes")
        self.draft_state.setMaximumWidth(420)
        row.addWidget(self.draft_state)
        self.discard = QPushButton("Discard")
        self.discard.setObjectName("discardButton")
        self.discard.setAccessibleName("Discard")
        self.discard.setAccessibleDescription("Drop every change that has not been applied")
        row.addWidget(self.discard)
        self.apply = QPushButton("Apply && restart")
        self.apply.setObjectName("applyRestartButton")
        self.apply.setAccessibleName("Apply & restart")
        self.apply.setProperty("role", "primary")
        self.apply.setDefault(False)
        row.addWidget(self.apply)
        root_layout.addWidget(bottom)

    def _status_row(self) -> QWidget:
        status_row = QWidget()
        srow = QHBoxLayout(status_row)
        srow.setContentsMargins(0, 0, 0, 0)
        srow.setSpacing(8)
        self.dot = StatusDot()
        srow.addWidget(self.dot)
        self.engine_status = ElidedLabel()
        self.engine_status.setObjectName("engineStatus")
        self.engine_status.setAccessibleName("Engine state")
        srow.addWidget(self.engine_status)
        self.sep1 = QLabel("·")
        srow.addWidget(self.sep1)
        self.live_store = ElidedLabel()
        self.live_store.setObjectName("liveStoreLabel")
        self.live_store.setAccessibleName("Live image store")
        srow.addWidget(self.live_store)
        self.sep2 = QLabel("·")
        srow.addWidget(self.sep2)
        self.pending = QLabel()
        self.pending.setObjectName("pendingRestartLabel")
        self.pending.setAccessibleName("Restart pending")
        srow.addWidget(self.pending)
        srow.addStretch(1)
        return status_row

    # --- what it shows ------------------------------------------------------------------
    def show_result(self, kind: str, rich_text: str) -> None:
        """The result strip: *kind* is "success", "error" or "info"."""
        bg, border, fg = RESULT_COLORS[kind]
        self.result_bar.setStyleSheet(f"#applyResultBar {{ background: {bg}; border-top: 1px solid {border}; }}"
                                      f" #applyResult {{ color: {fg}; }}")
        self.result.setProperty("resultKind", kind)
        self.result.setText(rich_text)
        self.result.setAccessibleDescription(rich_text)
        self.result_bar.setVisible(True)

    def show_summary(self, summary: EngineSummary) -> None:
        """The status line: engine · live store · restart pending."""
        self.dot.set_color(summary.color)
        self.engine_status.setText(summary.engine)
        self.live_store.setText(summary.store)
        self.pending.setText(summary.pending)
        self.pending.setVisible(bool(summary.pending))
        self.sep1.setVisible(bool(summary.store))
        self.live_store.setVisible(bool(summary.store))
        self.sep2.setVisible(bool(summary.pending))
        self.engine_status.setAccessibleDescription(summary.line)
        self.live_store.setAccessibleDescription(summary.store)

    def start_progress(self) -> None:
        """Apply began: the progress bar replaces the status line, the last result goes."""
        self.progress.setValue(0)
        self.progress.setFormat("Applying…")
        self.status_stack.setCurrentWidget(self.progress)
        self.result_bar.setVisible(False)

    def show_step(self, step: str, sentence: str) -> None:
        if step in SWITCH_STEPS:
            self.progress.setValue(SWITCH_STEPS.index(step) + 1)
        self.progress.setFormat(sentence.replace("%", "%%"))
        self.progress.setAccessibleDescription(sentence)

    def end_progress(self) -> None:
        self.status_stack.setCurrentIndex(0)

    def show_draft(self, draft: SettingsDraft, config_name: str, ready: bool, busy: bool) -> None:
        """Discard, Apply and the draft's line for *draft* (*busy*: a switch or restart runs)."""
        problem = draft.blocker
        self.apply.setEnabled(ready and draft.dirty and draft.apply_problem is None and not busy)
        self.discard.setEnabled(draft.dirty and not busy)
        restart = draft.needs_restart or (draft.daemon_changed and problem is not None)
        label = "Apply & restart" if restart or not draft.dirty else "Apply"
        self.apply.setText(label.replace("&", "&&"))
        self.apply.setAccessibleName(label)
        if problem is not None:
            text = f"{config_name}: {problem}"
            self.apply.setToolTip(f"Fix {config_name} first: {problem}")
        elif draft.dirty and not ready:
            text = "Unsaved changes · checking the engine…"
            self.apply.setToolTip("Available once the engine has been checked")
        elif draft.dirty:
            text = "Unsaved changes" + ("" if draft.needs_restart else " · no restart needed")
            self.apply.setToolTip("Write the changes" + (" and restart the engine" if draft.needs_restart else "") + " (Ctrl+Enter)")
        else:
            text = ""
            self.apply.setToolTip("Nothing to apply")
        self.draft_state.setText(text)
        style = f"color: {theme.BAD};" if problem is not None else ""
        if self.draft_state.styleSheet() != style:
            self.draft_state.setStyleSheet(style)
        self.draft_state.setAccessibleDescription(text)
