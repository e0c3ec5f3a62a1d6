"""Kubernetes: whether the user runs Kubernetes against this engine (storeswitch's settings).

No cluster is started. The value feeds the known issues (the built-in Kubernetes of Docker
Desktop does not work with the containerd image store); applying it needs no engine restart.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox

from gui.draft import SettingsDraft
from gui.fields import ENABLE_KUBERNETES
from gui.widgets import Notice, SettingsPage, label


class KubernetesPage(SettingsPage):
    def __init__(self, draft: SettingsDraft) -> None:
        super().__init__("kubernetesPage", "Kubernetes", "Tell storeswitch whether you use Kubernetes with this engine.")
        self.draft = draft
        self.error = Notice("error", name="settingsError")
        self.error.setVisible(False)
        self.add(self.error)
        self.checkbox = QCheckBox(ENABLE_KUBERNETES.label)
        self.checkbox.setObjectName("enableKubernetesCheckbox")
        self.checkbox.setAccessibleName(ENABLE_KUBERNETES.accessible_name)
        self.checkbox.setAccessibleDescription(ENABLE_KUBERNETES.help)
        self.add(self.checkbox)
        help_text = label(ENABLE_KUBERNETES.help, "help", name="enableKubernetesHelp")
        help_text.setContentsMargins(28, 0, 0, 0)
        self.add(help_text)
        self.finish()
        self.checkbox.toggled.connect(draft.set_kubernetes)
        draft.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        if self.checkbox.isChecked() != self.draft.kubernetes:
            self.checkbox.blockSignals(True)
            self.checkbox.setChecked(self.draft.kubernetes)
            self.checkbox.blockSignals(False)
        error = self.draft.settings_error
        self.error.setVisible(bool(error))
        if error:
            self.error.set_text(f"<b>storeswitch's settings cannot be read</b><br>{error}")
        self.checkbox.setEnabled(not error and not getattr(self, "_busy", False))

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.refresh()
