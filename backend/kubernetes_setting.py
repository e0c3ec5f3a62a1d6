"""Which "Kubernetes is on" setting a target has, and how it is read and changed.

On the ``desktop`` target it is Docker Desktop's own setting: ``KubernetesEnabled`` in
settings-store.json (``kubernetesEnabled`` in settings.json before 4.35), with ``KubernetesMode``
beside it; the known issue ``kubernetes-incompatible`` is real there. A change goes through
Docker Desktop's settings API when its backend socket answers (Desktop applies it itself, see
:mod:`backend.targets.desktop_api`), else into the file, which Desktop reads when it restarts.

On every other target no engine has a Kubernetes of its own: the setting is storeswitch's own
(``kubernetes_enabled`` in storeswitch's settings.json), a statement by the user that they run
Kubernetes against this engine, kept for the known issues only. The label says so.

Qt-free: the GUI's draft and Apply, and the known-issue facts, read the same object.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.errors import ConfigError

OWN_LABEL = "storeswitch's own setting (no engine reads it)"


@dataclass(frozen=True)
class KubernetesState:
    enabled: bool
    owner: str  # "desktop" (Docker Desktop's setting) or "storeswitch" (storeswitch's own)
    where: str  # for people: which setting this is and where it lives
    mode: str | None = None  # Docker Desktop's KubernetesMode ("kubeadm", "kind"), None elsewhere
    locked: bool = False  # locked by an administrator (Docker Desktop's Settings Management)
    error: str | None = None  # why it could not be read (enabled is then False)


@dataclass(frozen=True)
class KubernetesSaved:
    """What a save did: the sentence for people, and the way it went."""

    message: str
    channel: str  # "settings API", "file" (Docker Desktop restart pending), "storeswitch settings"
    restart_pending: bool = False


class OwnKubernetesSetting:
    """storeswitch's own ``kubernetes_enabled``: read by the known issues, by nothing else."""

    owner = "storeswitch"

    def __init__(self, settings_path: Path) -> None:
        self.settings_path = Path(settings_path)

    def load(self) -> KubernetesState:
        from backend.settings import Settings

        try:
            enabled = Settings.load(self.settings_path).kubernetes_enabled
        except ConfigError as exc:
            return KubernetesState(False, self.owner, OWN_LABEL, error=str(exc))
        return KubernetesState(enabled, self.owner, f"{OWN_LABEL}, in {self.settings_path}")

    def save(self, enabled: bool) -> KubernetesSaved:
        from backend.settings import Settings

        settings = Settings.load(self.settings_path)
        settings.set("kubernetes_enabled", bool(enabled))
        settings.save()
        return KubernetesSaved(
            f"Kubernetes {'enabled' if enabled else 'disabled'} in storeswitch's settings.", "storeswitch settings"
        )


class DesktopKubernetesSetting:
    """Docker Desktop's ``KubernetesEnabled``: through its settings API, else its settings file.

    The file is the target's config: with a *profile*, that write is a ``SwitchTransaction`` in
    its no-restart mode (lock, journal, history), as every write of a target's config is.
    """

    owner = "desktop"

    def __init__(self, target: Any, profile: Any = None) -> None:
        self.target, self.profile = target, profile

    def load(self) -> KubernetesState:
        path = self.target.config_path
        try:
            config = self.target.read_config()
            key = config.fmt.key("KubernetesEnabled")
            where = f"Docker Desktop's own setting ({key} in {path})"
            return KubernetesState(config.kubernetes_enabled, self.owner, where, config.kubernetes_mode,
                                   config.locked("KubernetesEnabled"))
        except ConfigError as exc:
            return KubernetesState(False, self.owner, f"Docker Desktop's own setting (in {path})", error=str(exc))

    def save(self, enabled: bool) -> KubernetesSaved:
        """Turn Docker Desktop's Kubernetes on or off; the message says which way it went and why."""
        from backend.targets.desktop_api import KUBERNETES_SETTING, SettingLocked, SettingsAPIError

        word = "on" if enabled else "off"
        try:
            endpoint = self.target.settings_api().set(KUBERNETES_SETTING, bool(enabled))
        except SettingLocked as exc:
            raise ConfigError(str(exc)) from exc
        except SettingsAPIError as exc:
            config = self.target.read_config()  # raises ConfigError for a file it cannot parse: never written
            new = config.with_kubernetes(bool(enabled))
            if new != config.raw and self.profile is not None:
                from backend.switch import SwitchTransaction

                SwitchTransaction(self.target, self.profile).run(
                    config.store, restart=False, content=new,
                    no_restart_reason=f"Docker Desktop's Kubernetes turned {word}; it applies it when it restarts")
            elif new != config.raw:
                config.write(new)
            key = config.fmt.key("KubernetesEnabled")
            return KubernetesSaved(
                f"Docker Desktop's Kubernetes turned {word} in {config.path} ({key}); restart Docker Desktop to "
                f"apply it (restart pending). Not through its settings API: {exc}.",
                "file", restart_pending=True,
            )
        return KubernetesSaved(
            f"Docker Desktop's Kubernetes turned {word} through {endpoint.describe()}: Docker Desktop applies it itself.",
            "settings API",
        )


def kubernetes_setting(target: Any, settings_path: Path, profile: Any = None) -> OwnKubernetesSetting | DesktopKubernetesSetting:
    """The Kubernetes setting of *target*: Docker Desktop's where the target has its own (a settings
    API: an ability of the target, not its name), storeswitch's elsewhere. *profile*: where a write of
    the target's file is journaled."""
    if callable(getattr(target, "settings_api", None)):
        return DesktopKubernetesSetting(target, profile)
    return OwnKubernetesSetting(settings_path)
