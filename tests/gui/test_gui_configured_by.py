"""The Experimental page says why the saved config means the store it does (``Status.configured_by``).

No Engine 29 binary is available to these machines: a stand-in ``dockerd`` that only answers
``--version`` with 29.1.0 gives the engine's version (the engine is not started). The rule itself is
tested row by row in tests/unit/test_store_choice.py.
"""

from __future__ import annotations

import stat

from PySide6.QtWidgets import QLabel


def test_experimental_page_shows_the_engine_29_reason_and_the_flip_note(tmp_path, profile, make_window):
    dockerd = tmp_path / "bin" / "dockerd"
    dockerd.parent.mkdir()
    dockerd.write_text("#!/bin/sh\n[ \"$1\" = --version ] && echo 'Docker version 29.1.0, build 0000000' && exit 0\nexit 1\n")
    dockerd.chmod(dockerd.stat().st_mode | stat.S_IXUSR)
    (profile.managed_data_root / "overlay2" / "layer").mkdir(parents=True)
    w = make_window("--profile", str(profile.config_dir.parent), "--target", "managed", "--dockerd", str(dockerd),
                    "--tab", "experimental")
    text = w.findChild(QLabel, "experimentalStoreState").text()
    assert "Configured: engine default: classic store (Engine 29:" in text and "is not empty" in text
    assert "Note: emptying" in text and "would flip this engine to the containerd store" in text
