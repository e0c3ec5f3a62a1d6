"""The snapshotter choice under the containerd checkbox: ``snapshotterChoice`` and what is known of each name.

An editable combo box: ``overlayfs`` (the default), ``native``, ``stargz``, ``nydus``, or any
other name an expert types. Next to it, the chosen name's availability on *this* engine and why
(``backend.snapshotters``: built in, a proxy plugin found in containerd's config, or not found),
and under it the other choices that are not available ("stargz: not installed"), as the sketch
shows. The list marks each name with a coloured dot and the same short words.

The widget only shows and reports: :mod:`gui.store_features` writes the name into the draft
(``storage-driver``), reads it back, and fetches the report off the GUI thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QStyledItemDelegate, QVBoxLayout, QWidget

from backend.snapshotter_names import AVAILABLE, CHOICES, DEPENDS
from backend.stores import DEFAULT_SNAPSHOTTER
from gui import theme
from gui.widgets import dot_icon, escape, label, repolish


def short_status(item: Any) -> str:
    """A few words for a name's availability: "available", "not installed", "plugin not running" ..."""
    if item.status == AVAILABLE:
        return "available"
    if item.status == DEPENDS:
        return "depends on the file system"
    if item.source == "not-found":
        return "not installed"
    if item.source == "proxy-plugin":
        return "plugin not running"
    return "not loaded here"


def status_color(item: Any | None) -> str:
    if item is None:
        return theme.IDLE
    return {AVAILABLE: theme.OK, DEPENDS: theme.WARN}.get(item.status, theme.BAD)


class _NameDelegate(QStyledItemDelegate):
    """The list shows "overlayfs (default)" and "stargz — not installed"; the edit field keeps the bare name."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.notes: dict[str, str] = {}

    def displayText(self, value: Any, locale: Any) -> str:  # noqa: N802 (Qt override)
        name = str(value)
        text = name + (" (default)" if name == DEFAULT_SNAPSHOTTER else "")
        note = self.notes.get(name)
        return f"{text} — {note}" if note else text


class SnapshotterChoice(QWidget):
    nameEdited = Signal(str)
    """The user picked or typed a name (stripped; "" while the field is empty)."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("snapshotterRow")
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 2, 0, 2)
        box.setSpacing(4)
        row = QHBoxLayout()
        row.setSpacing(10)
        caption = QLabel("Snapshotter:")
        caption.setObjectName("snapshotterCaption")
        row.addWidget(caption, 0, Qt.AlignmentFlag.AlignVCenter)
        self.combo = QComboBox()
        self.combo.setObjectName("snapshotterChoice")
        self.combo.setAccessibleName("Snapshotter")
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.setCompleter(None)  # no inline completion: "s" must not silently become "stargz"
        self.combo.addItems(list(CHOICES))
        self.combo.setMinimumContentsLength(12)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.lineEdit().setPlaceholderText(DEFAULT_SNAPSHOTTER)
        self.combo.lineEdit().setAccessibleName("Snapshotter name")
        self.delegate = _NameDelegate(self.combo)
        self.combo.setItemDelegate(self.delegate)
        self.combo.view().setMinimumWidth(300)
        caption.setBuddy(self.combo)
        row.addWidget(self.combo, 0, Qt.AlignmentFlag.AlignVCenter)
        self.status = label("", name="snapshotterStatus")
        self.status.setAccessibleName("Snapshotter availability")
        self.status.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        row.addWidget(self.status, 1)
        box.addLayout(row)
        self.others = label("", "help", name="snapshotterOthers")
        self.others.setAccessibleName("Snapshotters not available on this engine")
        box.addWidget(self.others)
        self.report: Any = None
        self.problem: str | None = None
        self.note = ""  # why the choice is disabled
        self.combo.editTextChanged.connect(self._edited)
        self._show_status()

    # --- what the user does -------------------------------------------------------------
    def _edited(self, text: str) -> None:
        self.nameEdited.emit(text.strip())
        self._show_status()

    @property
    def name(self) -> str:
        return self.combo.currentText().strip()

    # --- what the window tells it -------------------------------------------------------
    def show_name(self, name: str) -> None:
        """Show *name* without reporting it as an edit (it came from the draft)."""
        if self.combo.currentText() != name:
            self.combo.blockSignals(True)
            index = self.combo.findText(name)
            if index >= 0:
                self.combo.setCurrentIndex(index)
            self.combo.setEditText(name)
            self.combo.blockSignals(False)
        self._show_status()

    def set_report(self, report: Any) -> None:
        """A ``backend.snapshotters.SnapshotterReport`` (or None: not known yet)."""
        self.report = report
        self.delegate.notes = {}
        typed = self.combo.currentText()
        self.combo.blockSignals(True)  # changing the current item's data would put its text in the field
        for i in range(self.combo.count()):
            name = self.combo.itemText(i)
            item = report.get(name) if report is not None else None
            self.combo.setItemIcon(i, dot_icon(status_color(item)))
            if item is not None:
                self.delegate.notes[name] = "" if item.status == AVAILABLE else short_status(item)
                self.combo.setItemData(i, item.reason, Qt.ItemDataRole.ToolTipRole)
        if self.combo.currentText() != typed:
            self.combo.setEditText(typed)
        self.combo.blockSignals(False)
        self._show_status()

    def set_problem(self, message: str | None) -> None:
        self.problem = message
        self.combo.setProperty("invalid", bool(message))
        repolish(self.combo)
        self._show_status()

    def set_usable(self, usable: bool, note: str = "") -> None:
        """Enabled only with the containerd box ticked (and a target whose file has ``storage-driver``)."""
        self.note = "" if usable else note
        self.combo.setEnabled(usable)
        self.combo.setToolTip("" if usable else note)
        self._show_status()

    def _show_status(self) -> None:
        name = self.name or DEFAULT_SNAPSHOTTER
        item = self.report.get(name) if self.report is not None else None
        if self.problem:
            text = f'<span style="color:{theme.BAD}">&#10007; {escape(self.problem)}</span>'
        elif self.note:
            text = f'<span style="color:{theme.MUTED}">{escape(self.note)}</span>'
        elif self.report is None:
            text = f'<span style="color:{theme.MUTED}">Checking which snapshotters this engine has…</span>'
        elif item is None:
            text = f'<span style="color:{theme.MUTED}">Checking {escape(name)}…</span>'
        else:
            mark = "&#10003;" if item.status == AVAILABLE else "?" if item.status == DEPENDS else "&#10007;"
            words = "the default; " if item.default and "default" not in item.reason else ""
            text = (f'<span style="color:{status_color(item)}">{mark} <b>{escape(short_status(item))}</b></span>'
                    f'<span style="color:{theme.MUTED}"> — {escape(words + item.reason)}</span>')
        self.status.setText(text)
        self.status.setAccessibleDescription(self.status.text())
        unavailable = []
        if self.report is not None and not self.note:
            for choice in CHOICES:
                other = self.report.get(choice)
                if choice != name and other is not None and other.status != AVAILABLE:
                    unavailable.append(f"{choice}: {short_status(other)}")
        self.others.setText(f"({' · '.join(unavailable)})" if unavailable else "")
        self.others.setVisible(bool(unavailable))
