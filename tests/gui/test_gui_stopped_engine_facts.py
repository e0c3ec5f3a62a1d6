"""A stopped managed engine: the confirmation and the known-issues list show no "may apply" issue
whose fact can be known without the engine.

The engine is installed (its dockerd binary is known) but not running. Its version then comes from
``dockerd --version`` and its architecture is the host's (it runs here), so ``engine-too-old`` (a
blocker) and the arm64 issue are decided, not "may apply". Issues on facts only a running engine
can give (the reference-filter probe) may still be "may apply". A real dockerd binary, a real
window; Apply is cancelled at the confirmation (nothing starts).
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QPushButton, QWidget

from backend.known_issues import load_catalog

KNOWABLE_WHEN_STOPPED = {"engine_version", "engine_arch", "host_arch"}


def test_confirmation_of_a_stopped_engine_has_no_knowable_maybe(engine_profile, make_window, confirmations, qtbot):
    confirmations.answer = False
    w = make_window("--profile", str(engine_profile.config_dir.parent), "--target", "managed")
    catalog = {issue.id: issue for issue in load_catalog()}
    w.findChild(QCheckBox, "useContainerdCheckbox").setChecked(True)
    qtbot.waitUntil(w.is_settled, timeout=30_000)
    listed = w.findChild(QWidget, "knownIssuesList").findChildren(QWidget)
    listed_ids = {c.objectName().removeprefix("knownIssue-") for c in listed if c.objectName().startswith("knownIssue-")}
    assert "engine-too-old" not in listed_ids and "arm-content-digest-not-found" not in listed_ids, listed_ids
    w.findChild(QPushButton, "applyRestartButton").click()
    qtbot.waitUntil(lambda: bool(confirmations.asked), timeout=30_000)
    confirmation = confirmations.asked[-1]
    for line in confirmation.issues:
        facts = set(catalog[line.id].fact_names)
        assert not (line.applies == "maybe" and facts & KNOWABLE_WHEN_STOPPED), (line.id, facts)
    assert "engine-too-old" not in {line.id for line in confirmation.issues}
