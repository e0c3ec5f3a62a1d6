"""Placeholder entry point; the settings window is built in the GUI issue."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("storeswitch-gui: the settings window is not built yet; use `storeswitch status`", file=sys.stderr)
    return 1
