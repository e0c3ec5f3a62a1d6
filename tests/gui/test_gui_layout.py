"""How the pages lay out: wrapped text gets the height it needs, at every width, as content changes.

The pages are scroll areas whose body is as wide as the viewport; a label that wraps needs more
height when the window is narrower or its text grows, and must get it (rows overlapping or cut
off was the bug class this guards). Also the theme's sizes: one window font, roles that differ.
"""

from __future__ import annotations

from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QCheckBox, QLabel, QScrollBar

from tests.gui.conftest import find


def needed_height(page) -> int:
    body = page.widget()
    return body.layout().totalHeightForWidth(body.width())


def test_a_page_gives_wrapped_text_the_height_it_needs(qtbot):
    from gui.widgets import SettingsPage, label

    page = SettingsPage("testPage", "Title", "A subtitle that wraps. " * 20)
    qtbot.addWidget(page)
    page.resize(500, 400)
    page.show()
    qtbot.waitExposed(page)
    labels = [page.add(label("Some text that needs several lines at this width. " * 3)) for _ in range(12)]
    qtbot.waitUntil(lambda: page.widget().height() == needed_height(page))
    short = page.widget().height()
    for each in labels:  # the text grows
        each.setText(each.text() * 2)
    qtbot.waitUntil(lambda: page.widget().height() == needed_height(page))
    grown = page.widget().height()
    page.resize(300, 400)  # the window gets narrower: more lines each
    qtbot.waitUntil(lambda: page.widget().height() == needed_height(page))
    assert short < grown < page.widget().height()
    assert page.verticalScrollBar().maximum() > 0  # and the page scrolls to all of it


def test_the_real_pages_are_not_cut_at_a_small_window(make_window, profile):
    w = make_window("--profile", str(profile.config_dir.parent), "--size", "900x600")
    w.show()
    for name in ("generalPage", "dockerEnginePage", "kubernetesPage", "experimentalPage", "troubleshootPage"):
        w.show_tab(name)
        page = find(w, name)
        page.widget().layout().activate()
        assert page.widget().height() >= needed_height(page), name


def test_one_window_font_and_the_sizes_roles_ask_for(make_window, profile):
    from gui import theme

    w = make_window("--profile", str(profile.config_dir.parent), "--tab", "experimental")
    w.show()
    px = lambda widget: QFontInfo(widget.font()).pixelSize()  # noqa: E731
    assert px(find(w, "switchExplanation", QLabel)) == theme.FONT_PX
    assert px(find(w, "engineStatus", QLabel)) == theme.FONT_PX
    assert px(find(w, "experimentalPageTitle", QLabel)) == 22
    assert px(find(w, "useContainerdCheckbox", QCheckBox)) == 14
    assert px(find(w, "appName", QLabel)) == 15
    bar = find(w, "experimentalPage").verticalScrollBar()
    assert isinstance(bar, QScrollBar) and bar.sizeHint().width() == 12  # drawn from the stylesheet's rules
