"""The settings model: the draft's rules, without Qt, for every front end (the window, the CLI).

A snapshot of what is saved plus the pending edits. The Experimental tab's checkbox and the Docker
Engine tab's JSON editor edit ONE draft: the daemon.json *text*. Ticking the box rewrites
``features.containerd-snapshotter`` in that text; typing in the editor changes the text and the box
follows what it now asks for. The Kubernetes box edits ``kubernetes`` (the target's Kubernetes
setting, :mod:`backend.kubernetes_setting`). Apply writes the draft (the full daemon.json text, so
keys edited by hand are written too); Discard drops it back to the snapshot. ``gui/draft.py`` adapts
this class to a Qt signal; nothing here imports Qt, so the rules are tested on their own
(``tests/unit/test_settings_model.py``).

The rules, each once:

- **daemon.json check, one wording**: :func:`check_daemon_json` is the backend's strict
  :func:`backend.daemon_config.parse` (the CLI's words: "line 2, column 16: a trailing comma ...";
  a store key that is not a JSON boolean is refused, as dockerd refuses it), shaped as a
  :class:`JsonProblem` with its line and column for the editor.
- **Store key and snapshotter**: ticking goes through the target's ``with_store``, which applies
  :func:`backend.daemon_config.plan_storage_driver` (the CLI's rule), so the editor shows exactly
  what Apply writes and :meth:`SettingsModel.storage_driver_note` words the change as the CLI does.
- **Restart**: :attr:`SettingsModel.needs_restart` follows the file's meaning and the target's
  ability (``Target.saves_without_restart``).
- **What blocks Apply**: :attr:`SettingsModel.apply_problem`. The known-issue refusal (``--force``)
  is :mod:`backend.gate`'s, which the CLI's switch and the window's confirmation both call.

Why text and not a dict: the editor must keep exactly what the user typed (formatting, key order,
even an error while they are mid-edit), and "unchanged" must mean "the same bytes as on disk" so
Apply is enabled only when something would really be written. When the box is put back to the
saved store and nothing else differs, the saved text comes back byte for byte. A daemon.json that
is unparsable *on disk* is never overwritten (fix it in a text editor and reload).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from backend.daemon_config import STORAGE_DRIVER_KEY, DaemonConfig, JsonSyntaxError, parse, plan_storage_driver, render
from backend.errors import ConfigError
from backend.stores import DEFAULT_SNAPSHOTTER, Store

EMPTY_CONFIG = "{}\n"


@dataclass(frozen=True)
class JsonProblem:
    """Why the draft's daemon.json cannot be applied; line/column are 1-based, 0 when unknown."""

    message: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}: " if self.line else ""
        return where + self.message


def check_daemon_json(text: str | bytes, name: str = "daemon.json") -> tuple[dict[str, Any] | None, JsonProblem | None]:
    """Parse *text* as the backend does (the store key's shape included): (data, None) or (None, why).

    The words are :func:`backend.daemon_config.parse`'s, without the file name the editor already shows.
    """
    try:
        return parse(text, name), None
    except JsonSyntaxError as exc:
        return None, JsonProblem(exc.what, exc.line, exc.column)
    except ConfigError as exc:
        return None, JsonProblem(str(exc).removeprefix(f"{name}: "))



class SettingsModel:
    """Saved state (the snapshot) and the user's pending edits to it, with the rules Apply obeys."""

    def __init__(
        self,
        config_path: Path,
        settings_path: Path,
        read_config: Callable[[], Any] | None = None,
        on_change: Callable[[], None] | None = None,
        saves_without_restart: bool = True,
    ) -> None:
        """*read_config* is the target's (it knows its file's store key: daemon.json's feature flag,
        Docker Desktop's ``UseContainerdSnapshotter``); without one the file is a daemon.json.
        *on_change* is called after every change of the draft or its snapshot (the window's adapter
        emits a signal). *saves_without_restart*: the target's ability (``Target.saves_without_restart``);
        where it is False, any change to the file restarts the engine."""
        self._on_change = on_change or (lambda: None)
        self.saves_without_restart = saves_without_restart
        self.config_path = Path(config_path)
        self._read_config = read_config
        self._base: Any = None  # the target's StoreConfig for the saved file, the model for the draft's text
        self._toggle: tuple[str, str] | None = None  # (text before a checkbox change, text it made)
        self.settings_path = Path(settings_path)
        self.saved_text = EMPTY_CONFIG
        self.saved_exists = False
        self.saved_problem: JsonProblem | None = None
        self.saved_kubernetes = False
        self.settings_error: str | None = None
        self.kubernetes_source: Any = None  # the target's Kubernetes setting; None: storeswitch's own
        self.kubernetes_state: Any = None  # its KubernetesState as last read (where, mode, locked)
        self.text = EMPTY_CONFIG
        self.kubernetes = False
        self._data: dict[str, Any] | None = {}
        self._problem: JsonProblem | None = None
        self._option_problems: dict[str, str] = {}  # a control's input that cannot go into the text

    def retarget(self, config_path: Path, read_config: Callable[[], Any] | None, saves_without_restart: bool = True) -> None:
        """Edit another target's file from now on (the General tab's target choice); reloads."""
        self.config_path = Path(config_path)
        self._read_config = read_config
        self.saves_without_restart = saves_without_restart
        self._option_problems.clear()
        self.load()

    # --- loading ------------------------------------------------------------------------
    def load(self, keep_edits: bool = False) -> None:
        """Read daemon.json and storeswitch's settings into the snapshot.

        With *keep_edits*, pending changes survive (after a refused Apply the user's text is
        kept so they can fix it); otherwise the draft becomes the snapshot.
        """
        dirty_text, dirty_k8s = self.daemon_changed, self.kubernetes_changed
        old_text, old_k8s = self.text, self.kubernetes
        self._read_daemon_json()
        self._read_settings()
        self.text = old_text if keep_edits and dirty_text else self.saved_text
        self.kubernetes = old_k8s if keep_edits and dirty_k8s else self.saved_kubernetes
        self._toggle = None
        self._reparse()
        self._on_change()

    def _read_daemon_json(self) -> None:
        self._base = None
        try:
            raw = self.config_path.read_bytes()
        except FileNotFoundError:
            self.saved_text, self.saved_exists, self.saved_problem = EMPTY_CONFIG, False, None
            return
        except OSError as exc:
            self.saved_text, self.saved_exists = EMPTY_CONFIG, True
            self.saved_problem = JsonProblem(f"{self.config_path} cannot be read ({exc.strerror}); check its permissions")
            return
        self.saved_exists = True
        self.saved_text = raw.decode("utf-8-sig", errors="replace")
        _, self.saved_problem = check_daemon_json(raw, self.config_path.name)
        if self.saved_problem is None and self._read_config is not None:
            try:
                self._base = self._read_config()
            except ConfigError as exc:
                self.saved_problem = JsonProblem(str(exc))

    def _read_settings(self) -> None:
        from backend.kubernetes_setting import OwnKubernetesSetting

        source = self.kubernetes_source or OwnKubernetesSetting(self.settings_path)
        state = self.kubernetes_state = source.load()
        self.saved_kubernetes, self.settings_error = state.enabled, state.error

    def file_differs(self) -> bool:
        """True when daemon.json on disk no longer holds the snapshot's bytes."""
        try:
            text = self.config_path.read_bytes().decode("utf-8-sig", errors="replace")
        except FileNotFoundError:
            return self.saved_exists
        except OSError:
            return False
        return not self.saved_exists or text != self.saved_text

    # --- editing ------------------------------------------------------------------------
    def set_text(self, text: str) -> None:
        """The JSON editor's whole text."""
        if text == self.text:
            return
        self.text = text
        self._reparse()
        self._on_change()

    def set_store(self, store: Store) -> None:
        """The checkbox: ask for *store* in the config text, every other key kept.

        Changing it back restores the text as it was before, byte for byte (so ticking and
        unticking leaves nothing to apply).
        """
        config = self._config()
        if config is None or self.store is store:
            return
        if self._toggle is not None and self.text == self._toggle[1] and self._store_of(self._toggle[0]) is store:
            before, self._toggle = self._toggle[0], None
            self.set_text(before)
            return
        before = self.text
        try:
            new = config.with_store(store).decode("utf-8")
        except ConfigError as exc:
            self._problem = JsonProblem(str(exc))
            self._on_change()
            return
        self.set_text(new)
        self._toggle = (before, new)

    def set_key(self, key: str, value: Any) -> None:
        """Set (or with ``None`` remove) one top-level daemon.json key; for controls such as a snapshotter choice."""
        if self._data is None:
            return
        new = json.loads(json.dumps(self._data))
        if value is None:
            new.pop(key, None)
        else:
            new[key] = value
        saved, _ = check_daemon_json(self.saved_text)
        self.set_text(self.saved_text if new == saved else render(new).decode("utf-8"))

    def set_snapshotter(self, name: str | None) -> None:
        """The snapshotter choice: ``storage-driver`` in the text (the containerd store only).

        The default (``overlayfs``, or an empty choice) is written as no key at all, unless the
        saved file names it explicitly, so choosing the default on an untouched file changes nothing.
        """
        if self._data is None or self.store is not Store.CONTAINERD:
            return
        name = (name or "").strip() or DEFAULT_SNAPSHOTTER
        if name == self.snapshotter:
            return
        saved = (self.saved_data or {}).get(STORAGE_DRIVER_KEY)
        self.set_key(STORAGE_DRIVER_KEY, None if name == DEFAULT_SNAPSHOTTER and saved != name else name)

    @staticmethod
    def snapshotter_problem(name: str | None) -> str | None:
        """Why *name* cannot be a snapshotter (containerd's plugin-name rule), or None."""
        from backend.snapshotter_names import check_name

        try:
            check_name(name) if name else None
        except ConfigError as exc:
            return str(exc)[:1].upper() + str(exc)[1:]
        return None

    def choose_snapshotter(self, name: str | None) -> str | None:
        """The snapshotter choice as typed: a name containerd could not have is not written but blocks
        Apply (its sentence is returned, and is :attr:`apply_problem`); a valid one goes into the text."""
        problem = self.snapshotter_problem(name)
        self.set_option_problem(STORAGE_DRIVER_KEY, problem)
        if problem is None:
            self.set_snapshotter(name)
        return problem

    @property
    def storage_driver(self) -> str | None:
        """``storage-driver`` in the draft (None when unset, not a string, or the text has an error)."""
        value = (self._data or {}).get(STORAGE_DRIVER_KEY)
        return value if isinstance(value, str) else None

    @property
    def snapshotter(self) -> str:
        """The snapshotter the containerd store would use with this draft (the default when unset)."""
        return self.storage_driver or DEFAULT_SNAPSHOTTER

    def storage_driver_note(self) -> str | None:
        """What Apply does to ``storage-driver``, worded as the backend words it (None: unchanged).

        The same :func:`~backend.daemon_config.plan_storage_driver` the CLI's switch uses: when
        the draft did what a plain switch does (dropped a snapshotter on the way to classic,
        dropped overlay2 on the way to containerd), its note; a chosen snapshotter, its note.
        """
        saved, data, store = self.saved_data, self._data, self.store
        if saved is None or data is None or store is None:
            return None
        before, after = saved.get(STORAGE_DRIVER_KEY), data.get(STORAGE_DRIVER_KEY)
        if before == after:
            return None
        try:
            plain = plan_storage_driver(saved, store)
            if plain.after == after and plain.note:
                return plain.note
            if store is Store.CONTAINERD and isinstance(after, str):
                return plan_storage_driver(saved, store, after).note
        except ConfigError:
            pass
        if after is None:
            return f"'{STORAGE_DRIVER_KEY}: {before}' is removed from {self.config_path.name}"
        return f"'{STORAGE_DRIVER_KEY}' is set to {json.dumps(after)} in {self.config_path.name}" + (
            f" (it was {json.dumps(before)})" if before is not None else "")

    def set_option_problem(self, key: str, message: str | None) -> None:
        """A control (the snapshotter choice) holds input that cannot be written; it blocks Apply."""
        if message:
            if self._option_problems.get(key) == message:
                return
            self._option_problems[key] = message
        elif self._option_problems.pop(key, None) is None:
            return
        self._on_change()

    @property
    def option_problems(self) -> dict[str, str]:
        return dict(self._option_problems)

    @property
    def blocker(self) -> str | None:
        """Why Apply is blocked (the text's problem, or a control's), or None."""
        if self.problem is not None:
            return str(self.problem)
        return next(iter(self._option_problems.values()), None)

    def set_kubernetes(self, enabled: bool) -> None:
        if enabled == self.kubernetes:
            return
        self.kubernetes = bool(enabled)
        self._on_change()

    def discard(self) -> None:
        """Drop every pending edit: the draft is the snapshot again."""
        self._option_problems.clear()
        self.text, self.kubernetes = self.saved_text, self.saved_kubernetes
        self._reparse()
        self._on_change()

    def _reparse(self) -> None:
        self._data, self._problem = check_daemon_json(self.text, self.config_path.name)
        self._store: Store | None = None
        if self._data is not None:
            try:
                self._store = self._config().store
            except ConfigError as exc:
                self._data, self._problem = None, JsonProblem(str(exc).removeprefix(f"{self.config_path}: "))

    def _config(self, text: str | None = None) -> Any:
        """The target's StoreConfig for *text* (default: the draft's), or None when it does not parse."""
        text = self.text if text is None else text
        data, problem = (self._data, self._problem) if text == self.text else check_daemon_json(text)
        if problem is not None or data is None:
            return None
        base = self._base if self._base is not None else DaemonConfig(self.config_path, None, {})
        config = copy.copy(base)
        config.raw = text.encode("utf-8") if self.saved_exists or text != EMPTY_CONFIG else None
        config.data = data
        return config

    def _store_of(self, text: str) -> Store | None:
        try:
            config = self._config(text)
            return config.store if config is not None else None
        except ConfigError:
            return None

    # --- what the draft is --------------------------------------------------------------
    @property
    def data(self) -> dict[str, Any] | None:
        """The draft's daemon.json as a dict, or None while it has an error."""
        return self._data

    @property
    def saved_data(self) -> dict[str, Any] | None:
        data, _ = check_daemon_json(self.saved_text)
        return data

    @property
    def problem(self) -> JsonProblem | None:
        """Why Apply is blocked by the daemon.json text, or None."""
        if self._problem is not None:
            return self._problem
        if self.saved_problem is not None and self.daemon_changed:
            return JsonProblem(
                f"{self.config_path} on disk has an error ({self.saved_problem}), and storeswitch never "
                "overwrites a file it cannot parse. Fix it in a text editor, then press Discard to reload it."
            )
        return None

    @property
    def store(self) -> Store | None:
        """The store the draft asks for, or None while the text has an error."""
        return self._store

    @property
    def saved_store(self) -> Store | None:
        return self._store_of(self.saved_text)

    @property
    def daemon_changed(self) -> bool:
        return self.text != self.saved_text

    @property
    def kubernetes_changed(self) -> bool:
        return self.kubernetes != self.saved_kubernetes

    @property
    def dirty(self) -> bool:
        return self.daemon_changed or self.kubernetes_changed

    @property
    def needs_restart(self) -> bool:
        """True when the engine must restart to take the draft: daemon.json means something else, or
        the target cannot write its file without a restart (the system engine through its helper)."""
        if not self.daemon_changed or self._data is None:
            return False
        return self._data != self.saved_data or not self.saves_without_restart

    @property
    def apply_problem(self) -> str | None:
        """Why Apply cannot run now (the text's or a control's problem, or a Kubernetes change whose
        settings file cannot be read), or None."""
        if self.blocker is not None:
            return self.blocker
        if self.kubernetes_changed and self.settings_error:
            return self.settings_error
        return None

    def content(self) -> bytes:
        """The bytes Apply writes as daemon.json."""
        text = self.text if self.text.strip() else EMPTY_CONFIG
        return (text if text.endswith("\n") else text + "\n").encode("utf-8")
