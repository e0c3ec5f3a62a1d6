"""The Kubernetes facts: is Kubernetes on, in which mode, and does it run in kind.

Kept apart from :mod:`backend.known_issues.facts` (which calls :func:`kubernetes_facts`) because
the answer depends on the target: on Docker Desktop it is Desktop's own setting
(``KubernetesEnabled``, ``KubernetesMode`` in its settings file, see
:mod:`backend.kubernetes_setting`), where the blocker ``kubernetes-incompatible`` is real; on
every other target it is storeswitch's own setting (the user's word that they run Kubernetes
against the engine).

``kind_in_use``: kind (Kubernetes in Docker) loads images from the docker CLI's store, which
fails on the containerd store (kubernetes-sigs/kind#3795). It is true when Docker Desktop runs
its Kubernetes with kind (``KubernetesMode`` is ``"kind"``) or the ``kind`` CLI is on PATH (any
target: people run kind against Docker Desktop's engine too).
"""

from __future__ import annotations

import shutil
from typing import Any

from backend.errors import ConfigError

KIND_CLI = "kind"
FACT_NAMES = ("kubernetes_enabled", "kubernetes_mode", "kind_in_use")


def kind_on_path() -> bool:
    return shutil.which(KIND_CLI) is not None


def kubernetes_facts(target: Any, settings: Any, unknown: Any) -> dict[str, Any]:
    """``kubernetes_enabled``, ``kubernetes_mode`` and ``kind_in_use`` for *target*.

    *settings*: storeswitch's :class:`backend.settings.Settings`, None when it could not be read.
    *unknown*: the facts' UNKNOWN (passed in: this module is imported by facts.py).
    """
    kind = kind_on_path()
    if getattr(target, "name", None) == "desktop":
        try:
            config = target.read_config()
            enabled, mode = config.kubernetes_enabled, config.kubernetes_mode
        except (ConfigError, OSError, AttributeError):
            return {"kubernetes_enabled": unknown, "kubernetes_mode": unknown, "kind_in_use": True if kind else unknown}
        return {"kubernetes_enabled": enabled, "kubernetes_mode": mode, "kind_in_use": kind or mode == "kind"}
    enabled = unknown if settings is None else bool(settings.kubernetes_enabled)
    return {"kubernetes_enabled": enabled, "kubernetes_mode": None, "kind_in_use": kind}
