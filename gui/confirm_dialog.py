"""The Apply confirmation as a dialog in the window's own look (opened only by :func:`gui.confirm.ask`).

Top to bottom: the question as a title, what happens (the engine stops, the config is restored if
refused), what the switch hides and shows with the same figures and the same table as the
Experimental page (``switchImpact``), and the known issues grouped by severity (blockers,
warnings, information) as the same cards the page shows. Only the issues that apply, or whose
fact truly cannot be learned here, are there (:func:`gui.apply_text.confirmation_for` decides).
When the gate refuses without forcing, the accept button reads "Switch anyway", is drawn as a
danger button, and Cancel is the default.

objectNames: ``applyConfirmation`` (the dialog), ``confirmationTitle``, ``confirmationImpact``,
``confirmationIssues`` (cards ``confirmIssue-<id>``), ``confirmationAccept``, ``confirmationCancel``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFrame, QHBoxLayout, QPushButton, QScrollArea, QVBoxLayout, QWidget

from gui import theme
from gui.widgets import escape, label

if TYPE_CHECKING:
    from gui.confirm import Confirmation

GROUPS = (("blocker", "Blockers"), ("warning", "Warnings"), ("info", "Information"))
DIALOG_STYLE = f"""
#applyConfirmation {{ background: #FFFFFF; }}
#applyConfirmation QScrollArea, #confirmationBody {{ background: #FFFFFF; border: none; }}
#applyConfirmation QLabel[role="title"] {{ font-size: 20px; font-weight: 600; }}
#applyConfirmation QLabel[role="subtitle"], #applyConfirmation QLabel[role="help"] {{ color: {theme.MUTED}; }}
#applyConfirmation QLabel[role="section"] {{ font-size: 14px; font-weight: 600; }}
#applyConfirmation QLabel[role="badge"] {{ border-radius: 3px; padding: 1px 6px; font-size: 11px; font-weight: 700; color: #FFFFFF; }}
#confirmationFooter {{ background: #FAFBFC; border-top: 1px solid {theme.BORDER}; }}
QPushButton[role="danger"] {{ background: {theme.BAD}; color: #FFFFFF; border: 1px solid {theme.BAD}; }}
"""


def _bullet(text: str) -> QWidget:
    """One consequence: a bullet, and the sentence wrapping beside it (a hanging indent)."""
    row = QWidget()
    line = QHBoxLayout(row)
    line.setContentsMargins(0, 0, 0, 0)
    line.setSpacing(8)
    line.addWidget(label("•", wrap=False), 0, Qt.AlignmentFlag.AlignTop)
    line.addWidget(label(escape(text)), 1)
    return row


class ConfirmDialog(QDialog):
    """One confirmation, laid out; :meth:`exec` returns Accepted when the user goes ahead."""

    def __init__(self, parent: QWidget | None, confirmation: Confirmation) -> None:
        super().__init__(parent)
        self.setObjectName("applyConfirmation")
        self.setWindowTitle(confirmation.title)
        self.setAccessibleName(confirmation.title)
        self.setModal(True)
        theme.apply_theme(self)
        self.setStyleSheet(theme.STYLESHEET + DIALOG_STYLE)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)

        body = QWidget()
        body.setObjectName("confirmationBody")
        box = QVBoxLayout(body)
        box.setContentsMargins(28, 24, 28, 18)
        box.setSpacing(10)
        box.addWidget(label(escape(confirmation.title), "title", name="confirmationTitle"))
        box.addWidget(label(escape(confirmation.question), "subtitle", name="confirmationQuestion"))
        if confirmation.consequences:
            box.addSpacing(6)
            box.addWidget(label("What happens", "section"))
            for line in confirmation.consequences:
                box.addWidget(_bullet(line))
        if confirmation.impact:
            box.addSpacing(6)
            box.addWidget(label("What the switch hides and shows", "section"))
            box.addWidget(label(confirmation.impact, name="confirmationImpact"))
        box.addWidget(self._issues(confirmation))
        box.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        footer = self._footer(confirmation)
        outer.addWidget(footer)
        self._fit(parent, body, footer)

    def _issues(self, confirmation: Confirmation) -> QWidget:
        from gui.pages.experimental import IssueCard

        issues = QWidget()
        issues.setObjectName("confirmationIssues")
        col = QVBoxLayout(issues)
        col.setContentsMargins(0, 6, 0, 0)
        col.setSpacing(8)
        evaluations = list(confirmation.evaluations)
        if evaluations or confirmation.note:
            col.addWidget(label("Known issues after Apply", "section"))
        for severity, title in GROUPS:
            group = [ev for ev in evaluations if ev.issue.severity == severity]
            if not group:
                continue
            fg = theme.SEVERITY_COLORS[severity][2]
            col.addWidget(label(f"<span style='color:{fg}'><b>{title}</b></span> ({len(group)})",
                                name=f"confirmationGroup-{severity}"))
            for ev in group:
                card = IssueCard(ev)
                card.setObjectName(f"confirmIssue-{ev.issue.id}")  # the page's knownIssue-<id> stay unique
                card.setStyleSheet(card.styleSheet().replace("#knownIssue-", "#confirmIssue-"))
                col.addWidget(card)
        if confirmation.note:
            col.addWidget(label(escape(confirmation.note), "help", name="confirmationNote"))
        if confirmation.refusal:
            refusal = confirmation.refusal[:1].upper() + confirmation.refusal[1:]
            col.addWidget(label(f"<b>This needs your decision.</b> {escape(refusal)}", name="confirmationRefusal"))
        return issues

    def _footer(self, confirmation: Confirmation) -> QWidget:
        footer = QFrame()
        footer.setObjectName("confirmationFooter")
        row = QHBoxLayout(footer)
        row.setContentsMargins(20, 12, 20, 12)
        row.addStretch(1)
        self.cancel = QPushButton("Cancel")
        self.cancel.setObjectName("confirmationCancel")
        self.cancel.setAccessibleName("Cancel")
        self.cancel.clicked.connect(self.reject)
        row.addWidget(self.cancel)
        anyway = confirmation.needs_switch_anyway
        text = "Switch anyway" if anyway else confirmation.accept_label
        self.accept_button = QPushButton(text.replace("&", "&&"))
        self.accept_button.setObjectName("confirmationAccept")
        self.accept_button.setAccessibleName(text)
        self.accept_button.setProperty("role", "danger" if anyway else "primary")
        self.accept_button.clicked.connect(self.accept)
        row.addWidget(self.accept_button)
        safe = self.cancel if anyway else self.accept_button  # a blocker: the safe choice is the default
        safe.setDefault(True)
        safe.setFocus()
        return footer

    def _fit(self, parent: QWidget | None, body: QWidget, footer: QWidget) -> None:
        """640 wide (what reads well), as tall as its content; never beyond the window under it
        (less 40 px each side): a longer list scrolls, the buttons stay in view."""
        width, height = 640, body.heightForWidth(640) + footer.sizeHint().height()
        if height <= footer.sizeHint().height():
            height = body.sizeHint().height() + footer.sizeHint().height()
        if parent is not None:
            width = min(width, parent.width() - 80)
            height = min(height, parent.height() - 80)
        self.resize(max(width, 420), max(height, 300))
