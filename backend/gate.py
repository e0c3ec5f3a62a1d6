"""The gate before a switch: whether known issues refuse it, decided once for every front end.

The rule (the CLI's ``switch`` and ``apply-policy``, the window's Apply, a fleet tool):

- a blocker known issue that surely applies (:attr:`backend.known_issues.Evaluation.blocks`)
  refuses the switch (exit 4) unless forced (``--force``; the window's "Switch anyway");
- a catalog that cannot be loaded refuses it too (exit 6) unless forced: its blockers could not
  be enforced otherwise;
- the administrator's policy may forbid forcing either (``allow_force = false``: exit 5);
- **a switch that changes nothing is never refused** (the config names the store and the engine
  already runs it): refusing it would only stop a no-op.

Plain data in, a :class:`Refusal` or None out: no printing, no Qt, no exit. The CLI prints the
refusal and exits with its code; the window turns "refused unless forced" into a confirmation
whose accept button reads "Switch anyway". Whether the switch changes nothing is asked lazily
(*unchanged* is called only when the answer matters), since it pings the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from backend.stores import Store, running_store

EXIT_BLOCKED = 4  # a blocker known issue applies (--force)
EXIT_POLICY = 5  # the administrator's policy refuses (= backend.policy.EXIT_POLICY)
EXIT_NEEDS_FORCE = 6  # another reason --force overrides (the catalog cannot be loaded, unstarted edits)

EXIT_CODES = {"BlockedByKnownIssue": EXIT_BLOCKED, "PolicyRefused": EXIT_POLICY, "CatalogUnavailable": EXIT_NEEDS_FORCE}


@dataclass(frozen=True)
class Refusal:
    """Why the gate refuses a switch: the sentence for the user and its kind (an exit code)."""

    message: str
    kind: str  # "BlockedByKnownIssue" | "CatalogUnavailable" | "PolicyRefused"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.kind]

    @property
    def forcible(self) -> bool:
        """Forcing would let the switch through (not so for the policy's refusal)."""
        return self.kind != "PolicyRefused"


def blockers(evaluations: Iterable[Any]) -> list[Any]:
    """The evaluations that block a switch: the rule is :attr:`Evaluation.blocks`, nowhere else."""
    return [ev for ev in evaluations if ev.blocks]


def known_issue_refusal(
    to: Store,
    evaluations: Iterable[Any],
    *,
    force: bool,
    unchanged: Callable[[], bool],
    catalog_error: str | None = None,
    force_refusal: str | None = None,
    how_to_force: str = "run again with --force",
) -> Refusal | None:
    """The gate's answer for a switch to *to* given the known issues' *evaluations*.

    *catalog_error*: the sentence saying the catalog could not be loaded (then *evaluations* is
    empty). *force_refusal*: why the administrator's policy does not let *force* override.
    *how_to_force*: the front end's words for forcing (the window: "choose Switch anyway").
    """
    to = Store(to)
    if catalog_error:
        if force and force_refusal and not unchanged():
            return Refusal(f"{catalog_error}; {force_refusal}", "PolicyRefused")
        if force or unchanged():
            return None
        return Refusal(f"switch to the {to.title} refused: {catalog_error}, so its blocker issues cannot be "
                       f"checked. Nothing was changed. Fix or reinstall the catalog, or {how_to_force} "
                       "to switch without the check.", "CatalogUnavailable")
    blocking = blockers(evaluations)
    if not blocking:
        return None
    if force and force_refusal and not unchanged():
        return Refusal(force_refusal, "PolicyRefused")
    if force or unchanged():
        return None
    names = ", ".join(f"{ev.id} ({'; '.join([ev.issue.title, *ev.found])})" for ev in blocking)
    return Refusal(f"switch to the {to.title} refused: a blocker known issue applies: {names}. Nothing was "
                   f"changed. Follow the workaround above, or {how_to_force} to switch anyway.",
                   "BlockedByKnownIssue")


def already_on(target: Any, to: Store) -> bool:
    """A switch of *target* to *to* changes nothing: its config names *to* and its engine runs it.

    An engine that does not run is not "already on": a switch would start it.
    """
    from backend.errors import ConfigError

    try:
        if target.read_config().store is not Store(to):
            return False
    except ConfigError:
        return False
    return running_store(target, timeout=5) is Store(to)
