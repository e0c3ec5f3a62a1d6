"""The settings the window edits, described once: label, help text, accessible name, where stored.

Pages read these instead of repeating strings, so the label a test or a screen reader sees and the
help a user reads are decided in one place. The labels are contracts (QA automation matches them):
change them only with the README. Whether Apply restarts the engine is not a property of a field
but of what the draft changes: :attr:`backend.settings_model.SettingsModel.needs_restart` decides.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    """One setting: where it is stored and what people read."""

    key: str
    label: str
    help: str
    accessible_name: str
    stored_in: str  # "daemon.json" or "settings.json"


USE_CONTAINERD = Field(
    key="features.containerd-snapshotter",
    label="Use containerd for pulling and storing images",
    help=(
        "Images are pulled, stored and unpacked by containerd instead of the engine's classic "
        "graph drivers. This enables multi-platform images and snapshotters such as stargz. "
        "Takes effect after Apply & restart."
    ),
    accessible_name="Use containerd for pulling and storing images",
    stored_in="daemon.json",
)

ENABLE_KUBERNETES = Field(
    key="kubernetes_enabled",
    label="Enable Kubernetes",
    help=(
        "storeswitch starts no cluster, and no engine reads this box. Tick it if you run Kubernetes "
        "against this engine (kind, minikube, k3d...): the known issues then warn you about "
        "combinations that do not work, such as Kubernetes with the containerd image store. "
        "Saved in storeswitch's settings; no engine restart is needed."
    ),
    accessible_name="Enable Kubernetes",
    stored_in="settings.json",
)

DESKTOP_KUBERNETES = Field(
    key="KubernetesEnabled",
    label="Enable Kubernetes",
    help=(
        "Docker Desktop's own Kubernetes: this box is Docker Desktop's setting, the same as Settings > "
        "Kubernetes in Docker Desktop. Its Kubernetes does not work with the containerd image store (see "
        "the known issues). Apply changes it through Docker Desktop's settings API when Docker Desktop "
        "runs, which applies it itself; otherwise in its settings file, applied when Docker Desktop restarts."
    ),
    accessible_name="Enable Kubernetes",
    stored_in="settings-store.json",
)

DAEMON_JSON = Field(
    key="daemon.json",
    label="Docker daemon configuration (daemon.json)",
    help=(
        "Configure the Docker daemon by editing its JSON configuration file. The file is "
        "checked as you type; the engine reads it when it starts, so changes take effect after "
        "Apply & restart. Every key is kept as you wrote it."
    ),
    accessible_name="daemon.json editor",
    stored_in="daemon.json",
)

FEEDBACK_URL = "https://github.com/moby/moby/issues/new/choose"
CONTAINERD_STORE_DOCS = "https://docs.docker.com/engine/storage/containerd/"
DAEMON_JSON_DOCS = "https://docs.docker.com/reference/cli/dockerd/#daemon-configuration-file"
