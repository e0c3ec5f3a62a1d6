"""Facts about this machine that known issues are decided on, and how each is learned.

Every fact has a name and a kind (``FACTS``); the catalog may only name these, and its
conditions are checked against the kind (:mod:`backend.known_issues.catalog`). A fact that
cannot be learned is :data:`UNKNOWN`, never a guess: an issue that depends on it is shown as
"may apply" rather than dropped. ``None`` is a *known* value ("not set in daemon.json").

:func:`probe_facts` asks the live engine, the target's daemon.json, storeswitch's settings, the
host and the docker CLI; :func:`draft_facts` turns what the user is editing (checkbox, Kubernetes
box, daemon.json editor) into overrides without any I/O, so the GUI can re-evaluate on every
keystroke: ``evaluate(catalog, {**probed, **draft_facts(...)})``.

Secrets: the Docker Hub login is learned by the *presence* of a key in the docker CLI's
config.json; no credential value is read into a fact, kept, or shown. URLs from daemon.json
(``registry-mirrors``, ``insecure-registries``) have any ``user:password@`` part masked.

Why some of this is by hand: versions are compared with ``packaging``, but Docker's own version
strings ("26.1.5+dfsg1", "v0.14.0-desktop.1", "22.06.0-beta.0-372-gd3bb8227ce.m") are not all
PEP 440, so the leading numeric release is taken first (:func:`parse_version`).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Collection, Mapping

from packaging.version import InvalidVersion, Version

from backend.errors import ConfigError, EngineAPIError, EngineError
from backend.stores import Store, live_store, wasm_runtimes

if TYPE_CHECKING:
    from backend.engine.api import EngineAnswers

BUILDX_TIMEOUT = 5.0
ENGINE_TIMEOUT = 5.0
REFERENCE_PROBE_NAME = "storeswitch-reference-filter-probe"  # matches nothing; only the filter is tested
DOCKER_HUB_KEYS = (
    "https://index.docker.io/v1/",
    "https://index.docker.io/v1",
    "index.docker.io",
    "docker.io",
    "registry-1.docker.io",
    "https://registry-1.docker.io",
)
SYSTEM_CONTAINERD_SOCKETS = ("/run/containerd/", "/var/run/containerd/")


class Unknown(Enum):
    """The one value of a fact that could not be learned. Compare with ``is UNKNOWN``.

    It has no truth value on purpose: ``if facts["kubernetes_enabled"]:`` would silently read
    "unknown" as yes or no, which is exactly the mistake this sentinel exists to prevent.
    """

    UNKNOWN = "unknown"

    def __bool__(self) -> bool:
        raise TypeError("UNKNOWN has no truth value; compare with `is UNKNOWN`")

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __str__(self) -> str:
        return "unknown"


UNKNOWN = Unknown.UNKNOWN


class FactKind(str, Enum):
    ENUM = "enum"  # one string of a fixed set
    BOOL = "bool"
    VERSION = "version"  # a packaging Version
    PRESENCE = "presence"  # a daemon.json key (None = not set) or a list (empty = none)


@dataclass(frozen=True)
class FactSpec:
    name: str
    kind: FactKind
    description: str
    choices: tuple[str, ...] = ()
    # A live probe of the running engine: it tells about the store the engine runs now
    # (``live_store``) and counts as UNKNOWN when the issues are checked for the other store.
    measured_on_live_store: bool = False


ARCHES = ("amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64")
_ARCH_ALIASES = {
    "x86_64": "amd64", "amd64": "amd64", "x64": "amd64",
    "aarch64": "arm64", "arm64": "arm64", "armv8l": "arm64", "armv8": "arm64",
    "armv7l": "arm", "armv7": "arm", "armv6l": "arm", "arm": "arm",
    "i386": "386", "i686": "386", "386": "386", "x86": "386",
    "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64",
}

# daemon.json key -> fact name
CONFIG_KEYS = {
    "registry-mirrors": "registry_mirrors",
    "insecure-registries": "insecure_registries",
    "userns-remap": "userns_remap",
    "storage-driver": "storage_driver",
    "data-root": "data_root",
    "runtimes": "runtimes",
}

FACTS: dict[str, FactSpec] = {
    spec.name: spec
    for spec in (
        FactSpec("store_after", FactKind.ENUM, "the image store the engine runs after the switch", tuple(s.value for s in Store)),
        FactSpec("live_store", FactKind.ENUM, "the image store the running engine uses now (/info)", tuple(s.value for s in Store)),
        FactSpec("engine_version", FactKind.VERSION, "Docker Engine version (/version)"),
        FactSpec("api_version", FactKind.VERSION, "Engine API version (/version ApiVersion)"),
        FactSpec("host_arch", FactKind.ENUM, "CPU architecture of this machine", ARCHES),
        FactSpec("engine_arch", FactKind.ENUM, "CPU architecture the engine runs on (/version Arch)", ARCHES),
        FactSpec("buildx_version", FactKind.VERSION, "the docker CLI's buildx plugin (`docker buildx version`)"),
        FactSpec("kubernetes_enabled", FactKind.BOOL,
                 "Kubernetes is on: Docker Desktop's KubernetesEnabled on the desktop target, storeswitch's own setting elsewhere"),
        FactSpec("kubernetes_mode", FactKind.ENUM, "Docker Desktop's KubernetesMode (none on other targets)", ("kubeadm", "kind")),
        FactSpec("kind_in_use", FactKind.BOOL, "Kubernetes runs in kind: Docker Desktop's KubernetesMode is kind, or `kind` is on PATH"),
        FactSpec("registry_mirrors", FactKind.PRESENCE, "daemon.json registry-mirrors"),
        FactSpec("insecure_registries", FactKind.PRESENCE, "daemon.json insecure-registries"),
        FactSpec("userns_remap", FactKind.PRESENCE, "daemon.json userns-remap"),
        FactSpec("storage_driver", FactKind.PRESENCE, "daemon.json storage-driver"),
        FactSpec("data_root", FactKind.PRESENCE, "daemon.json data-root"),
        FactSpec("runtimes", FactKind.PRESENCE, "runtime names configured in daemon.json runtimes"),
        FactSpec("wasm_runtimes", FactKind.PRESENCE, "Wasm runtimes configured (daemon.json runtimes, /info Runtimes)"),
        FactSpec("docker_hub_login", FactKind.BOOL, "a Docker Hub login exists in the docker CLI's config.json (presence only)"),
        FactSpec("containerd_migration", FactKind.BOOL, "daemon.json features.containerd-migration is true (Engine 29, experimental)"),
        FactSpec("system_containerd", FactKind.BOOL, "the engine uses a system containerd instead of its own"),
        FactSpec("reference_filter_supported", FactKind.BOOL, "GET /images/json accepts a reference filter (live probe of the running engine)",
                 measured_on_live_store=True),
    )
}


# --- parsing ------------------------------------------------------------------------------
def parse_version(text: Any) -> Version | None:
    """The leading numeric release of a Docker-style version string, or None."""
    if isinstance(text, Version):
        return text
    if not isinstance(text, str):
        return None
    m = re.match(r"\s*v?(\d+(?:\.\d+)*)", text)
    if not m:
        return None
    try:
        return Version(m.group(1))
    except InvalidVersion:  # pragma: no cover - the regex only lets digits and dots through
        return None


def parse_buildx_version(output: str) -> Version | None:
    """The version from ``docker buildx version`` output.

    Upstream: ``github.com/docker/buildx v0.13.1 7884339...``; Debian: ``github.com/docker/buildx
    0.13.1+ds1-3 ...``; Desktop: ``... v0.14.0-desktop.1 ...``. Anything else (``unknown command``,
    ``'buildx' is not a docker command``) gives None.
    """
    for line in output.splitlines():
        m = re.search(r"buildx\S*\s+v?(\d+\.\d+(?:\.\d+)*)", line)
        if m:
            return parse_version(m.group(1))
    return None


def normalize_arch(machine: str | None) -> str | None:
    """GOARCH-style name (``amd64``, ``arm64``...) for a machine/architecture string."""
    if not machine:
        return None
    key = machine.strip().lower()
    return _ARCH_ALIASES.get(key, key)


def is_set(value: Any) -> bool:
    """Whether a PRESENCE fact's (known) value counts as configured."""
    return value is not None and value != "" and value != [] and value != {} and value != ()


def _mask_userinfo(value: Any) -> Any:
    if isinstance(value, str):
        return re.sub(r"(?<=://)[^/@\s]+@", "***@", value)
    if isinstance(value, list):
        return [_mask_userinfo(v) for v in value]
    return value


def _wasm_names(runtimes: Mapping[str, Any]) -> list[str]:
    """Wasm runtimes by the same rule the status uses (name or runtimeType: wasmedge, spin, ...)."""
    return wasm_runtimes(runtimes)


# --- facts from a daemon.json dict (shared by probe and draft) -----------------------------
def config_facts(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The daemon.json facts; all UNKNOWN when the config could not be read (None)."""
    names = [*CONFIG_KEYS.values(), "wasm_runtimes", "containerd_migration"]
    if config is None:
        return {name: UNKNOWN for name in names}
    out: dict[str, Any] = {}
    for key, name in CONFIG_KEYS.items():
        value = config.get(key)
        if name == "runtimes":
            value = sorted(str(k) for k in value) if isinstance(value, Mapping) else (None if value is None else [])
        out[name] = _mask_userinfo(value)
    runtimes = config.get("runtimes")
    out["wasm_runtimes"] = _wasm_names(runtimes) if isinstance(runtimes, Mapping) else []
    features = config.get("features")
    out["containerd_migration"] = isinstance(features, Mapping) and features.get("containerd-migration") is True
    return out


def draft_facts(store_after: Store | str | None, kubernetes_enabled: bool | None, daemon_config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Overrides from what the user is editing; cheap and without I/O.

    ``daemon_config`` is the dict the daemon.json editor holds, or None when its text does not
    parse (the config facts are then UNKNOWN). ``system_containerd`` is only overridden when the
    draft names a ``containerd`` socket; otherwise the probed value stands.
    """
    out: dict[str, Any] = {
        "store_after": _store_value(store_after),
        "kubernetes_enabled": UNKNOWN if kubernetes_enabled is None else bool(kubernetes_enabled),
    }
    out.update(config_facts(daemon_config))
    if daemon_config is not None and daemon_config.get("containerd"):
        out["system_containerd"] = True
    return out


def _store_value(store: Store | str | None) -> Any:
    if store is None or store is UNKNOWN:
        return UNKNOWN
    return Store(store).value


# --- host and docker CLI ---------------------------------------------------------------------
def probe_host_arch() -> Any:
    return normalize_arch(platform.machine()) or UNKNOWN


def probe_buildx_version(docker_cli: str | os.PathLike | None = None, timeout: float = BUILDX_TIMEOUT) -> Any:
    """``docker buildx version`` when a docker CLI exists; UNKNOWN when it can't say."""
    cli = str(docker_cli) if docker_cli else shutil.which("docker")
    if not cli:
        return UNKNOWN
    try:
        proc = subprocess.run(
            [cli, "buildx", "version"], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN
    if proc.returncode != 0:
        return UNKNOWN
    return parse_buildx_version(proc.stdout) or UNKNOWN


def probe_docker_hub_login(config_dir: Path | None = None) -> Any:
    """Whether config.json records a Docker Hub login: by key presence only.

    True when ``auths`` or ``credHelpers`` has a Docker Hub key (the docker CLI writes the
    ``auths`` key even when the secret lives in a credential store). False when neither has one
    and no ``credsStore`` is set. UNKNOWN when only a ``credsStore`` is set (storeswitch does not
    ask a credential helper) or the file cannot be read. No value under ``auths`` is ever read.
    """
    from backend.engine.address import docker_config_dir  # the docker CLI's rule, in one place

    path = (config_dir or docker_config_dir()) / "config.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        return UNKNOWN
    if not isinstance(data, dict):
        return UNKNOWN
    for section in ("auths", "credHelpers"):
        table = data.get(section)
        if isinstance(table, dict) and any(key in table for key in DOCKER_HUB_KEYS):
            return True
    return UNKNOWN if data.get("credsStore") else False


# --- the engine ------------------------------------------------------------------------------
def probe_reference_filter(client) -> Any:
    """Does ``GET /images/json`` accept a ``reference`` filter? True, False, or UNKNOWN.

    False only for the engine's own refusal (``invalid filter 'reference'``); any other failure
    says nothing about the filter and gives UNKNOWN.
    """
    try:
        client.images(all=False, filters={"reference": [REFERENCE_PROBE_NAME]})
    except EngineAPIError as exc:
        if exc.status == 400 and "invalid filter" in exc.message.lower() and "reference" in exc.message:
            return False
        return UNKNOWN
    except EngineError:
        return UNKNOWN
    return True


def _system_containerd(target, config: Mapping[str, Any] | None, info: Mapping[str, Any] | None) -> Any:
    if config is not None and config.get("containerd"):
        return True
    hint = getattr(target, "uses_system_containerd", None)
    if callable(hint):
        answer = hint()
        if isinstance(answer, bool):
            return answer
    if getattr(target, "name", None) in ("system", "rootless"):
        from backend.separate_containerd import SERVICE_FILES, dockerd_containerd_address

        files = SERVICE_FILES if getattr(target, "uses_systemd", False) else ()
        if dockerd_containerd_address(config, info, files) is not None:
            return True  # the service's --containerd flag, or /info naming a system socket
    containerd = (info or {}).get("Containerd")
    if isinstance(containerd, Mapping) and containerd.get("Address"):
        return str(containerd["Address"]).startswith(SYSTEM_CONTAINERD_SOCKETS)
    if getattr(target, "name", None) == "managed":
        return False  # its own containerd, root under the data-root (backend/engine/managed_containerd.py)
    return UNKNOWN


def _read_daemon_config(target) -> Mapping[str, Any] | None:
    reader = getattr(target, "daemon_config", None)
    try:
        config = reader() if callable(reader) else target.read_config()
    except (ConfigError, OSError):
        return None
    data = getattr(config, "data", None)
    if data is None and isinstance(config, Mapping):
        data = config
    return data if isinstance(data, Mapping) else None


def _configured_store(target, config: Mapping[str, Any] | None = None, engine_version: Any = UNKNOWN) -> Any:
    """The store the target's engine takes at its next start (the Engine 29 rule for daemon.json targets)."""
    try:
        stored = target.read_config()
    except (ConfigError, OSError, AttributeError):
        return UNKNOWN
    if config is None or getattr(target, "name", None) == "desktop":
        return stored.store.value
    from backend.store_choice import target_choice

    choice = target_choice(target, config, engine_version if engine_version is not UNKNOWN else None)
    return choice.store.value if choice.store is not None else UNKNOWN




def probe_facts(
    target,
    settings,
    store_after: Store | str | None = None,
    *,
    docker_cli: str | os.PathLike | None = None,
    timeout: float = ENGINE_TIMEOUT,
    engine: EngineAnswers | None = None,
    wanted: Collection[str] | None = None,
) -> dict[str, Any]:
    """Every fact in :data:`FACTS` for *target*; never raises for an engine that is down.

    ``store_after`` is the store the issues are checked for (the caller's choice); None means the
    store the target's config names now. ``settings`` is a :class:`backend.settings.Settings` or
    None when it could not be loaded. Live probes (``reference_filter_supported``) are measured on
    the store the engine runs now (``live_store``); the evaluation counts them as UNKNOWN for the
    other store, so a draft that changes ``store_after`` needs no new probe. *engine*: the target's
    ``/version`` and ``/info`` when the caller asks for them (:class:`EngineAnswers`, waited for
    after the local facts, its client still open: the reference-filter probe uses it); otherwise
    they are asked here.
    Slow parts: one engine round trip of three calls, and ``docker buildx version`` (bounded by
    :data:`BUILDX_TIMEOUT`), which runs in a thread beside the engine calls (it is another
    process: tens of milliseconds with the real plugin, spent while the engine answers). Run it
    off the GUI thread.
    *wanted*: the facts the caller will use (a switch's preflight:
    :func:`backend.known_issues.evaluate.facts_needed`); the costly probes of the others are
    skipped and they stay UNKNOWN: ``docker buildx version``, and the reference-filter round
    trip, which also is skipped when the engine runs another store than *store_after* (it would
    count as UNKNOWN). None: every fact, as the window needs (its drafts may change the store).
    ``live_store`` is always learned.
    """
    buildx = _Background(probe_buildx_version, docker_cli) if wanted is None or "buildx_version" in wanted else None
    facts = _probe_rest(target, settings, store_after, timeout, engine, wanted)
    facts["buildx_version"] = buildx.result() if buildx is not None else UNKNOWN
    return facts


class _Background:
    """Call *fn* in a thread now; :meth:`result` waits for it and returns (or raises) what it did."""

    def __init__(self, fn, *args: Any) -> None:
        self._fn, self._args = fn, args
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="storeswitch-facts", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._fn(*self._args)
        except BaseException as exc:  # noqa: BLE001 - handed to result()
            self._error = exc

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def _probe_rest(
    target, settings, store_after: Store | str | None, timeout: float, engine: EngineAnswers | None,
    wanted: Collection[str] | None = None,
) -> dict[str, Any]:
    """Every fact but ``buildx_version`` (:func:`probe_facts` learns that one in a thread)."""
    facts: dict[str, Any] = {name: UNKNOWN for name in FACTS}
    facts["store_after"] = UNKNOWN if store_after is None else _store_value(store_after)
    facts["host_arch"] = probe_host_arch()
    facts["docker_hub_login"] = probe_docker_hub_login()
    from backend.known_issues.kubernetes_facts import kubernetes_facts

    facts.update(kubernetes_facts(target, settings, UNKNOWN))

    config = _read_daemon_config(target)
    facts.update(config_facts(config))

    live_probes = wanted is None or any(name in wanted for name, spec in FACTS.items() if spec.measured_on_live_store)
    after = None if store_after is None or wanted is None else _store_value(store_after)
    info: dict[str, Any] | None = None
    try:
        if engine is None:
            with target.client(timeout=timeout) as client:
                info = _engine_facts(facts, client, client.version(), client.info(), live_probes, after)
        elif engine.wait().error is not None:
            raise engine.error
        else:
            info = _engine_facts(facts, engine.client, engine.version or {}, engine.info or {}, live_probes, after)
    except EngineError:
        info = None
    if info is None:
        from backend.engine.version import stopped_engine_facts

        facts.update(stopped_engine_facts(target, facts["host_arch"]))
    if store_after is None:
        facts["store_after"] = _configured_store(target, config, facts["engine_version"])
    if info is not None:
        live_runtimes = info.get("Runtimes")
        if isinstance(live_runtimes, Mapping):
            known = facts["wasm_runtimes"] if facts["wasm_runtimes"] is not UNKNOWN else []
            facts["wasm_runtimes"] = sorted({*known, *_wasm_names(live_runtimes)})
    facts["system_containerd"] = _system_containerd(target, config, info)
    return facts


def _engine_facts(facts: dict[str, Any], client, version: Mapping[str, Any], info: Mapping[str, Any],
                  live_probes: bool = True, store_after: str | None = None) -> Mapping[str, Any]:
    """The engine's facts from its answers; the live probes only when *live_probes* and the engine
    runs *store_after* (None: whichever it runs), the one store their answer counts for."""
    facts["engine_version"] = parse_version(version.get("Version")) or UNKNOWN
    facts["api_version"] = parse_version(version.get("ApiVersion")) or UNKNOWN
    facts["engine_arch"] = normalize_arch(version.get("Arch")) or normalize_arch(info.get("Architecture")) or UNKNOWN
    facts["live_store"] = live_store(info).value
    if live_probes and store_after in (None, facts["live_store"]):
        facts["reference_filter_supported"] = probe_reference_filter(client)
    return info


# --- showing facts ---------------------------------------------------------------------------
def effective_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    """*facts* with live-probe facts made UNKNOWN when they were measured on another store."""
    out = dict(facts)
    live, after = facts.get("live_store", UNKNOWN), facts.get("store_after", UNKNOWN)
    if live is UNKNOWN or after is UNKNOWN or live != after:
        for spec in FACTS.values():
            if spec.measured_on_live_store:
                out[spec.name] = UNKNOWN
    return out


def display_value(value: Any) -> Any:
    """A JSON-friendly form: ``"unknown"``, version strings, plain lists."""
    if value is UNKNOWN:
        return "unknown"
    if isinstance(value, Version):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [display_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): display_value(v) for k, v in value.items()}
    return value


def display_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    return {name: display_value(facts.get(name, UNKNOWN)) for name in FACTS}
