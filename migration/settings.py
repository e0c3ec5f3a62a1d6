"""storeswitch's own settings file (``settings.json`` in the profile): versions and steps.

SCHEMA_VERSION bump rules: no bump for an added key (the reader gives it a default); bump for a
changed default, a rename or a removal, and add a step to MIGRATIONS keyed by the old version.

History
  1: first version: ``target``, ``kubernetes_enabled``.
"""

from __future__ import annotations

from typing import Any

from migration.versioned import Step, migrate

SCHEMA_VERSION = 1

# version N -> function that makes a version N+1 dict. Empty: version 1 is the first.
MIGRATIONS: dict[int, Step] = {}

DEFAULTS: dict[str, Any] = {"target": "auto", "kubernetes_enabled": False}


def upgrade(data: dict[str, Any], name: str = "settings.json") -> tuple[dict[str, Any], list[int]]:
    return migrate(data, MIGRATIONS, SCHEMA_VERSION, name)
