"""The General tab's target chooser (``targetChoice``): which engine storeswitch manages, and what is here.

A combo box of the five targets (Automatic, managed, system, rootless, Docker Desktop) and under
it one line per target saying whether it can be used on this machine and why, from
``backend.targets.detect.available_targets``. That call pings sockets, so the window runs it off
the GUI thread and fills the list in when it answers; until then the combo holds the current
choice only and is disabled. Targets that cannot be used are listed but cannot be picked.

Picking one emits :attr:`TargetChoice.targetChosen`; the window saves it
(``Settings.set("target", name)``, which ``choose_target`` honours at the next start) and rebuilds
itself on the new target.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QSizePolicy, QWidget

from backend.targets.detect import TARGET_NAMES, TARGET_TITLES
from gui import theme
from gui.widgets import ValueForm, dot_icon, escape, label


class TargetChoice(QWidget):
    targetChosen = Signal(str)
    """The user picked another target (``auto``, ``managed``, ``system``, ``rootless``, ``desktop``)."""

    def __init__(self, choice: str) -> None:
        super().__init__()
        grid = ValueForm.grid(self, row_spacing=6)
        caption = label("Target", "formKey", wrap=False)
        grid.addWidget(caption, 0, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.combo = QComboBox()
        self.combo.setObjectName("targetChoice")
        self.combo.setAccessibleName("Target: the engine storeswitch manages")
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        for name in TARGET_NAMES:
            self.combo.addItem(TARGET_TITLES[name], name)
        caption.setBuddy(self.combo)
        grid.addWidget(self.combo, 0, 1, Qt.AlignmentFlag.AlignLeft)
        self.reason = label("", "help", name="targetReason")
        self.reason.setAccessibleName("Why this target")
        self.reason.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        grid.addWidget(self.reason, 1, 1)
        self.listing = label("Looking for engines on this machine…", name="targetOptions")
        self.listing.setAccessibleName("Targets on this machine")
        self.listing.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        grid.addWidget(self.listing, 2, 1)
        self.options: dict[str, Any] = {}
        self.choice = choice
        self._locked = ""
        self.set_current(choice)
        self.combo.setEnabled(False)
        self.combo.activated.connect(self._activated)

    def _activated(self, index: int) -> None:
        name = self.combo.itemData(index)
        if name and name != self.choice:
            self.targetChosen.emit(name)

    def set_current(self, name: str) -> None:
        """Show *name* as the choice (without reporting it)."""
        self.choice = name
        index = self.combo.findData(name)
        if index >= 0 and self.combo.currentIndex() != index:
            self.combo.blockSignals(True)
            self.combo.setCurrentIndex(index)
            self.combo.blockSignals(False)

    def set_target(self, target: Any) -> None:
        """The target in use and why it was picked."""
        self.reason.setText(f"Now: <b>{escape(target.name)}</b> — {escape(target.reason)}")
        self.reason.setAccessibleDescription(self.reason.text())

    def set_options(self, options: list[Any] | str) -> None:
        """``available_targets``' answer (a list of TargetOption), or why it failed (a string)."""
        if isinstance(options, str):
            self.listing.setText(f'<span style="color:{theme.BAD}">The targets could not be listed: {escape(options)}</span>')
            self.combo.setEnabled(not self._locked)
            return
        self.options = {o.name: o for o in options}
        model = self.combo.model()
        lines = []
        for i in range(self.combo.count()):
            name = self.combo.itemData(i)
            option = self.options.get(name)
            if option is None:
                continue
            item = model.item(i)
            usable = option.available or name == self.choice
            item.setEnabled(usable)
            item.setToolTip(option.reason)
            self.combo.setItemIcon(i, dot_icon(theme.OK if option.available else theme.IDLE))
            mark = (f'<span style="color:{theme.OK}">&#10003;</span>' if option.available
                    else f'<span style="color:{theme.IDLE}">&#10007;</span>')
            lines.append(f"{mark} <b>{escape(option.title)}</b> <span style='color:{theme.MUTED}'>— {escape(option.reason)}</span>")
        self.listing.setText("<br>".join(lines))
        self.listing.setAccessibleDescription(self.listing.text())
        self.combo.setEnabled(not self._locked)

    def set_locked(self, why: str) -> None:
        """Changing target is not possible now (unsaved changes, Apply running); *why* ("" unlocks)."""
        self._locked = why
        self.combo.setEnabled(not why and bool(self.options))
        self.combo.setToolTip(why or "The engine storeswitch manages; the choice is saved in storeswitch's settings")

    def set_changing(self, name: str | None) -> None:
        """Building the chosen target (off the GUI thread); None when done."""
        if name:
            self.combo.setEnabled(False)
            self.reason.setText(f"Switching to <b>{escape(name)}</b>…")
        else:
            self.combo.setEnabled(not self._locked and bool(self.options))
