"""The window's left column: the app's name and the section list (``settingsSections``).

The list is the view of ``settingsTabs`` (whose tab bar is hidden), as in Docker Desktop's
settings: Up/Down move through it, each item's tooltip names its Alt+N shortcut.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QListWidget, QVBoxLayout

from gui.sections import SECTIONS

_ICON: QIcon | None = None


def app_icon() -> QIcon:
    """The window's icon, from the ``resources`` package's folder.

    Its ``__file__`` rather than ``importlib.resources``, whose import alone is a cost first paint
    does not need (docs/performance.md): ``resources`` is a plain package installed as files (QIcon
    needs a path on disk anyway).
    """
    global _ICON
    if _ICON is None:
        import resources

        _ICON = QIcon(str(Path(resources.__file__).with_name("storeswitch.svg")))
    return _ICON


def build_sidebar() -> tuple[QFrame, QListWidget]:
    """The sidebar frame and its section list."""
    sidebar = QFrame()
    sidebar.setObjectName("sidebar")
    sidebar.setFixedWidth(212)
    side = QVBoxLayout(sidebar)
    side.setContentsMargins(14, 18, 14, 14)
    side.setSpacing(12)
    brand = QHBoxLayout()
    icon = QLabel()
    icon.setPixmap(app_icon().pixmap(28, 28))
    icon.setAccessibleName("storeswitch icon")
    brand.addWidget(icon)
    name = QLabel("storeswitch")
    name.setObjectName("appName")
    brand.addWidget(name, 1)
    side.addLayout(brand)
    sections = QListWidget()
    sections.setObjectName("settingsSections")
    sections.setAccessibleName("Settings sections")
    sections.addItems(SECTIONS)
    sections.setFrameShape(QFrame.Shape.NoFrame)
    sections.setStyleSheet("QListWidget { border: 0px; background: transparent; }")
    sections.setAttribute(Qt.WidgetAttribute.WA_MacShowFocusRect, False)
    sections.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    sections.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    for i, title in enumerate(SECTIONS):
        sections.item(i).setToolTip(f"{title} (Alt+{i + 1})")
    side.addWidget(sections, 1)
    return sidebar, sections


class Navigation:
    """Moving between sections: the list, the (hidden) tabs, the shortcuts, focus scrolling.

    A lazy window's other pages are built first whenever another section is asked for
    (:meth:`gui.window.SettingsWindow.complete_startup`).
    """

    def __init__(self, window, sections: QListWidget, tabs) -> None:
        self.window, self.sections, self.tabs = window, sections, tabs
        sections.currentRowChanged.connect(self._section_chosen)
        tabs.currentChanged.connect(self._tab_changed)
        sections.setCurrentRow(0)
        from PySide6.QtWidgets import QApplication

        QApplication.instance().focusChanged.connect(self._focus_changed)

    def add_shortcuts(self) -> None:
        """Alt+1..5, Ctrl+PgUp/PgDown and Ctrl+Enter (a lazy window's come with its other pages)."""
        from PySide6.QtGui import QKeySequence, QShortcut

        window = self.window
        for i in range(len(SECTIONS)):
            QShortcut(QKeySequence(f"Alt+{i + 1}"), window, activated=lambda i=i: self.go_to(i))
        QShortcut(QKeySequence("Ctrl+PgDown"), window, activated=lambda: self._step(1))
        QShortcut(QKeySequence("Ctrl+PgUp"), window, activated=lambda: self._step(-1))
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), window, activated=window.apply_changes)

    def go_to(self, index: int) -> None:
        """Show section *index* (building a lazy window's other pages first, if not done yet)."""
        if self.tabs.currentIndex() != index:
            self.window.complete_startup()
            self.tabs.setCurrentIndex(index)

    def _section_chosen(self, row: int) -> None:
        if row >= 0:
            self.go_to(row)

    def _tab_changed(self, index: int) -> None:
        from PySide6.QtCore import QTimer

        if self.sections.currentRow() != index:
            self.sections.setCurrentRow(index)
        window = self.window
        if not window.complete and index >= 0 and window._built[index] is None:  # settingsTabs driven directly
            QTimer.singleShot(0, window, window.complete_startup)

    def _step(self, delta: int) -> None:
        self.go_to((self.tabs.currentIndex() + delta) % self.tabs.count())

    def _focus_changed(self, _old, new) -> None:
        """Keyboard focus moving down a long page scrolls the page along."""
        if new is None:
            return
        for page in self.window.pages:
            if page.isAncestorOf(new):
                page.ensureWidgetVisible(new, 24, 24)
                return

    def disconnect(self) -> None:
        """The window closes: stop following focus."""
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if app is not None:
            try:
                app.focusChanged.disconnect(self._focus_changed)
            except (RuntimeError, TypeError):
                pass
