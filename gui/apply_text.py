"""What Apply says: the confirmation before it, the headline after a refusal, the impact text.

Words only (no widgets), so the window stays about wiring and these sentences can be read and
tested in one place. The backend's own messages (the engine's reason, what was restored) are
shown as they are; these add the headline and the consequences a user weighs before a restart.
"""

from __future__ import annotations

import html
from typing import Any, Iterable

from backend.stores import Store
from gui import theme
from gui.confirm import Confirmation, IssueLine
from gui.task_results import ApplyFailure, ApplyRequest, StoreImpact


def counted(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def impact_sentence(impact: StoreImpact, store_after: Store | None) -> str:
    """The backend's sentence (``backend.inspect.impact_sentence``) for a switch to *store_after*."""
    from backend.inspect import impact_sentence as sentence

    after = store_after or (impact.current.other if impact.current else Store.CONTAINERD)
    return sentence(impact.inventories, impact.current, after)


def _figures(inv: Any) -> str:
    from backend.inspect import human_bytes

    if not getattr(inv, "readable", True):
        return "not readable from the host (inside Docker Desktop's VM)"
    parts = [counted(inv.image_count, "image"), counted(inv.container_count, "container")]
    if inv.bytes is not None:
        parts.append(human_bytes(inv.bytes))
    return " · ".join(parts)


def impact_html(impact: StoreImpact, store_after: Store | None, sentence: bool = True) -> str:
    """``switchImpact``: the sentence, then one row per store with its figures and what a switch does to it.

    Rows read like the sketch: "Classic store  12 images · 3 containers · 4.2 GB  → hidden".
    When the draft asks for the store that runs, the rows say which is in use and which hidden.
    Without *sentence*, the rows alone (the confirmation states the sentence among its consequences).
    """
    current = impact.current
    after = store_after or current
    rows = []
    for store in (Store.CLASSIC, Store.CONTAINERD):
        inv = impact.inventories.get(store)
        if inv is None:
            continue
        title = "Classic store" if store is Store.CLASSIC else store.title  # "containerd" keeps its lower case
        now = ""
        if store is current:
            now = " (in use)" if impact.engine_running else " (configured)"
        if current is None or after is None:
            fate, color = "", theme.MUTED
        elif after is not current:
            fate, color = ("→ hidden after the switch", theme.WARN) if store is current else ("→ shown after the switch", theme.OK)
        else:
            fate, color = ("shown", theme.OK) if store is current else ("hidden while not in use", theme.MUTED)
        warn = f' <span style="color:{theme.WARN}">(some files unreadable)</span>' if inv.errors else ""
        rows.append(
            f"<tr><td style='padding:2px 18px 2px 0'><b>{title}</b>{now}</td>"
            f"<td style='padding:2px 18px 2px 0'>{_figures(inv)}{warn}</td>"
            f"<td style='padding:2px 0; color:{color}'>{fate}</td></tr>"
        )
    text = html.escape(impact_sentence(impact, after), quote=False) if sentence else ""
    table = f"<table cellspacing='0' style='margin-top:6px'>{''.join(rows)}</table>" if rows else ""
    return f"{text}{table}"


def confirmation_for(
    request: ApplyRequest,
    old: Store | None,
    impact: StoreImpact | None,
    evaluations: Iterable[Any],
    config_name: str,
    catalog_error: str | None = None,
    facts_probed: bool = True,
) -> Confirmation | None:
    """The confirmation Apply needs, or None (nothing restarts and the gate does not refuse).

    The gate is the CLI's (:func:`backend.gate.known_issue_refusal` with ``force=False``): what
    would make ``storeswitch switch`` exit 4 or 6 makes the accept button "Switch anyway" here.
    Known issues: those that apply, and those that may apply because a fact truly cannot be
    learned here; before this machine's facts are in (*facts_probed*), a "may apply" only means
    "not checked yet", so it is left out and a note says the list may grow.
    """
    from backend.gate import known_issue_refusal

    evaluations = [e for e in evaluations if e.applies == "yes" or facts_probed]
    lines = [IssueLine(e.issue.id, e.issue.severity, e.applies, e.issue.title, e.issue.workaround or "", e.blocks)
             for e in evaluations]
    restart = request.store is not None and request.restart
    after = request.store or old
    refused = None
    if after is not None and (restart or not catalog_error):
        refused = known_issue_refusal(after, evaluations, force=False, unchanged=lambda: False,
                                      catalog_error=catalog_error, how_to_force='choose "Switch anyway"')
    if not restart and refused is None:
        return None
    new = request.store
    switching = new is not None and old is not None and new is not old
    consequences = []
    if restart:
        consequences.append("The engine stops for a few seconds; running containers stop with it.")
        if switching:
            if impact is not None and impact.current is old:
                consequences.append(impact_sentence(impact, new) + " Switching back shows them again.")
            else:
                consequences.append(f"The {old.title}'s images and containers will be hidden, not deleted; "
                                    "switching back shows them again.")
        consequences.extend(request.notes)
        consequences.append(
            f"If the engine refuses the new configuration, {config_name} is restored and the engine "
            f"restarted as it was{f' on the {old.title}' if old else ''}."
        )
        if switching:
            title, question = f"Switch to the {new.title}?", f"storeswitch will save {config_name} and restart the engine on the {new.title}."
        else:
            title, question = "Restart the engine?", f"storeswitch will save {config_name} and restart the engine with it."
    else:
        title, question = "Apply anyway?", "A known issue that blocks these settings applies on this machine."
    table = impact_html(impact, new, sentence=False) if restart and switching and impact is not None and impact.current is old else ""
    note = "" if facts_probed else "This machine is still being checked: issues that may apply are not listed yet."
    return Confirmation(title, question, consequences, lines, accept_label="Apply & restart" if restart else "Apply",
                        refusal=refused.message if refused is not None else "", impact=table, note=note,
                        evaluations=evaluations)


def failure_headline(failure: ApplyFailure, config_name: str) -> str:
    """The first line of the red result: what was refused and which store the engine runs now."""
    wanted, running = failure.wanted, failure.running
    if failure.busy:
        return "Another switch is in progress."
    if failure.needs_force:
        return "Not applied: this needs your decision first. Nothing was changed."
    if wanted is None:
        return "The settings could not be saved."
    if running is not None and running is not wanted:
        return f"The switch to the {wanted.title} was refused. The engine runs the {running.title}, as before."
    if running is not None:
        return f"The new {config_name} was refused. The engine runs the {running.title} with its previous configuration."
    return "Applying failed. The engine is not running now."
