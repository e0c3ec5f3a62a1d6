"""gui.platform_check: when Qt would use xcb, and what it prints for missing libraries.

The loader's answer itself (a library really missing, under Xvfb) is tested in
tests/system/test_qt_platform_check.py; here the decisions around it.
"""

from __future__ import annotations

import pytest

from gui import platform_check
from gui.platform_check import debian_package, install_commands, uses_xcb, xcb_problem


@pytest.mark.parametrize("env,expected", [
    ({"DISPLAY": ":0"}, True),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, True),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb:nograb"}, True),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland;xcb"}, False),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, False),
    ({"QT_QPA_PLATFORM": "xcb"}, False),
    ({}, False),
])
def test_uses_xcb(env, expected):
    assert uses_xcb(env) is expected


@pytest.mark.parametrize("soname,package", [
    ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ("libxcb-render-util.so.0", "libxcb-render-util0"),
    ("libX11-xcb.so.1", "libx11-xcb1"),
])
def test_debian_package_names(soname, package):
    assert debian_package(soname) == package


def test_the_message_names_each_library_and_both_commands(monkeypatch, tmp_path):
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"")
    monkeypatch.setattr(platform_check, "xcb_plugin", lambda: plugin)
    monkeypatch.setattr(platform_check, "missing_libraries", lambda p: ["libxcb-cursor.so.0", "libxcb-keysyms.so.1"])
    text = xcb_problem({"DISPLAY": ":0"})
    assert "libxcb-cursor.so.0, libxcb-keysyms.so.1 are missing" in text
    assert "sudo apt-get install libxcb-cursor0 libxcb-keysyms1" in text
    assert "sudo dnf install 'libxcb-cursor.so.0()(64bit)' 'libxcb-keysyms.so.1()(64bit)'" in text
    assert xcb_problem({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}) is None
    monkeypatch.setattr(platform_check, "missing_libraries", lambda p: [])
    assert xcb_problem({"DISPLAY": ":0"}) is None


def test_the_real_plugin_is_found_and_checked():
    plugin = platform_check.xcb_plugin()
    assert plugin is not None and plugin.name == "libqxcb.so"
    assert isinstance(platform_check.missing_libraries(plugin), list)


def test_main_exits_1_with_the_message(monkeypatch, capsys):
    from gui import app

    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("QT_QPA_PLATFORM")
    monkeypatch.setattr(platform_check, "missing_libraries", lambda p: ["libxcb-icccm.so.4"])
    assert app.main([]) == 1
    err = capsys.readouterr().err
    assert "storeswitch-gui: Qt's X11 platform plugin (xcb) cannot load: libxcb-icccm.so.4 is missing" in err
    assert install_commands(["libxcb-icccm.so.4"])[0] in err
