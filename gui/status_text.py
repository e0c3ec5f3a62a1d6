"""What the status line and the General tab say about the engine, from a backend ``Status``.

Plain functions, no widgets: every wording about engine state lives here, so the status line,
the General tab's notice and the tests agree. When something is missing (no dockerd, no root,
engine stopped, an unreadable daemon.json) the text says what and how to get it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from backend.stores import Store
from gui import theme

if TYPE_CHECKING:
    from backend.status import Status


@dataclass(frozen=True)
class EngineSummary:
    """One reading of the engine, worded for people."""

    color: str
    engine: str  # the status line's engine part ("Engine running · Docker 26.1.5")
    store: str  # the status line's live-store part
    pending: str = ""  # "restart pending" or ""
    problem_title: str = ""  # a notice for the General tab, when something needs the user
    problem: str = ""
    problem_kind: str = "info"
    can_start: bool = False  # a "Start engine" button makes sense
    can_restart_to_apply: bool = False  # "Restart to apply": the config asks for a store the engine does not run

    @property
    def line(self) -> str:
        parts = [self.engine, self.store] + ([self.pending] if self.pending else [])
        return " · ".join(p for p in parts if p)


CHECKING = EngineSummary(theme.IDLE, "Checking the engine…", "")


def store_name(store: Store | None, driver: str | None = None) -> str:
    if store is None:
        return "unknown"
    return store.title + (f" ({driver})" if driver else "")


def phrase_for(store: Store | None, driver: str | None) -> str:
    """The engine's words for what it runs, as ``backend.stores.store_phrase`` words ``/info``
    ("containerd store, snapshotter stargz"), from a store and a Driver already known."""
    if store is None:
        return "unknown"
    if not driver:
        return store.title
    return f"{store.title}, {'snapshotter' if store is Store.CONTAINERD else 'storage driver'} {driver}"


def live_phrase(status: Status) -> str:
    """The live store with the engine's own Driver name ("containerd store, snapshotter overlayfs")."""
    phrase = getattr(status.engine, "store_phrase", None)
    if isinstance(phrase, str) and phrase and status.engine.reachable:
        return phrase
    return store_name(status.live_store, status.engine.driver)


def needs_root(status: Status) -> bool:
    """The managed engine's dockerd runs only as root; an ordinary user cannot start it."""
    return status.runs_engine_itself and hasattr(os, "geteuid") and os.geteuid() != 0


def summarize(status: Status | None) -> EngineSummary:
    if status is None:
        return CHECKING
    e = status.engine
    configured = store_name(status.configured_store)
    if (getattr(status, "configured_by", None) or "").startswith("engine default"):
        configured += " (engine default)"  # the key is absent: the engine's own rule decides (Experimental says why)
    if status.switch_in_progress:
        return EngineSummary(theme.WARN, "A switch is in progress", f"configured: {configured}",
                             problem_title="A switch is in progress",
                             problem="Another storeswitch is switching this engine. Wait for it to finish; "
                                     "this window refreshes by itself.", problem_kind="warning")
    if not e.installed:
        return EngineSummary(
            theme.BAD, "No Docker Engine installed", f"configured: {configured}",
            problem_title="Docker Engine not installed",
            problem=_sentence(e.install_message) + " Your choices here are still saved to daemon.json; "
            "they take effect when an engine starts with it.",
            problem_kind="error",
        )
    if e.reachable:
        pending = "restart pending" if status.pending_restart else ""
        summary = EngineSummary(
            theme.OK, "Engine running", live_phrase(status), pending,
        )
        if status.pending_restart:
            summary = EngineSummary(
                theme.OK, summary.engine, summary.store, pending,
                problem_title="Restart pending",
                problem=f"{status.config_path} asks for the {configured}, but the engine runs the "
                f"{store_name(status.live_store)}. <b>Restart to apply</b> switches it there, with the checks "
                "and the rollback of a switch.",
                problem_kind="warning", can_restart_to_apply=True,
            )
    elif needs_root(status):
        summary = EngineSummary(
            theme.WARN, "Engine stopped: needs root", f"configured: {configured}",
            problem_title="The managed engine needs root",
            problem="dockerd cannot run as an ordinary user here. Start storeswitch as root "
            "(<code>sudo storeswitch-gui</code>), or choose another engine with <code>--target</code>. "
            "Changes you apply are saved and take effect when the engine starts.",
            problem_kind="warning",
        )
    else:
        summary = EngineSummary(
            theme.IDLE, "Engine stopped", f"configured: {configured}",
            problem_title="The engine is not running",
            problem=f"Nothing answers at <code>{e.host}</code>. Start it here or with "
            "<code>storeswitch engine start</code>; Apply & restart also starts it.",
            problem_kind="info", can_start=status.runs_engine_itself,
        )
    if status.config_error:
        return EngineSummary(
            theme.BAD, summary.engine, summary.store, summary.pending,
            problem_title="daemon.json cannot be read",
            problem=_sentence(status.config_error),
            problem_kind="error",
        )
    return summary


def _sentence(text: str) -> str:
    text = (text or "").strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
