"""Experimental features: the containerd image store checkbox, what switching does, known issues.

Read top to bottom the way the sketch orders it: the beta notice, the checkbox (with room under
it for store options: :meth:`ExperimentalPage.add_store_option`, where :mod:`gui.store_features`
puts the snapshotter choice), what a switch does on *this* machine (:meth:`ExperimentalPage.set_impact`:
both stores' counts and sizes, read off the GUI thread, with a progress line while a big store is
measured), the known issues that apply to the draft (:class:`KnownIssuesList`), and last what the
containerd store enables here: the multi-platform check and the Wasm runtimes.
"""

from __future__ import annotations


from typing import Any, Iterable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QCheckBox, QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from backend.stores import Store
from gui import theme
from gui.draft import SettingsDraft
from gui.fields import CONTAINERD_STORE_DOCS, FEEDBACK_URL, USE_CONTAINERD
from gui.widgets import ActionRow, Notice, SettingsPage, busy_bar, escape, label, link

BETA_TEXT = (
    "<b>The containerd image store is in beta.</b> It is not recommended for production "
    "environments, and its behaviour may change in future releases. "
    + link(FEEDBACK_URL, "Give feedback") + "&nbsp;&nbsp;" + link(CONTAINERD_STORE_DOCS, "Learn more")
)
HIDDEN_NOT_DELETED = (
    "Each store keeps its own images and containers. After a switch, those of the other store "
    "are not visible: they still exist on disk, nothing is deleted or migrated, and switching back "
    "shows them again."
)
SEVERITY_WORDS = {"blocker": "BLOCKER", "warning": "WARNING", "info": "INFO"}
PROGRESS_DELAY_MS = 300  # a store read faster than this never shows the progress line (no flicker)


class IssueCard(QFrame):
    """One known issue: severity badge and title, what the user will see, what to do, a link."""

    def __init__(self, evaluation: Any) -> None:
        super().__init__()
        issue = evaluation.issue
        maybe = evaluation.applies == "maybe"
        self.issue_id = issue.id
        self.severity = issue.severity
        self.applies = evaluation.applies
        self.setObjectName(f"knownIssue-{issue.id}")
        self.setProperty("role", "issueCard")
        bg, border, fg = theme.SEVERITY_COLORS.get("maybe" if maybe else issue.severity, theme.SEVERITY_COLORS["info"])
        self.setStyleSheet(f"QFrame#{self.objectName()} {{ background: {bg}; border: 1px solid {border}; }}"
                           f"QFrame#{self.objectName()}:focus {{ border: 2px solid #8DB0F6; }}")
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        word = SEVERITY_WORDS.get(issue.severity, issue.severity.upper())
        self.setAccessibleName(f"{word.capitalize()}{' (may apply)' if maybe else ''}: {issue.title}")
        symptom = getattr(issue, "symptom", None) or getattr(issue, "summary", "")
        self.setAccessibleDescription(" ".join(filter(None, [symptom, f"What to do: {issue.workaround}" if issue.workaround else ""])))
        box = QVBoxLayout(self)
        box.setContentsMargins(12, 10, 12, 10)
        box.setSpacing(4)
        head = QHBoxLayout()
        head.setSpacing(8)
        badge = QLabel(word + (" · MAY APPLY" if maybe else ""))
        badge.setProperty("role", "badge")
        badge.setStyleSheet(f"background: {fg};")
        badge.setObjectName("severityBadge")
        head.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
        title = label(f"<b>{escape(issue.title)}</b>")
        title.setStyleSheet(f"color: {fg};")
        head.addWidget(title, 1)
        box.addLayout(head)
        if symptom:
            box.addWidget(label(escape(symptom)))
        details = link(issue.link, "Details") if getattr(issue, "link", None) else ""
        if issue.workaround or details:
            what = f"<b>What to do:</b> {escape(issue.workaround)}&nbsp;&nbsp;" if issue.workaround else ""
            todo = label(what + details, name="knownIssueWorkaround")
            todo.setAccessibleName(f"What to do about {issue.title}")
            box.addWidget(todo)
        if maybe:
            box.addWidget(label(f"May apply: {unknown_facts(evaluation)} could not be learned on this machine.", "help"))


class KnownIssuesList(QFrame):
    """The known issues that apply to the draft; one :class:`IssueCard` per issue, worst first."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("knownIssuesList")
        self.setAccessibleName("Known issues that apply")
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.setSpacing(8)
        self.message = label("", "help", name="knownIssuesMessage")
        self.box.addWidget(self.message)
        self.cards: dict[str, IssueCard] = {}

    def _clear(self) -> None:
        for card in self.cards.values():
            card.setParent(None)
            card.deleteLater()
        self.cards = {}

    def show_message(self, text: str) -> None:
        """No list to show: checking, not available, or nothing applies."""
        self._clear()
        self.message.setText(text)
        self.message.setVisible(True)
        self.setAccessibleDescription(text)

    def show_evaluations(self, evaluations: Iterable[Any], note: str = "") -> None:
        self._clear()
        evaluations = list(evaluations)
        for ev in evaluations:
            card = IssueCard(ev)
            self.cards[card.issue_id] = card
            self.box.addWidget(card)
        if not evaluations:
            self.message.setText(note or "None of the known issues applies to these settings on this machine.")
        else:
            self.message.setText(note)
        self.message.setVisible(bool(self.message.text()))
        self.setAccessibleDescription(f"{len(evaluations)} known issues apply")

    def ids(self) -> list[str]:
        return list(self.cards)

    def count(self) -> int:
        return len(self.cards)


class ExperimentalPage(SettingsPage):
    def __init__(self, draft: SettingsDraft) -> None:
        super().__init__("experimentalPage", "Experimental features",
                         "Features that are still in development. Use them with care.")
        self.draft = draft
        self.beta = Notice("beta", BETA_TEXT, badge="BETA", name="betaNotice")
        self.beta.setAccessibleName("Beta notice")
        self.beta.setAccessibleDescription(
            "The containerd image store is in beta: not recommended for production, may change."
        )
        self.add(self.beta)

        self.checkbox = QCheckBox(USE_CONTAINERD.label)
        self.checkbox.setObjectName("useContainerdCheckbox")
        self.checkbox.setAccessibleName(USE_CONTAINERD.accessible_name)
        self.checkbox.setAccessibleDescription(USE_CONTAINERD.help)
        self.add(self.checkbox)
        self.policy_box = Notice("info", badge="ADMIN", name="policyNoticeBox")  # gui.policy_lock fills it
        self.policy_notice = self.policy_box.text
        self.policy_notice.setObjectName("policyNotice")
        self.policy_notice.setAccessibleName("Set by your administrator")
        self.policy_box.setVisible(False)
        self.add(self.policy_box)
        self.locked_by: str | None = None  # why the store may not be chosen here (the administrator's policy)
        self.options = QWidget()
        self.options.setObjectName("storeOptions")
        self.options_box = QVBoxLayout(self.options)
        self.options_box.setContentsMargins(28, 0, 0, 0)
        self.options_box.setSpacing(6)
        self.checkbox_help = label(USE_CONTAINERD.help, "help", name="useContainerdHelp")
        self.options_box.addWidget(self.checkbox_help)
        self.store_state = label("", name="experimentalStoreState")
        self.store_state.setAccessibleName("Store state")
        self.options_box.addWidget(self.store_state)
        self.add(self.options)

        self.add_section("What switching does on this machine")
        self.add(label(HIDDEN_NOT_DELETED, name="switchExplanation"))
        self.impact = label("Reading both stores…", name="switchImpact")
        self.impact.setAccessibleName("What switching will do on this machine")
        self.impact.setTextFormat(Qt.TextFormat.RichText)
        self.impact.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.add(self.impact)
        self.impact_progress = QWidget()
        self.impact_progress.setObjectName("switchImpactProgressRow")
        prow = QHBoxLayout(self.impact_progress)
        prow.setContentsMargins(0, 0, 0, 0)
        prow.setSpacing(10)
        self.impact_bar = busy_bar()
        prow.addWidget(self.impact_bar, 0, Qt.AlignmentFlag.AlignVCenter)
        self.impact_step = label("", "help", name="switchImpactProgress")
        self.impact_step.setAccessibleName("Reading the stores")
        prow.addWidget(self.impact_step, 1)
        self.impact_progress.setVisible(False)
        self.add(self.impact_progress)
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(PROGRESS_DELAY_MS)
        self._progress_timer.timeout.connect(lambda: self.impact_progress.setVisible(True))

        self.switch_options_at = self.body.count()  # gui.bring_list puts "Bring images along" here
        self.issues_header = self.add_section("Known issues", name="knownIssuesHeader")
        self.issues = KnownIssuesList()
        self.add(self.issues)

        self.add_section("What the containerd store enables here", name="storeFeaturesHeader")
        self.multiplatform = ActionRow(
            "Multi-platform images",
            "Loads a tiny image of two platforms (linux/amd64 and linux/arm64) into the live store, exports "
            "it again and removes it: does the store keep both? The containerd store does; the classic one cannot.",
            "Check", "multiPlatformCheckButton", "multiPlatformResult", accessible="Check multi-platform images")
        self.multiplatform.show_result("info", "Not checked yet.")
        self.add(self.multiplatform)
        wasm = QWidget()
        wbox = QVBoxLayout(wasm)
        wbox.setContentsMargins(0, 4, 0, 4)
        wbox.setSpacing(2)
        wbox.addWidget(label("<b>Wasm runtimes</b>"))
        self.wasm = label("", name="wasmRuntimesLabel")
        self.wasm.setAccessibleName("Wasm runtimes")
        self.wasm.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        wbox.addWidget(self.wasm)
        self.add(wasm)
        self.finish()

        self.checkbox.toggled.connect(self._ticked)
        draft.changed.connect(self.refresh)
        self._busy = False
        self.refresh()
        self.set_engine_running(False)

    # --- the checkbox and the draft -----------------------------------------------------
    def _ticked(self, checked: bool) -> None:
        self.draft.set_store(Store.CONTAINERD if checked else Store.CLASSIC)

    def refresh(self) -> None:
        store = self.draft.store
        if store is not None and self.checkbox.isChecked() != (store is Store.CONTAINERD):
            self.checkbox.blockSignals(True)
            self.checkbox.setChecked(store is Store.CONTAINERD)
            self.checkbox.blockSignals(False)
        usable = store is not None and not self._busy and not self.locked_by
        self.checkbox.setEnabled(usable)
        if self.locked_by:
            self.checkbox.setToolTip(self.locked_by)
        elif store is None:
            self.checkbox.setToolTip(f"daemon.json has an error ({self.draft.problem}); fix it in the Docker Engine tab")
        else:
            self.checkbox.setToolTip(USE_CONTAINERD.help)

    def show_store_state(self, live: Store | None, driver: str | None, configured_by: str | None = None,
                         notes: list[str] | None = None) -> None:
        """Say which store runs now, which the draft asks for, and why the saved config means it (the
        engine's own rule, ``Status.configured_by``: "engine default: containerd store (Engine 29: …)")."""
        wanted = self.draft.store
        parts = []
        if live is not None:
            kind = "snapshotter" if live is Store.CONTAINERD else "storage driver"
            parts.append(f"The engine runs the <b>{live.title}</b>{f' ({kind} {driver})' if driver else ''}.")
        else:
            parts.append("The engine is not running, so its live store is not known.")
        if wanted is not None and live is not None and wanted is not live:
            verb = "After Apply &amp; restart it will run" if self.draft.daemon_changed else "daemon.json asks for"
            parts.append(f"{verb} the <b>{wanted.title}</b>.")
        if configured_by:
            parts.append(f"<br><small>Configured: {escape(configured_by)}</small>")
        parts += [f"<br><small>Note: {escape(note)}</small>" for note in notes or []]
        self.store_state.setText(" ".join(parts))
        self.store_state.setAccessibleDescription(self.store_state.text())

    def show_policy(self, rich_text: str, locked_by: str | None, kind: str = "info") -> None:
        """The administrator's policy under the checkbox ("" hides it); *locked_by* disables the box."""
        self.locked_by = locked_by
        self.policy_box.set_kind(kind)
        self.policy_box.set_text(rich_text)
        self.policy_notice.setAccessibleDescription(rich_text)
        self.policy_box.setVisible(bool(rich_text))
        self.refresh()

    # --- seams for other features -------------------------------------------------------
    def add_store_option(self, widget: QWidget) -> None:
        """Add a control under the checkbox (for example the snapshotter choice)."""
        self.options_box.insertWidget(1, widget)

    def add_after_impact(self, widget: QWidget) -> None:
        """Add a row under what switching does (gui.reclaim_panel's hidden-store notice and button)."""
        self.body.insertWidget(self.body.indexOf(self.impact_progress) + 1, widget)
        self.switch_options_at += 1

    def add_switch_option(self, widget: QWidget) -> None:
        """Add a control under "What switching does on this machine" (the images to bring along)."""
        self.body.insertWidget(self.switch_options_at, widget)
        self.switch_options_at += 1

    def set_impact(self, text: str) -> None:
        """What switching will do on this machine, as rich text."""
        self.impact.setText(text)
        self.impact.setAccessibleDescription(self.impact.text())

    def set_impact_progress(self, sentence: str | None) -> None:
        """Reading the stores: the step in words (shown after a moment), or None when done."""
        if sentence is None:
            self._progress_timer.stop()
            self.impact_progress.setVisible(False)
            return
        self.impact_step.setText(sentence)
        self.impact_step.setAccessibleDescription(sentence)
        if self.impact_progress.isHidden() and not self._progress_timer.isActive():
            self._progress_timer.start()

    def set_wasm(self, rich_text: str) -> None:
        self.wasm.setText(rich_text)
        self.wasm.setAccessibleDescription(rich_text)

    def set_issue_count(self, count: int | None) -> None:
        self.issues_header.setText("Known issues" if count is None else f"Known issues that apply ({count})")

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.refresh()
        if not self.multiplatform.running:
            self.multiplatform.button.setEnabled(not busy and self._engine_running)

    _engine_running = False

    def set_engine_running(self, running: bool) -> None:
        """The multi-platform check needs a running engine."""
        self._engine_running = running
        if not self.multiplatform.running:
            self.multiplatform.button.setEnabled(running and not self._busy)
        self.multiplatform.button.setToolTip("" if running else "Start the engine first: the check loads an image into it")


def unknown_facts(evaluation: Any) -> str:
    """The facts a "may apply" rests on that could not be learned, in words."""
    used = getattr(evaluation, "facts_used", None) or {}
    if isinstance(used, dict):
        names = [name for name, value in used.items() if str(value) == "unknown"] or list(used)
    else:
        names = [str(n) for n in used]
    return ", ".join(n.replace("_", " ") for n in names) or "a fact it depends on"
