"""The window's look: a light, Docker Desktop-like settings app on Qt's Fusion style.

One stylesheet, scoped to the settings window (tests and other windows keep Qt's defaults), and
a palette whose highlight is the accent colour, so Fusion's checkboxes and focus frames match the
buttons. Widgets pick their variant with a ``role`` dynamic property (``role="title"``,
``role="primary"`` ...) instead of per-widget style strings, which keeps the look in this file.

The text size (``FONT_PX``) is the application's font, which every widget inherits (dialogs,
combo boxes and progress text too), not a stylesheet rule: stylesheet fonts do not propagate, so
the sheet needed a ``font-size`` for every QLabel, QCheckBox and QPushButton, and that rule
outranked the sizes meant for the checkbox and the app name. The stylesheet sets sizes only
where a role differs (titles, section headers, badges, the section list).

Scroll bars have rules here: one the stylesheet does not describe is drawn by Fusion through the
stylesheet style, which is slow at every paint and at the first layout of each scroll bar shown
(benchmarks/gui_startup.py; docs/performance.md); drawn from the rules it costs next to nothing, and the thin scroll
bars suit the look.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory, QWidget

ACCENT = "#1D63ED"
ACCENT_DARK = "#1550C4"
TEXT = "#17191E"
MUTED = "#5B6170"
BORDER = "#DDE0E5"
SIDEBAR = "#F5F6F8"
OK = "#1E8E3E"
WARN = "#B06000"
BAD = "#C5221F"
IDLE = "#8A9099"
FONT_PX = 13  # the window's text size; roles that differ say so in STYLESHEET

FUSION_PROPERTY = "storeswitchFusion"
"""Set on a QApplication known to run Fusion (``gui.app.application`` makes it so), so that
:func:`apply_theme` need not ask for the style: PySide builds the whole QStyle class (a dozen large
enums) the first time Python touches a style, and nothing else before first paint does."""

SEVERITY_COLORS = {  # background, border, text
    "blocker": ("#FDECEC", "#F3B8B8", "#A11A1A"),
    "warning": ("#FEF5E6", "#F6D7A7", "#8A4B00"),
    "info": ("#EAF2FE", "#BCD3FB", "#174EA6"),
    "maybe": ("#F3F4F6", "#D5D8DD", "#40454F"),
}

STYLESHEET = f"""
#settingsWindow {{ background: #FFFFFF; }}
#settingsWindow QScrollArea, QWidget[role="pageBody"] {{ background: #FFFFFF; }}

#sidebar {{ background: {SIDEBAR}; border-right: 1px solid {BORDER}; }}
#appName {{ font-size: 15px; font-weight: 600; }}
QListWidget#settingsSections {{ background: transparent; border: 0px; outline: 0; font-size: 14px; }}
#settingsSections::item {{ padding: 9px 12px; margin: 1px 0; border-radius: 6px; color: {TEXT}; }}
#settingsSections::item:hover {{ background: #EAECEF; }}
#settingsSections::item:selected {{ background: #E3ECFD; color: {ACCENT}; font-weight: 600; }}
#settingsSections:focus::item:selected {{ border: 1px solid #8DB0F6; }}

#settingsWindow QLabel[role="title"] {{ font-size: 22px; font-weight: 600; }}
#settingsWindow QLabel[role="subtitle"], #settingsWindow QLabel[role="help"] {{ color: {MUTED}; }}
#settingsWindow QLabel[role="section"] {{ font-size: 15px; font-weight: 600; }}
#settingsWindow QLabel[role="formKey"] {{ color: {MUTED}; }}
QFrame[role="rule"] {{ background: {BORDER}; max-height: 1px; min-height: 1px; border: none; }}

QCheckBox {{ font-size: 14px; spacing: 10px; }}
QCheckBox::indicator {{ width: 16px; height: 16px; }}
QCheckBox:disabled {{ color: {IDLE}; }}

QPushButton {{ background: #FFFFFF; border: 1px solid #C7CBD1; border-radius: 4px; padding: 7px 16px;
               font-weight: 500; min-height: 18px; }}
QPushButton:hover {{ background: #F2F4F7; }}
QPushButton:focus {{ border: 2px solid #8DB0F6; padding: 6px 15px; }}
QPushButton:disabled {{ color: #A3A8B0; border-color: #E1E3E7; background: #FAFAFB; }}
QPushButton[role="primary"] {{ background: {ACCENT}; color: #FFFFFF; border: 1px solid {ACCENT}; }}
QPushButton[role="primary"]:hover {{ background: {ACCENT_DARK}; }}
QPushButton[role="primary"]:focus {{ border: 2px solid #0B3A99; }}
QPushButton[role="primary"]:disabled {{ background: #B9CDF8; border-color: #B9CDF8; color: #FFFFFF; }}
QPushButton[role="link"] {{ border: none; background: transparent; color: {ACCENT}; padding: 2px 4px; }}

QPlainTextEdit {{ border: 1px solid #D5D8DD; border-radius: 4px; background: #FBFBFC; padding: 4px;
                  selection-background-color: #C9DAFB; selection-color: {TEXT}; }}
QPlainTextEdit:focus {{ border: 1px solid {ACCENT}; }}
QPlainTextEdit[invalid="true"] {{ border: 1px solid {BAD}; }}
QPlainTextEdit:read-only {{ background: #F7F8FA; }}

QFrame[role="notice"] {{ border-radius: 6px; }}
QFrame[kind="beta"] {{ background: #F4F0FF; border: 1px solid #DCD0FF; }}
QFrame[kind="info"] {{ background: #EAF2FE; border: 1px solid #BCD3FB; }}
QFrame[kind="warning"] {{ background: #FEF5E6; border: 1px solid #F6D7A7; }}
QFrame[kind="error"] {{ background: #FDECEC; border: 1px solid #F3B8B8; }}
QFrame[kind="success"] {{ background: #E7F5EC; border: 1px solid #B7E0C4; }}
QFrame[role="notice"] QLabel {{ background: transparent; }}
#settingsWindow QLabel[role="badge"] {{ border-radius: 3px; padding: 1px 6px; font-size: 11px; font-weight: 700; color: #FFFFFF; }}

#applyResult {{ padding: 0; }}
#bottomBar {{ background: #FAFBFC; border-top: 1px solid {BORDER}; }}
#pendingRestartLabel {{ color: {WARN}; font-weight: 600; }}
#draftStateLabel {{ color: {MUTED}; }}
QProgressBar#applyProgress {{ border: 1px solid #C9D6F2; border-radius: 4px; background: #F1F5FE;
                              text-align: left; padding-left: 8px; min-height: 22px; }}
QProgressBar#applyProgress::chunk {{ background: #CFE0FD; border-radius: 3px; }}

QComboBox {{ border: 1px solid #C7CBD1; border-radius: 4px; padding: 5px 10px; background: #FFFFFF; min-height: 20px; }}
QComboBox:focus {{ border: 1px solid {ACCENT}; }}
QComboBox:disabled {{ color: #A3A8B0; border-color: #E1E3E7; background: #FAFAFB; }}
QComboBox[invalid="true"] {{ border: 1px solid {BAD}; }}
QComboBox::drop-down {{ border: none; width: 22px; }}
QComboBox QAbstractItemView {{ border: 1px solid #C7CBD1; selection-background-color: #E3ECFD; selection-color: {TEXT}; padding: 2px; }}
QProgressBar[role="busyBar"] {{ border: none; background: #E6EAF0; border-radius: 3px; }}
QProgressBar[role="busyBar"]::chunk {{ background: {ACCENT}; border-radius: 3px; }}

QScrollBar:vertical {{ width: 12px; background: transparent; border: none; margin: 0; }}
QScrollBar:horizontal {{ height: 12px; background: transparent; border: none; margin: 0; }}
QScrollBar::handle {{ background: #C7CBD1; border-radius: 4px; margin: 2px; }}
QScrollBar::handle:vertical {{ min-height: 32px; }}
QScrollBar::handle:horizontal {{ min-width: 32px; }}
QScrollBar::handle:hover, QScrollBar::handle:pressed {{ background: #A3A8B0; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; border: none; background: none; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: none; }}

#knownIssuesList {{ background: transparent; }}
QFrame[role="issueCard"] {{ border-radius: 6px; }}
QFrame[role="issueCard"] QLabel {{ background: transparent; }}
"""


def apply_app_font() -> None:
    """Make ``FONT_PX`` the application's font (see the module docstring).

    Called before the window's widgets exist: a font changed under existing widgets reaches them
    through posted events, after their layouts were computed at the old size.
    """
    app = QApplication.instance()
    if app is not None and app.font().pixelSize() != FONT_PX:
        font = app.font()
        font.setPixelSize(FONT_PX)
        app.setFont(font)


def apply_theme(window: QWidget) -> None:
    """Fusion for the application (it is global), the stylesheet and accent for *window* only."""
    app = QApplication.instance()
    if app is not None and not app.property(FUSION_PROPERTY) and app.style().name().lower() != "fusion":
        app.setStyle(QStyleFactory.create("Fusion"))
        app.setProperty(FUSION_PROPERTY, True)
    palette = window.palette()
    palette.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    palette.setColor(QPalette.ColorRole.Window, QColor("#FFFFFF"))
    palette.setColor(QPalette.ColorRole.Base, QColor("#FFFFFF"))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.Text, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.Link, QColor(ACCENT))
    window.setPalette(palette)
    window.setStyleSheet(STYLESHEET)


def monospace_font() -> QFont:
    from PySide6.QtGui import QFontDatabase  # the editors' pages only, built after first paint

    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(max(font.pointSizeF(), 10.0))
    return font
