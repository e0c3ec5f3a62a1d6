"""Docker Engine: daemon.json as editable JSON, checked as you type.

The editor and the Experimental tab's checkbox edit the same draft (:mod:`gui.draft`): typing
``"containerd-snapshotter": true`` ticks the box, ticking the box rewrites that key here. The
first error is shown with its line and column, underlined in the text, and blocks Apply. Tab
moves focus out of the editor (keyboard users are never trapped); indentation is spaces anyway.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QSyntaxHighlighter, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit

from gui import theme
from gui.draft import SettingsDraft
from gui.fields import DAEMON_JSON, DAEMON_JSON_DOCS
from gui.widgets import SettingsPage, escape, label, link, make_links, repolish


class JsonHighlighter(QSyntaxHighlighter):
    """Keys, strings, numbers and literals in colour; enough to read a daemon.json at a glance.

    Strings are found left to right (so quotes pair up) and painted last, so a number inside a
    string keeps the string's colour; a string followed by ``:`` is a key."""

    WORDS = [
        (re.compile(r"\b-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b"), "#9A3412"),
        (re.compile(r"\b(?:true|false|null)\b"), "#7B4FE0"),
    ]
    STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
    KEY_END = re.compile(r"\s*:")
    KEY, VALUE = "#1550C4", "#0F7B3F"

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt override)
        for pattern, color in self.WORDS:
            for m in pattern.finditer(text):
                self.setFormat(m.start(), m.end() - m.start(), _fmt(color))
        for m in self.STRING.finditer(text):
            color = self.KEY if self.KEY_END.match(text, m.end()) else self.VALUE
            self.setFormat(m.start(), m.end() - m.start(), _fmt(color))


def _fmt(color: str) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    return fmt


class DockerEnginePage(SettingsPage):
    def __init__(self, draft: SettingsDraft) -> None:
        super().__init__(
            "dockerEnginePage", "Docker Engine",
            DAEMON_JSON.help + " " + link(DAEMON_JSON_DOCS, "All daemon.json options"),
        )
        make_links(self.subtitle)
        self.draft = draft
        self.path_label = label(f"File: <code>{draft.config_path}</code>", "help", name="daemonJsonPath")
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.add(self.path_label)

        self.editor = QPlainTextEdit()
        self.editor.setObjectName("daemonJsonEditor")
        self.editor.setAccessibleName(DAEMON_JSON.accessible_name)
        self.editor.setAccessibleDescription(f"The JSON text of {draft.config_path}")
        self.editor.setFont(theme.monospace_font())
        self.editor.setTabChangesFocus(True)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setMinimumHeight(220)
        self.editor.setPlaceholderText("{}")
        self.highlighter = JsonHighlighter(self.editor.document())
        self.add(self.editor)
        self.body.setStretchFactor(self.editor, 1)

        self.validity = label("", name="daemonJsonStatus")
        self.validity.setAccessibleName("daemon.json check")
        self.add(self.validity)
        self.note = label("", "help", name="daemonJsonNote")
        self.add(self.note)

        self.editor.textChanged.connect(self._typed)
        draft.changed.connect(self.refresh)
        self.refresh()

    def set_config_path(self, path) -> None:
        """Another target's file (the General tab's target choice)."""
        self.path_label.setText(f"File: <code>{escape(str(path))}</code>")
        self.editor.setAccessibleDescription(f"The JSON text of {path}")

    def _typed(self) -> None:
        self.draft.set_text(self.editor.toPlainText())

    def refresh(self) -> None:
        """Show the draft: its text (when it came from elsewhere) and whether it is valid."""
        if self.editor.toPlainText() != self.draft.text:
            self._replace_text(self.draft.text)
        problem = self.draft.problem
        self.editor.setProperty("invalid", problem is not None)
        repolish(self.editor)
        if problem is None:
            self.validity.setText(f'<span style="color:{theme.OK}">&#10003; Valid JSON</span>')
            self.editor.setExtraSelections([])
        else:
            self.validity.setText(f'<span style="color:{theme.BAD}">&#10007; {escape(str(problem))}</span>')
            self._mark(problem.line, problem.column)
        self.validity.setAccessibleDescription(self.validity.text())
        notes = []
        if not self.draft.saved_exists:
            notes.append("The file does not exist yet; it is created when you apply a change.")
        if self.draft.daemon_changed and problem is None:
            notes.append("Changed: Apply & restart writes this text and restarts the engine."
                         if self.draft.needs_restart else "Changed (formatting only): Apply saves it without a restart.")
        self.note.setText(" ".join(notes))
        self.note.setVisible(bool(notes))

    def _replace_text(self, text: str) -> None:
        """Put the draft's text in the editor, keeping the cursor near where it was."""
        cursor = self.editor.textCursor()
        position = cursor.position()
        scroll = self.editor.verticalScrollBar().value()
        self.editor.blockSignals(True)
        try:
            self.editor.setPlainText(text)
        finally:
            self.editor.blockSignals(False)
        cursor = self.editor.textCursor()
        cursor.setPosition(min(position, len(text)))
        self.editor.setTextCursor(cursor)
        self.editor.verticalScrollBar().setValue(scroll)

    def _mark(self, line: int, column: int) -> None:
        if not line:
            self.editor.setExtraSelections([])
            return
        block = self.editor.document().findBlockByNumber(line - 1)
        if not block.isValid():
            block = self.editor.document().lastBlock()
        whole_line = QTextEdit.ExtraSelection()
        whole_line.format.setBackground(QColor("#FDECEC"))
        whole_line.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        whole_line.cursor = QTextCursor(block)
        spot = QTextEdit.ExtraSelection()
        spot.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        spot.format.setUnderlineColor(QColor(theme.BAD))
        cursor = QTextCursor(block)
        cursor.movePosition(QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.MoveAnchor, max(column - 1, 0))
        cursor.movePosition(QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.KeepAnchor, 1)
        spot.cursor = cursor
        self.editor.setExtraSelections([whole_line, spot])

    def set_busy(self, busy: bool) -> None:
        """While Apply runs the text is readable but not editable."""
        self.editor.setReadOnly(busy)
