"""The administrator's policy (:mod:`backend.policy`) on the Experimental page.

* **Locked**: the checkbox and the snapshotter choice are disabled, and ``policyNotice`` says "Set
  by your administrator" with the policy's message and path. A draft that asks for another store
  or snapshotter (typed in the daemon.json editor) blocks Apply with the policy's own sentence, so
  Apply never offers to change it. When the engine's config is not on the policy's store yet, the
  draft is set to it once, when the window opens: Apply & restart brings the engine there through
  the usual journaled switch (Discard drops it).
* **Unlocked**: the default the window suggests on first run: when the profile has neither
  storeswitch's settings file nor a switch history (storeswitch never saved a choice or switched
  here), the draft is set to the policy's store once, as a pending change the user may apply or
  discard; afterwards the notice only says what the administrator suggests.
* **Cannot be used** (bad TOML, unknown key...): locked, with the problem (switching is refused
  until the administrator fixes it, as the CLI does). **Ignored** (others can write it): a warning
  notice, nothing locked.

The file is read again at every status refresh (a stat and a small file: the GUI thread can
afford it), so a policy the administrator deploys while the window is open takes effect.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from backend.policy import PolicyState, load_policy
from backend.profile import Profile
from backend.stores import DEFAULT_SNAPSHOTTER, Store
from gui import theme
from gui.draft import SettingsDraft
from gui.pages.experimental import ExperimentalPage
from gui.widgets import escape

PROBLEM_KEY = "policy"  # the draft's option problem while it asks for what the policy forbids


class PolicyLock(QObject):
    def __init__(self, page: ExperimentalPage, draft: SettingsDraft, profile: Profile, features: Any, parent: Any) -> None:
        super().__init__(parent)
        self.page, self.draft, self.profile, self.features = page, draft, profile, features
        self.state: PolicyState = load_policy()
        self.suggested = False
        draft.changed.connect(self._draft_changed)
        refreshed = getattr(parent, "statusRefreshed", None)
        if refreshed is not None:
            refreshed.connect(lambda _status: self.reload())
        self._show()
        self._suggest()

    def reload(self) -> None:
        """Read the policy again; show and enforce it when it changed."""
        state = load_policy(self.state.path)
        if state != self.state:
            self.state = state
            self._show()
            self._draft_changed()

    # --- what the page shows -------------------------------------------------------------
    def _show(self) -> None:
        s, p = self.state, self.state.policy
        path = f'<br><span style="color:{theme.MUTED}">Policy file: {escape(s.path)}</span>'
        if s.error is not None:
            text = (f"<b>Set by your administrator.</b> Its policy cannot be used ({escape(s.error)}), so the "
                    f"store cannot be changed here until it is fixed. Ask your administrator.{path}")
            self.page.show_policy(text, f"Set by your administrator: the policy {s.path} cannot be used.", "error")
        elif p is not None and p.locked:
            said = f"<br>{escape(p.message)}" if p.message else ""
            text = f"<b>Set by your administrator:</b> the {escape(self._choice(p))}.{said}{self._behind()}{path}"
            self.page.show_policy(text, "Set by your administrator" + (f": {p.message}" if p.message else "."))
        elif p is not None:
            said = f" {escape(p.message)}" if p.message else ""
            text = f"<b>Suggested by your administrator:</b> the {escape(self._choice(p))}.{said}{path}"
            self.page.show_policy(text, None)
        elif s.warning is not None:
            self.page.show_policy(f"<b>Your administrator's policy was ignored.</b> {escape(s.warning)}.", None, "warning")
        else:
            self.page.show_policy("", None)
        self.features.draft_changed()  # the snapshotter choice follows the lock

    @staticmethod
    def _choice(policy: Any) -> str:
        snapshotter = policy.snapshotter or policy.locked_snapshotter
        return policy.store.title + (f" with the snapshotter {snapshotter}" if snapshotter else "")

    def _behind(self) -> str:
        """A sentence when this engine's saved config is not on the locked policy's store yet."""
        saved, p = self.draft.saved_store, self.state.policy
        if p is None or saved is None or saved is p.store:
            return ""
        return (f"<br>This engine is configured for the {saved.title}: Apply &amp; restart brings it to the "
                f"{p.store.title} (or run <code>storeswitch apply-policy</code>).")

    # --- the draft -----------------------------------------------------------------------
    def _draft_changed(self) -> None:
        """A draft that asks for what the policy forbids blocks Apply, with the policy's sentence."""
        d = self.draft
        reason = self.state.refusal(d.store, d.storage_driver) if d.daemon_changed and d.store is not None else None
        d.set_option_problem(PROBLEM_KEY, reason[:1].upper() + reason[1:] if reason else None)

    def _suggest(self) -> None:
        """Once, when the window opens: a locked policy's store (or on first run an unlocked one's) in the draft."""
        p, d = self.state.policy, self.draft
        if self.suggested or p is None or d.dirty or d.store is None:
            return
        first_run = not self.profile.settings_path.exists() and not self.profile.history_path.exists()
        if not (p.locked or first_run):
            return
        self.suggested = True
        d.set_store(p.store)
        wanted = p.snapshotter or p.locked_snapshotter
        if wanted and p.store is Store.CONTAINERD and d.snapshotter != wanted:
            d.set_snapshotter(wanted if wanted != DEFAULT_SNAPSHOTTER else None)
