"""GUI test fixtures: windows built by ``gui.app.create_window`` and the modal-dialog seams.

Every GUI test runs headless (QT_QPA_PLATFORM=offscreen, set by tests/conftest.py) and never
shows a modal: ``gui.confirm.ask`` and ``gui.confirm.choose_save_path`` are replaced for every test
by ones that fail loudly; a test that expects a confirmation takes the ``confirmations`` fixture
(records each one and answers as the test says), one that saves a file takes ``save_as``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gui import confirm

SETTLE_MS = 30_000


@dataclass
class Confirmations:
    """The confirmations the window asked for, and the answer the next ones get."""

    answer: bool = True
    asked: list[confirm.Confirmation] = field(default_factory=list)

    def __call__(self, parent, confirmation: confirm.Confirmation) -> bool:
        self.asked.append(confirmation)
        return self.answer


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch):
    def refuse(parent, confirmation):
        raise AssertionError(f"the test reached the real confirmation dialog: {confirmation.title}")

    def no_file_dialog(parent, title, suggested, file_filter=""):
        raise AssertionError(f"the test reached the real file dialog: {title}")

    monkeypatch.setattr(confirm, "ask", refuse)
    monkeypatch.setattr(confirm, "choose_save_path", no_file_dialog)


@dataclass
class SaveAs:
    """The "save as" questions the window asked (title, suggested path), and the path the next one gets (None: cancel)."""

    answer: Path | None = None
    asked: list[tuple[str, Path]] = field(default_factory=list)

    def __call__(self, parent, title: str, suggested: Path, file_filter: str = "") -> Path | None:
        self.asked.append((title, suggested))
        return self.answer


@pytest.fixture
def save_as(monkeypatch) -> SaveAs:
    recorder = SaveAs()
    monkeypatch.setattr(confirm, "choose_save_path", recorder)
    return recorder


@pytest.fixture
def confirmations(monkeypatch) -> Confirmations:
    recorder = Confirmations()
    monkeypatch.setattr(confirm, "ask", recorder)
    return recorder


@pytest.fixture
def make_window(qtbot):
    """``make_window(*argv)``: a settings window from command-line arguments, its first checks done."""
    from gui.app import create_window

    made = []

    def make(*argv: str, settle: bool = True):
        window = create_window(list(argv))
        qtbot.addWidget(window)
        made.append(window)
        if settle:
            qtbot.waitUntil(window.is_settled, timeout=SETTLE_MS)
        return window

    yield make
    for window in made:
        window.tasks.wait(SETTLE_MS)


def find(window, name: str, kind=None):
    """The child widget with objectName *name*; fails the test when there is none."""
    from PySide6.QtWidgets import QWidget

    widget = window.findChild(kind or QWidget, name)
    assert widget is not None, f"no widget named {name!r}"
    return widget
