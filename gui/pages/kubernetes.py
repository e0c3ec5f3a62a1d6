"""Kubernetes: the target's "Kubernetes is on" setting, labelled for what it is.

On Docker Desktop it is Desktop's own setting (``KubernetesEnabled`` in its settings file, with
``KubernetesMode`` shown beside it); Apply changes it through Desktop's settings API, or in the
file when the API does not answer (:mod:`backend.kubernetes_setting`). Elsewhere no engine has a
Kubernetes of its own: the box is storeswitch's own setting, the user's word that they run
Kubernetes against this engine, and it feeds the known issues only. No cluster is started from
here, and applying it needs no engine restart.
"""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QCheckBox

from gui.draft import SettingsDraft
from gui.fields import DESKTOP_KUBERNETES, ENABLE_KUBERNETES
from gui.widgets import Notice, SettingsPage, label

OWN_SUBTITLE = "Tell storeswitch whether you use Kubernetes with this engine."
DESKTOP_SUBTITLE = "Docker Desktop's own Kubernetes, as in Docker Desktop's Settings > Kubernetes."


class KubernetesPage(SettingsPage):
    def __init__(self, draft: SettingsDraft) -> None:
        super().__init__("kubernetesPage", "Kubernetes", OWN_SUBTITLE)
        self.draft = draft
        self.error = Notice("error", name="settingsError")
        self.error.setVisible(False)
        self.add(self.error)
        self.checkbox = QCheckBox(ENABLE_KUBERNETES.label)
        self.checkbox.setObjectName("enableKubernetesCheckbox")
        self.checkbox.setAccessibleName(ENABLE_KUBERNETES.accessible_name)
        self.add(self.checkbox)
        self.help_text = label(ENABLE_KUBERNETES.help, "help", name="enableKubernetesHelp")
        self.help_text.setContentsMargins(28, 0, 0, 0)
        self.add(self.help_text)
        self.add_section("Where this setting lives", name="kubernetesSourceSection")
        self.source = label("", name="kubernetesSettingSource")
        self.add(self.source)
        self.mode = label("", name="kubernetesModeLabel")
        self.add(self.mode)
        self.locked = label("", "help", name="kubernetesLockedLabel")
        self.add(self.locked)
        self.channel = label("", "help", name="kubernetesApplyPath")
        self.channel.setVisible(False)
        self.add(self.channel)
        self.finish()
        self.checkbox.toggled.connect(draft.set_kubernetes)
        draft.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        if self.checkbox.isChecked() != self.draft.kubernetes:
            self.checkbox.blockSignals(True)
            self.checkbox.setChecked(self.draft.kubernetes)
            self.checkbox.blockSignals(False)
        state = self.draft.kubernetes_state
        desktop = state is not None and state.owner == "desktop"
        field = DESKTOP_KUBERNETES if desktop else ENABLE_KUBERNETES
        self.subtitle.setText(DESKTOP_SUBTITLE if desktop else OWN_SUBTITLE)
        self.help_text.setText(field.help)
        self.checkbox.setAccessibleDescription(field.help)
        where = state.where if state is not None else ""
        self.source.setText(f"<b>Setting:</b> {escape(where, quote=False)}" if where else "")
        self.source.setAccessibleName(where)
        self.mode.setVisible(desktop)
        if desktop:
            mode = state.mode or "not set in the file (Docker Desktop's default)"
            self.mode.setText(f"<b>Kubernetes mode:</b> {escape(mode, quote=False)} (Docker Desktop's KubernetesMode)"
                              + (" · <i>kind load docker-image</i> fails on the containerd store (see the known issues)"
                                 if state.mode == "kind" else ""))
            self.mode.setAccessibleName(f"Kubernetes mode: {mode}")
        locked = bool(state is not None and state.locked)
        self.locked.setVisible(locked)
        self.locked.setText("Locked by your administrator (Docker Desktop's Settings Management): it cannot be changed here."
                            if locked else "")
        error = self.draft.settings_error
        self.error.setVisible(bool(error))
        if error:
            whose = "Docker Desktop's settings" if desktop else "storeswitch's settings"
            self.error.set_text(f"<b>{whose} cannot be read</b><br>{escape(error, quote=False)}")
        self.checkbox.setEnabled(not error and not locked and not getattr(self, "_busy", False))

    def show_channel(self, desktop: dict | None) -> None:
        """Docker Desktop only: where Apply sends the change now (its settings API, or its file), from the status."""
        self.channel.setVisible(bool(desktop))
        if desktop:
            text = f"Apply sends a change to {desktop['changes_go_to']}."
            if not desktop.get("settings_api"):
                reason = str(desktop.get("settings_api_reason", "")).removeprefix("Docker Desktop's settings API is not available: ")
                text += f" Its settings API was not used: {reason}."
            self.channel.setText(escape(text, quote=False))
            self.channel.setAccessibleName(text)

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.refresh()
