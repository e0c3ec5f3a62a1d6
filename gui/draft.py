"""The window's draft: :class:`backend.settings_model.SettingsModel` with a Qt signal.

Every rule of the draft (the daemon.json check and its wording, the store key and the
snapshotter, Kubernetes, restart or not, what blocks Apply) lives in the Qt-free model, tested
on its own and shared with the CLI; this adapter only turns "the model changed" into
:attr:`SettingsDraft.changed`, which the pages, the buttons and the known-issue list listen to.
Reads and calls go to the model (``draft.text``, ``draft.set_store(...)``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from backend.settings_model import EMPTY_CONFIG, JsonProblem, SettingsModel, check_daemon_json

__all__ = ["EMPTY_CONFIG", "JsonProblem", "SettingsDraft", "check_daemon_json"]


class SettingsDraft(QObject):
    """The pending edits, as a QObject: the model's attributes and methods, and a signal."""

    changed = Signal()
    """The draft or its snapshot changed: pages, buttons and known issues read it again."""

    def __init__(self, config_path: Path, settings_path: Path, parent: QObject | None = None,
                 read_config: Callable[[], Any] | None = None, saves_without_restart: bool = True) -> None:
        super().__init__(parent)
        self.model = SettingsModel(config_path, settings_path, read_config, self.changed.emit, saves_without_restart)

    def __getattr__(self, name: str) -> Any:
        """Everything else is the model's (only reached for names the adapter does not have)."""
        if name == "model":
            raise AttributeError(name)
        return getattr(self.model, name)

    @property
    def kubernetes_source(self) -> Any:
        """The target's Kubernetes setting (:mod:`backend.kubernetes_setting`); None: storeswitch's own."""
        return self.model.kubernetes_source

    @kubernetes_source.setter
    def kubernetes_source(self, source: Any) -> None:
        self.model.kubernetes_source = source
