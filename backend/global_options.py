"""The options every storeswitch program takes: ``--profile``, ``--target`` and ``--dockerd``.

``storeswitch`` (:mod:`backend.cli`) and ``storeswitch-gui`` (:mod:`gui.app`) parse the same
three, with the same environment defaults; kept apart from the CLI so the GUI loads only these.
"""

from __future__ import annotations

import argparse
import os

from backend.targets.detect import TARGET_NAMES


def add_global_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by the CLI and the GUI (``storeswitch-gui`` accepts the same)."""
    parser.add_argument("--profile", metavar="DIR", default=os.environ.get("STORESWITCH_PROFILE"),
                        help="keep every storeswitch file under DIR (default: the platform's user dirs; env STORESWITCH_PROFILE)")
    parser.add_argument("--target", choices=TARGET_NAMES, default=None,
                        help="which engine to switch (default: auto: Docker Desktop, else a system or rootless "
                             "engine that answers, else the managed engine; env STORESWITCH_TARGET)")
    parser.add_argument("--dockerd", metavar="PATH", default=os.environ.get("STORESWITCH_DOCKERD"),
                        help="the dockerd the managed engine runs, and that validates a config for the "
                             "system and rootless engines (env STORESWITCH_DOCKERD)")
