"""The places the window asks the user something in a modal dialog: :func:`ask` and :func:`choose_save_path`.

Every confirmation goes through ``gui.confirm.ask`` and every "save as" through
``gui.confirm.choose_save_path`` (both looked up at call time), so tests replace them with
``monkeypatch.setattr("gui.confirm.ask", ...)`` and never block on a modal dialog, and QA
automation can do the same. When the gate (:mod:`backend.gate`) refuses without forcing (a
blocker applies, the catalog is missing), the accept button reads "Switch anyway" and the safe
choice (Cancel) is the default. The dialog itself is :class:`gui.confirm_dialog.ConfirmDialog`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the dialogs are imported when one opens: first paint needs none of them
    from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class IssueLine:
    """A known issue as the confirmation names it."""

    id: str
    severity: str  # "info" | "warning" | "blocker"
    applies: str  # "yes" | "maybe"
    title: str
    workaround: str = ""
    blocks: bool = False  # the backend's rule (Evaluation.blocks): it refuses the switch unless "Switch anyway"


@dataclass(frozen=True)
class Confirmation:
    """What Apply is about to do, for the user to accept or cancel."""

    title: str
    question: str
    consequences: list[str] = field(default_factory=list)
    issues: list[IssueLine] = field(default_factory=list)
    accept_label: str = "Apply & restart"
    refusal: str = ""  # the gate's refusal (backend.gate) that accepting overrides, as --force does; "" when none
    impact: str = ""  # what the switch hides and shows: the Experimental page's table (rich text), "" when none
    note: str = ""  # why the known issues may be incomplete (this machine still being checked)
    evaluations: list = field(default_factory=list, compare=False, repr=False)  # the backend's, for the cards

    @property
    def blockers(self) -> list[IssueLine]:
        return [i for i in self.issues if i.blocks]

    @property
    def needs_switch_anyway(self) -> bool:
        """The gate refuses without forcing (a blocker applies, or the catalog is missing): accepting
        must be an explicit "Switch anyway"."""
        return bool(self.refusal or self.blockers)

    def as_text(self) -> str:
        """The whole confirmation as plain text (the dialog's body, and for logs or tests)."""
        lines = [self.question]
        lines += [f"• {c}" for c in self.consequences]
        if self.issues:
            lines.append("")
            lines.append("Known issues that will apply:")
            for issue in self.issues:
                tag = "BLOCKER" if issue.severity == "blocker" else issue.severity.capitalize()
                maybe = " (may apply)" if issue.applies == "maybe" else ""
                lines.append(f"• {tag}: {issue.title}{maybe} [{issue.id}]")
                if issue.workaround:
                    lines.append(f"    What to do: {issue.workaround}")
        return "\n".join(lines)


def ask(parent: QWidget | None, confirmation: Confirmation) -> bool:
    """Show *confirmation* and return True when the user accepts it."""
    from PySide6.QtWidgets import QDialog

    from gui.confirm_dialog import ConfirmDialog

    return ConfirmDialog(parent, confirmation).exec() == QDialog.DialogCode.Accepted


def choose_save_path(parent: QWidget | None, title: str, suggested: Path, file_filter: str = "Zip archives (*.zip)") -> Path | None:
    """Ask where to save a file (a support bundle); None when the user cancels."""
    from PySide6.QtWidgets import QFileDialog

    chosen, _ = QFileDialog.getSaveFileName(parent, title, str(suggested), file_filter)
    if not chosen:
        return None
    path = Path(chosen)
    return path if path.suffix else path.with_suffix(suggested.suffix)
