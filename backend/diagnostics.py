"""The diagnostics report and the support bundle (``storeswitch diagnose``).

Support staff used to ask for ``docker info`` and still could not tell which store held what. The
report answers in one place: the target and its config file, the configured and the live store
(and whether a restart is pending), the engine version, both stores read from disk (the hidden
one too: roots, bytes, image and container counts, image names), the last switches, the known
issues that apply, the host and its free disk. :func:`gather_report` returns a plain dict
(``schema_version`` :data:`REPORT_SCHEMA`) for ``--json`` and the GUI's Troubleshoot tab;
:func:`describe_report` words it in a few lines for people.

The bundle (:func:`write_bundle`) is a zip, written atomically, with the report, daemon.json,
storeswitch's settings, the docker CLI's config and the engine log tail, every one passed through
:class:`backend.redact.Redactor` first (registry auths, tokens, passwords in proxy URLs never
leave the machine), and a ``MANIFEST.json`` saying what is in it and what was missing.

Nothing here raises for a damaged store, a damaged file or an engine that is down: each is a
state the report describes.
"""

from __future__ import annotations

import io
import json
import os
import platform
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from backend.atomic import write_atomic
from backend.inspect import impact_sentence, inspect_stores
from backend.inspect.model import human_bytes, plural
from backend.inspect.sizes import free_space
from backend.journal import SwitchHistory
from backend.profile import Profile
from backend.redact import Redactor
from backend.status import gather_status
from backend.stores import Store
from backend.targets.base import Target

if TYPE_CHECKING:
    from backend.engine.api import EngineAnswers

# Version of the report's shape (``--json``, ``report.json`` in a bundle). Bump rules: an added
# field needs no bump; a renamed or removed field, or a changed meaning, is a bump.
REPORT_SCHEMA = 1
BUNDLE_SCHEMA = 1  # of MANIFEST.json; same rules
SWITCHES_SHOWN = 10
LOG_LINES = 200
NAMES_SHOWN = 8  # image names per store in the human form; --json has them all
LABEL_WIDTH = 19
STATUS_TIMEOUT = 5.0  # as backend.status.probe_engine's

Progress = Callable[[str, str], None]


def _no_progress(stage: str, message: str) -> None:
    pass


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds")


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("storeswitch")
    except Exception:  # not installed as a distribution (a source checkout): still report
        return "unknown"


def host_facts() -> dict[str, Any]:
    try:
        os_name = platform.freedesktop_os_release().get("PRETTY_NAME") or platform.system()
    except OSError:
        os_name = f"{platform.system()} {platform.release()}".strip()
    return {
        "os": os_name,
        "system": platform.system(),
        "kernel": platform.release(),
        "arch": platform.machine(),
        "python": platform.python_version(),
    }


def known_issues_section(target: Target, profile: Profile, engine: EngineAnswers | None = None) -> dict[str, Any]:
    """The known issues that apply, or why they could not be checked (never raises).

    *engine*: the engine's answers the report asks for anyway (they may still be coming).
    """
    try:
        from backend.known_issues import assess
    except Exception as exc:  # the module is optional for a report: say why it is missing
        return {"available": False, "reason": f"known issues unavailable: {exc}", "issues": []}
    try:
        assessment = assess(target, profile, engine=engine)
    except Exception as exc:  # a report must come out whatever the checker does
        return {"available": False, "reason": f"known issues unavailable: {type(exc).__name__}: {exc}", "issues": []}
    data = assessment.as_dict()
    reason = data.get("catalog_error")
    return {
        "available": reason is None,
        "reason": reason,
        "store_after": data.get("store_after"),
        "issues": data.get("known_issues", []),
    }


def switches_section(profile: Profile) -> dict[str, Any]:
    history = SwitchHistory.load(profile.history_path)
    entries = []
    for e in history.entries[-SWITCHES_SHOWN:][::-1]:
        entries.append(
            {"when": _iso(e.at), "at": e.at, "from": e.from_store, "to": e.to_store, "outcome": e.outcome, "message": e.message}
        )
    return {"entries": entries, "damaged": history.damaged, "path": str(profile.history_path)}


def gather_report(
    target: Target,
    profile: Profile,
    recovered: str | None = None,
    progress: Progress = _no_progress,
    *,
    known_issues: bool = True,
    sizes: bool = True,
) -> dict[str, Any]:
    """The whole report as a JSON-ready dict (schema :data:`REPORT_SCHEMA`). Never raises for damage."""
    from backend.engine.api import EngineAnswers
    from backend.inspect.inventory import EngineListing

    # /version and /info are asked once, here, for the status, the listing and the known-issue
    # probe. The probe runs beside the rest from the start (its loading, the local facts and
    # `docker buildx version` need no engine) and waits for the answers only when it needs them.
    # The engine's image and container lists (slow on a big containerd store) are asked as soon
    # as the API version is known; the disk is read meanwhile.
    engine = EngineAnswers.later()
    listing: list[EngineListing] = []
    progress("status", "Reading the config and asking the engine…")
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            issues_future = pool.submit(known_issues_section, target, profile, engine) if known_issues else None
            engine.ask(lambda: target.client(timeout=STATUS_TIMEOUT),  # releases the probe whatever happens
                       after_version=lambda: listing.append(EngineListing(target)))
            status = gather_status(target, profile, recovered, engine=engine)
            info = status.engine.info if status.engine.reachable else None
            inventories = inspect_stores(target, info, use_engine=status.engine.reachable, sizes=sizes, progress=progress,
                                         listing=listing[0] if listing else None)
            if issues_future is not None:
                progress("known-issues", "Checking the known issues…")
                issues = issues_future.result()
            else:
                issues = {"available": False, "reason": "known issues not checked (--no-known-issues)", "issues": []}
    finally:
        engine.close()
    current = status.live_store or status.configured_store
    stores: dict[str, Any] = {}
    for store, inv in inventories.items():
        entry = inv.as_dict()
        entry["live"] = status.live_store is store
        entry["configured"] = status.configured_store is store
        stores[store.value] = entry
    paths = [p for inv in inventories.values() for p in inv.roots] + [str(profile.data_dir)]
    _, disks = free_space(paths)
    return {
        "schema_version": REPORT_SCHEMA,
        "generated_at": _iso(time.time()),
        "storeswitch_version": _version(),
        "target": {"name": status.target, "reason": status.target_reason},
        "service_manager": status.service_manager,
        "config": {
            "path": status.config_path,
            "configured_store": status.configured_store.value if status.configured_store else None,
            "configured_by": status.configured_by,  # an added key: no schema bump
            "error": status.config_error,
        },
        "live_store": status.live_store.value if status.live_store else None,
        "pending_restart": status.pending_restart,
        "switch_in_progress": status.switch_in_progress,
        "recovered": recovered,
        "engine": status.engine.as_dict(),
        "stores": stores,
        "switch_impact": impact_sentence(inventories, current, current.other) if current else None,
        "switches": switches_section(profile),
        "known_issues": issues,
        "host": host_facts(),
        "disk": disks,
    }


# --- the human form -----------------------------------------------------------------------------
def describe_report(report: dict[str, Any]) -> list[str]:
    """A short, readable form of :func:`gather_report`'s dict."""
    r = report
    eng = r["engine"]
    cfg = r["config"]
    lines = [f"storeswitch {r['storeswitch_version']} diagnostics, {r['generated_at']}"]

    def row(label: str, text: str) -> None:
        lines.append(f"{label:<{LABEL_WIDTH}}{text}")

    row("target:", f"{r['target']['name']} ({r['target']['reason']})")
    if r.get("service_manager"):
        sm = r["service_manager"]
        row("restart:", f"{sm['restart'] or 'nothing found'} ({sm['name']}: {sm['reason']})")
    if cfg["error"]:
        row("config:", cfg["path"])
        row("", f"! {cfg['error']}")
    else:
        row("config:", f"{cfg['path']} asks for the {cfg['configured_store']} store")
        if cfg.get("configured_by"):
            row("", f"({cfg['configured_by']})")
    if eng["reachable"]:
        driver = f"Driver {eng['driver']}" + (f", {eng['driver_type']}" if eng.get("driver_type") else "")
        row("engine:", f"Docker {eng['version']} (API {eng['api_version']}) at {eng['host']}")
        row("live store:", f"{r['live_store']} ({driver})")
    elif not eng["installed"]:
        row("engine:", f"not installed: {eng['install_message']}")
    else:
        row("engine:", f"not running ({eng['host']}): both stores read from disk")
    if r["pending_restart"]:
        row("", "restart pending: the config and the running engine disagree")
    if r["switch_in_progress"]:
        row("", "a switch is in progress")
    for name, s in r["stores"].items():
        tag = "live" if s["live"] else "hidden" if r["live_store"] else "configured" if s["configured"] else "not configured"
        if s.get("readable") is False:  # Docker Desktop's stores: inside its VM, no host figures
            row(f"{name} store:", f"{tag}; {'; '.join(s['notes']) or 'not readable from the host'}")
            continue
        size = human_bytes(s["bytes"]) if s["bytes"] is not None else "size not measured"
        where = "on disk" if s["roots"] else "(the engine's figure)" if s["bytes"] is not None else ""
        row(
            f"{name} store:",
            f"{plural(s['image_count'], 'image')}, {plural(s['container_count'], 'container')}, "
            f"{size} {where} ({tag}; read from {s['source']})".replace("  ", " "),
        )
        names = s["image_names"]
        if names:
            more = f" (+{len(names) - NAMES_SHOWN} more)" if len(names) > NAMES_SHOWN else ""
            row("", f"{', '.join(names[:NAMES_SHOWN])}{more}")
        if s["roots"]:
            row("", f"roots: {', '.join(s['roots'])}")
        else:
            row("", "; ".join(s["notes"]))
        for err in s["errors"]:
            row("", f"! could not read: {err}")
    if r.get("switch_impact"):
        row("a switch now:", r["switch_impact"])
    sw = r["switches"]
    if sw["entries"]:
        for n, e in enumerate(sw["entries"][:3]):
            row("last switches:" if n == 0 else "", f"{e['when']}  {e['from']} -> {e['to']}: {e['outcome']}")
    else:
        row("last switches:", "none recorded")
    if sw["damaged"]:
        row("", f"! the switch history {sw['path']} could not be read")
    ki = r["known_issues"]
    if not ki["available"]:
        row("known issues:", str(ki["reason"]))
    elif not ki["issues"]:
        row("known issues:", "none apply")
    else:
        row("known issues:", f"{plural(len(ki['issues']), 'issue')} apply or may apply")
        for issue in ki["issues"]:
            row("", f"[{issue.get('applies')}] {issue.get('severity')}: {issue.get('title')} ({issue.get('id')})")
    h = r["host"]
    row("host:", f"{h['os']}, {h['arch']}, kernel {h['kernel']}")
    for d in r["disk"]:
        row("free disk:", f"{human_bytes(d['free_bytes'])} of {human_bytes(d['total_bytes'])} (file system of {d['path']})")
    return lines


# --- the bundle ---------------------------------------------------------------------------------
def docker_config_path() -> Path:
    from backend.engine.address import docker_config_dir  # the docker CLI's rule, in one place

    return docker_config_dir() / "config.json"


def _read_source(path: Path) -> tuple[bytes | None, str | None]:
    try:
        return path.read_bytes(), None
    except FileNotFoundError:
        return None, f"{path}: does not exist"
    except OSError as exc:
        return None, f"{path}: cannot be read ({exc.strerror or exc})"


def write_bundle(
    path: os.PathLike | str,
    report: dict[str, Any],
    target: Target,
    profile: Profile,
    log_lines: int = LOG_LINES,
) -> dict[str, Any]:
    """Write the support bundle to *path* atomically; return what it holds (for the CLI and GUI).

    Every structured source is read first so the redactor knows its secrets before any text
    (the log, the report) is written; every file then gets a last byte-level scrub.
    """
    redactor = Redactor()
    sources = {
        "daemon.json": Path(target.config_path),
        "settings.json": profile.settings_path,
        "docker-config.json": docker_config_path(),
    }
    raw: dict[str, bytes] = {}
    parsed: dict[str, Any] = {}
    missing: dict[str, str] = {}
    for name, src in sources.items():
        data, why = _read_source(src)
        if data is None:
            missing[name] = why or "unknown"
            continue
        raw[name] = data
        try:
            parsed[name] = json.loads(data.decode("utf-8-sig"))
            redactor.learn(parsed[name])
        except (UnicodeDecodeError, ValueError):
            pass  # included as redacted text below
    files: dict[str, bytes] = {}
    for name, data in raw.items():
        if name in parsed:
            files[name] = _json_bytes(redactor.redact_json(parsed[name]))
        else:
            text = redactor.redact_text(data.decode("utf-8", "replace"))
            files[name + ".txt"] = text.encode("utf-8")
            missing[name] = f"{sources[name]}: not valid JSON; included as redacted text ({name}.txt)"
    try:
        log = target.log_tail(log_lines)
    except Exception as exc:  # a bundle comes out even if the log cannot be read
        log = ""
        missing["engine.log"] = f"the engine log could not be read: {exc}"
    if log:
        files["engine.log"] = (redactor.redact_text(log) + "\n").encode("utf-8")
    elif "engine.log" not in missing:
        missing["engine.log"] = "the engine log is empty or does not exist"
    clean_report = redactor.redact_json(report)
    files["report.json"] = _json_bytes(clean_report)
    files["report.txt"] = ("\n".join(redactor.redact_text(line) for line in describe_report(clean_report)) + "\n").encode("utf-8")
    manifest = {
        "schema_version": BUNDLE_SCHEMA,
        "created": _iso(time.time()),
        "storeswitch_version": report.get("storeswitch_version"),
        "files": sorted(files) + ["MANIFEST.json"],
        "sources": {name: str(src) for name, src in sources.items()} | {"engine.log": f"last {log_lines} lines of the engine log"},
        "missing": missing,
        "redaction": "registry auths, tokens, passwords and secret-named keys, URL credentials and NAME=secret pairs are replaced by REDACTED",
    }
    files["MANIFEST.json"] = _json_bytes(redactor.redact_json(manifest))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"storeswitch-diagnostics/{name}", date_time=time.localtime()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zf.writestr(info, redactor.scrub_bytes(files[name]))
    write_atomic(Path(path), buf.getvalue(), mode=0o600)
    return {"path": str(Path(path).absolute()), "files": manifest["files"], "missing": missing}


def _json_bytes(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
