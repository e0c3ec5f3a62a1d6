"""The errors storeswitch reports to people.

Each carries a message written for the user: what failed, which file or key, and what to do
next. The CLI prints ``str(error)``; the GUI shows it in the result line.
"""

from __future__ import annotations


class StoreswitchError(Exception):
    """Base for every error meant to be shown to a user as it is."""


class EngineError(StoreswitchError):
    """The Docker Engine could not be reached or answered with an error."""


class EngineUnreachable(EngineError):
    """Nothing answered at the engine's address."""


class EngineAPIError(EngineError):
    """The engine answered with an HTTP error; ``message`` is the engine's own text."""

    def __init__(self, status: int, message: str, path: str = "") -> None:
        self.status = status
        self.message = message
        self.path = path
        super().__init__(f"the engine refused {path or 'the request'} ({status}): {message}")


class ConfigError(StoreswitchError):
    """A configuration file could not be read or parsed; it is left untouched."""


class SwitchError(StoreswitchError):
    """A switch was refused or failed; the message says whether the old store was restored."""


class SwitchInProgress(SwitchError):
    """Another switch holds the lock."""


class EngineNotInstalled(StoreswitchError):
    """No dockerd binary is available for the managed engine."""


class NeedsForce(SwitchError):
    """Refused for a reason other than a blocker known issue; ``--force`` overrides (exit 6).

    Examples: daemon.json holds edits the running engine never started with; the known-issue
    catalog cannot be loaded, so its blockers cannot be enforced.
    """


class SwitchInterrupted(SwitchError):
    """SIGINT or SIGTERM arrived during a switch, which finished or rolled back first (exit 130).

    The message says which, and what the engine runs now.
    """
