"""Small building blocks every page uses: a titled scrolling page, sections, notices, forms.

They exist so the five pages read as the same app (one title size, one notice style, one way to
show a value a user may want to copy) and so a small window scrolls instead of clipping.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from gui import theme


def label(text: str = "", role: str | None = None, wrap: bool = True, name: str | None = None) -> QLabel:
    """A QLabel with a theme role; rich text links open in the browser and are keyboard reachable."""
    w = QLabel(text)
    w.setWordWrap(wrap)
    w.setTextFormat(Qt.TextFormat.AutoText)
    if role:
        w.setProperty("role", role)
    if name:
        w.setObjectName(name)
    if "<a " in text:
        make_links(w)
    return w


def make_links(w: QLabel) -> None:
    w.setOpenExternalLinks(True)
    w.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    w.setFocusPolicy(Qt.FocusPolicy.TabFocus)


def link(url: str, text: str) -> str:
    return f'<a href="{url}" style="color:{theme.ACCENT}; text-decoration:none;">{text}&nbsp;&#8599;</a>'


def repolish(widget: QWidget) -> None:
    """Apply the stylesheet again after a dynamic property it selects on changed (``kind``, ``invalid``).

    A widget not polished yet is left alone: Qt polishes it, reading the property, before it is
    first shown (QStyleSheetStyle.polish drops whatever it computed for the widget earlier). And
    asking for a style before the first paint slows it: PySide builds the whole QStyle
    class, a dozen large enums, the first time Python touches one.
    """
    if widget.testAttribute(Qt.WidgetAttribute.WA_WState_Polished):
        style = widget.style()
        style.unpolish(widget)
        style.polish(widget)


def button(text: str, name: str, accessible: str, tooltip: str = "") -> QPushButton:
    """A push button with its objectName (the automation contract) and accessible name set."""
    w = QPushButton(text)
    w.setObjectName(name)
    w.setAccessibleName(accessible)
    if tooltip:
        w.setToolTip(tooltip)
    return w


def button_row(*widgets: QWidget, last_stretches: bool = False) -> QWidget:
    """Buttons side by side at the left of a page; the row's free space is after them.

    With *last_stretches*, the last widget (a label saying what the buttons did) takes that space.
    """
    row_widget = QWidget()
    row = QHBoxLayout(row_widget)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(10)
    for w in widgets[:-1]:
        row.addWidget(w)
    row.addWidget(widgets[-1], 1 if last_stretches else 0)
    if not last_stretches:
        row.addStretch(1)
    return row_widget


def busy_bar() -> QProgressBar:
    """A thin, endless progress bar: something slow is running (its words go in a label beside it)."""
    bar = QProgressBar()
    bar.setRange(0, 0)
    bar.setTextVisible(False)
    bar.setFixedSize(72, 6)
    bar.setProperty("role", "busyBar")
    return bar


def rule() -> QFrame:
    line = QFrame()
    line.setProperty("role", "rule")
    line.setFrameShape(QFrame.Shape.NoFrame)
    return line


class SettingsPage(QScrollArea):
    """A page of the settings window: title, subtitle, then sections, scrolling when small."""

    def __init__(self, object_name: str, title: str, subtitle: str, accessible: str | None = None) -> None:
        super().__init__()
        self.setObjectName(object_name)
        self.setAccessibleName(accessible or f"{title} settings")
        self.setWidgetResizable(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the controls; the window scrolls to them
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        body.setObjectName(f"{object_name}Body")
        body.setProperty("role", "pageBody")
        self.body = QVBoxLayout(body)
        self.body.setContentsMargins(36, 28, 36, 28)
        self.body.setSpacing(14)
        self.title = label(title, "title", wrap=False, name=f"{object_name}Title")
        self.title.setAccessibleName(title)
        self.subtitle = label(subtitle, "subtitle")
        self.body.addWidget(self.title)
        self.body.addWidget(self.subtitle)
        self.body.addSpacing(4)
        # Resizable, and height-for-width aware: a wrapped label needs more height at a narrower
        # width, and QScrollArea (Qt 6) gives its widget the height its layout needs for the
        # viewport's width whenever either changes (tests/gui/test_gui_layout.py checks it).
        self.setWidget(body)

    def add(self, widget: QWidget) -> QWidget:
        self.body.addWidget(widget)
        return widget

    def add_section(self, title: str, name: str | None = None) -> QLabel:
        self.body.addSpacing(6)
        self.body.addWidget(rule())
        header = label(title, "section", name=name)
        header.setAccessibleName(title)
        self.body.addWidget(header)
        return header

    def finish(self) -> None:
        """Push everything to the top: extra height goes below the last section."""
        self.body.addStretch(1)


class Notice(QFrame):
    """A coloured box with an optional badge ("BETA") and rich text; kind picks the colours."""

    BADGE_COLORS = {"beta": "#7B4FE0", "info": theme.ACCENT, "warning": theme.WARN, "error": theme.BAD, "success": theme.OK}

    def __init__(self, kind: str, text: str = "", badge: str | None = None, name: str | None = None) -> None:
        super().__init__()
        self.setProperty("role", "notice")
        if name:
            self.setObjectName(name)
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 12, 14, 12)
        row.setSpacing(12)
        self.badge = QLabel(badge or "")
        self.badge.setProperty("role", "badge")
        self.badge.setVisible(bool(badge))
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.badge.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        row.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        self.text = label(text)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        make_links(self.text)
        row.addWidget(self.text, 1)
        self.set_kind(kind)

    def set_kind(self, kind: str) -> None:
        self.setProperty("kind", kind)
        color = self.BADGE_COLORS.get(kind, theme.ACCENT)
        self.badge.setStyleSheet(f"background: {color};")
        repolish(self)

    def set_text(self, text: str, badge: str | None = None) -> None:
        self.text.setText(text)
        if badge is not None:
            self.badge.setText(badge)
            self.badge.setVisible(bool(badge))
        self.setAccessibleDescription(self.text.text())


class ValueForm(QWidget):
    """Key/value rows whose values can be selected and copied (paths, addresses, versions).

    A grid rather than QFormLayout: the grid gives a wrapped value the height it needs at the
    current width (QFormLayout cuts long wrapped values short), and every form's key column has
    the same width, so the pages line up.
    """

    KEY_WIDTH = 150

    @classmethod
    def grid(cls, owner: QWidget, row_spacing: int = 8) -> QGridLayout:
        """A form's grid on *owner*: keys in a column ``KEY_WIDTH`` wide, values in the rest.

        Other key/value rows (the General tab's target chooser) use it to line up with the forms.
        """
        grid = QGridLayout(owner)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(row_spacing)
        grid.setColumnMinimumWidth(0, cls.KEY_WIDTH)
        grid.setColumnStretch(1, 1)
        return grid

    def __init__(self, rows: list[tuple[str, str]], prefix: str) -> None:
        super().__init__()
        grid = self.grid(self)
        self.values: dict[str, QLabel] = {}
        for row, (key, caption) in enumerate(rows):
            k = label(caption, "formKey", wrap=False)
            v = label("…")
            v.setObjectName(f"{prefix}{key[0].upper()}{key[1:]}")
            v.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            v.setAccessibleName(caption)
            v.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            k.setBuddy(v)
            grid.addWidget(k, row, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            grid.addWidget(v, row, 1, Qt.AlignmentFlag.AlignTop)
            self.values[key] = v

    def set(self, key: str, text: str) -> None:
        self.values[key].setText(text)
        self.values[key].setAccessibleDescription(text)


class ElidedLabel(QLabel):
    """A one-line label that ends in "…" when narrow; ``text()`` keeps the whole text (QA reads it)."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(40, super().minimumSizeHint().height())

    def setText(self, text: str) -> None:  # noqa: N802 (Qt override)
        super().setText(text)
        self.setToolTip(text)
        self.updateGeometry()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        hint = super().sizeHint()
        return QSize(QFontMetrics(self.font()).horizontalAdvance(self.text()) + 4, hint.height())

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        shown = QFontMetrics(self.font()).elidedText(self.text(), Qt.TextElideMode.ElideRight, self.width())
        painter.drawText(self.rect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown)
        painter.end()


class StatusDot(QWidget):
    """A small filled circle: green running, grey stopped or unknown, amber warning, red error."""

    def __init__(self, color: str = theme.IDLE, diameter: int = 10) -> None:
        super().__init__()
        self._color = QColor(color)
        self._d = diameter
        self.setFixedSize(QSize(diameter + 2, diameter + 2))
        self.setAccessibleName("Engine state indicator")

    def set_color(self, color: str) -> None:
        self._color = QColor(color)
        self.update()

    def color(self) -> str:
        return self._color.name()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self._color)
        p.drawEllipse(1, 1, self._d, self._d)
        p.end()


def dot_icon(color: str, diameter: int = 10) -> QIcon:
    """A filled circle as an icon: availability in a combo box's list (green, red, grey)."""
    pixmap = QPixmap(diameter + 4, diameter + 4)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(color))
    p.drawEllipse(2, 2, diameter, diameter)
    p.end()
    return QIcon(pixmap)


def escape(text: object) -> str:
    """*text* for rich text: ``&``, ``<`` and ``>`` escaped (``html.escape(text, quote=False)``).

    By hand because importing :mod:`html` loads its entity table, a cost to the window's first
    paint, for three replacements.
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


RESULT_MARKS = {"ok": ("&#10003;", theme.OK), "error": ("&#10007;", theme.BAD), "warning": ("!", theme.WARN),
                "busy": ("", theme.MUTED), "info": ("", theme.MUTED)}


def result_html(kind: str, headline: str, detail: str = "") -> str:
    """One result line in the pages' shared wording: a coloured mark and headline, a muted detail.

    *headline* and *detail* are plain text (escaped here)."""
    mark, color = RESULT_MARKS.get(kind, RESULT_MARKS["info"])
    head = f'<span style="color:{color}">{mark + " " if mark else ""}<b>{escape(headline)}</b></span>'
    if kind in ("busy", "info"):
        head = f'<span style="color:{theme.MUTED}">{escape(headline)}</span>'
    return head + (f'<br><span style="color:{theme.MUTED}">{escape(detail)}</span>' if detail else "")


class ActionRow(QFrame):
    """One action, as Docker Desktop's Troubleshoot lists them: title and what it does, a button on
    the right, and below them the last result (or the step while it runs, with a busy bar)."""

    def __init__(self, title: str, description: str, button_text: str, button_name: str,
                 result_name: str, accessible: str | None = None) -> None:
        super().__init__()
        self.setProperty("role", "actionRow")
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 4, 0, 4)
        box.setSpacing(4)
        top = QHBoxLayout()
        top.setSpacing(16)
        words = QVBoxLayout()
        words.setSpacing(2)
        self.title = label(f"<b>{escape(title)}</b>")
        words.addWidget(self.title)
        self.description = label(description, "help")
        words.addWidget(self.description)
        top.addLayout(words, 1)
        self.button = QPushButton(button_text)
        self.button.setObjectName(button_name)
        self.button.setAccessibleName(accessible or button_text.rstrip("…"))
        self.button.setAccessibleDescription(description)
        self.button.setMinimumWidth(132)
        top.addWidget(self.button, 0, Qt.AlignmentFlag.AlignTop)
        box.addLayout(top)
        status = QHBoxLayout()
        status.setSpacing(10)
        self.busy = busy_bar()
        self.busy.setVisible(False)
        status.addWidget(self.busy, 0, Qt.AlignmentFlag.AlignVCenter)
        self.result = label("", name=result_name)
        self.result.setAccessibleName(f"Result: {title}")
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.result.setOpenExternalLinks(True)
        self.result.setVisible(False)
        status.addWidget(self.result, 1)
        box.addLayout(status)
        self.running = False

    def set_running(self, sentence: str, button_text: str | None = None) -> None:
        self.running = True
        self.button.setEnabled(False)
        if button_text:
            self.button.setText(button_text)
        self.busy.setVisible(True)
        self.show_result("busy", sentence)

    def finish(self, kind: str, headline: str, detail: str = "", button_text: str | None = None, extra_html: str = "") -> None:
        self.running = False
        self.busy.setVisible(False)
        self.button.setEnabled(True)
        if button_text:
            self.button.setText(button_text)
        self.show_result(kind, headline, detail, extra_html)

    def show_result(self, kind: str, headline: str, detail: str = "", extra_html: str = "") -> None:
        self.result.setProperty("resultKind", kind)
        self.result.setText(result_html(kind, headline, detail) + extra_html)
        self.result.setAccessibleDescription(" ".join(filter(None, [headline, detail])))
        self.result.setVisible(True)
