"""The Apply confirmation dialog itself: the window's look, the page's figures and cards, the gate's choice.

Built from a real catalog evaluation and a real :class:`gui.confirm.Confirmation` (as
:func:`gui.apply_text.confirmation_for` makes it), never shown modally: its buttons are clicked
as a user clicks them and their slots set the result, so no event loop blocks.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QWidget

from backend.known_issues import evaluate, load_catalog
from backend.stores import Store
from gui.apply_text import confirmation_for
from gui.confirm_dialog import ConfirmDialog
from gui.task_results import ApplyRequest, StoreImpact


class Inventory:
    """A store's figures as ``backend.inspect`` reports them (the fields the impact table reads)."""

    def __init__(self, images: int, containers: int, size: int) -> None:
        self.image_count, self.container_count, self.bytes, self.errors, self.readable = images, containers, size, [], True
        self.images, self.containers = [object()] * images, [object()] * containers


def facts(kubernetes_enabled: bool = True, **extra):
    """This machine's facts as probed (a managed engine 26.1.5 on amd64), then the draft's."""
    from backend.known_issues import draft_facts

    probed = {"engine_version": "26.1.5", "engine_arch": "amd64", "host_arch": "amd64", "buildx_version": "0.13.1",
              "data_root": "/var/lib/docker", "system_containerd": False, "reference_filter_supported": True,
              "live_store": "classic", "kind_in_use": False, "docker_hub_login": True}
    draft = draft_facts("containerd", kubernetes_enabled, {"registry-mirrors": ["https://mirror.gcr.io"]})
    return {**probed, **dict(draft), **extra}


def make(qtbot, evaluations, facts_probed=True, impact=None):
    request = ApplyRequest(store=Store.CONTAINERD, content=b"{}", restart=True)
    confirmation = confirmation_for(request, Store.CLASSIC, impact, evaluations, "daemon.json", None, facts_probed)
    parent = QWidget()
    parent.resize(1280, 800)
    qtbot.addWidget(parent)
    dialog = ConfirmDialog(parent, confirmation)  # the parent owns it (and closes it)
    dialog.keep_parent = parent  # a Python reference: the parent (and with it the dialog) lives as long as the test
    return confirmation, dialog


def test_a_blocker_makes_it_switch_anyway_with_cancel_the_default(qtbot):
    evaluations = [e for e in evaluate(load_catalog(), facts()) if e.shown]
    confirmation, dialog = make(qtbot, evaluations)
    assert dialog.objectName() == "applyConfirmation"
    accept = dialog.findChild(QPushButton, "confirmationAccept")
    cancel = dialog.findChild(QPushButton, "confirmationCancel")
    assert accept.accessibleName() == "Switch anyway" and accept.property("role") == "danger"
    assert cancel.isDefault() and not accept.isDefault()
    blockers = dialog.findChild(QWidget, "confirmationGroup-blocker")
    assert blockers is not None and "Blockers" in blockers.text()
    assert dialog.findChild(QWidget, "confirmIssue-kubernetes-incompatible") is not None
    refusal = dialog.findChild(QLabel, "confirmationRefusal").text()
    assert "kubernetes-incompatible" in refusal and "Switch anyway" in refusal and "--force" not in refusal
    cancel.click()
    assert dialog.result() == QDialog.DialogCode.Rejected


def test_without_a_blocker_accept_is_the_default_and_goes_ahead(qtbot):
    evaluations = [e for e in evaluate(load_catalog(), facts(kubernetes_enabled=False)) if e.shown]
    _, dialog = make(qtbot, evaluations)
    accept = dialog.findChild(QPushButton, "confirmationAccept")
    assert accept.accessibleName() == "Apply & restart" and accept.isDefault()
    assert dialog.findChild(QWidget, "confirmationGroup-blocker") is None
    accept.click()
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_a_maybe_is_listed_only_once_this_machines_facts_are_in(qtbot):
    unknown = facts(kubernetes_enabled=False)
    unknown.pop("buildx_version")
    evaluations = [e for e in evaluate(load_catalog(), unknown) if e.shown]
    assert any(e.applies == "maybe" for e in evaluations)
    checking, _ = make(qtbot, evaluations, facts_probed=False)
    assert all(line.applies == "yes" for line in checking.issues) and "still being checked" in checking.note
    probed, _ = make(qtbot, evaluations, facts_probed=True)
    assert any(line.applies == "maybe" for line in probed.issues) and not probed.note


def test_the_impact_table_has_the_pages_figures(qtbot):
    from gui.apply_text import impact_html

    impact = StoreImpact({Store.CLASSIC: Inventory(3, 2, 78_000), Store.CONTAINERD: Inventory(0, 0, 0)},
                         Store.CLASSIC, True, 0.1)
    confirmation, dialog = make(qtbot, [], impact=impact)
    table = dialog.findChild(QLabel, "confirmationImpact").text()
    assert "3 images · 2 containers" in table
    assert table in impact_html(impact, Store.CONTAINERD)  # the page's rows, the same figures
    assert "hidden" in " ".join(confirmation.consequences)


def test_the_screenshot_script_exists_for_the_docs():
    assert (Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "confirmation_shot.py").is_file()
