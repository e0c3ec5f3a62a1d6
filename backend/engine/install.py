"""Fetch a real Docker Engine (dockerd + containerd + runc) for the managed target and the tests.

Debian 12's own docker.io is 20.10, too old for the containerd image store. Debian 13 ("trixie")
ships docker.io 26.1.5 and containerd 1.7.24, whose binaries run on Debian 12's libc; trixie's
runc does not (it needs glibc 2.38), so runc comes from the host's own Debian release. The
packages are downloaded with ``apt-get download`` against a private sources list and lists
directory (nothing system-wide changes, no package is installed) and unpacked with
``dpkg -x`` into the engine directory.

Why by hand: no Python library fetches and unpacks Debian packages; ``apt-get`` and ``dpkg``
do the real work, this module only chooses their arguments and reports plainly when they are
missing. Idempotent: a complete engine directory is left as it is.

Layout of the engine directory (default: the user cache dir, or ``STORESWITCH_ENGINE_DIR``)::

    ENGINE_DIR/root/usr/sbin/dockerd       (and runc)
    ENGINE_DIR/root/usr/bin/containerd     (and the shims)
    ENGINE_DIR/engine.json                 what was fetched, written last
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from backend.atomic import write_json_atomic
from backend.errors import EngineNotInstalled

ENGINE_SUITE = "trixie"
# The Debian suites whose engine can be fetched, and what each one is for. trixie is the managed
# engine everyone uses (``~/.cache/storeswitch/engine``); the others go to a directory of their
# own beside it (``engine-sid``, ``engine-bookworm``) so that fetching them never changes it.
SUITES = {
    "trixie": "Docker Engine 26.1.5 + containerd 1.7 (Debian 13): the managed engine",
    "sid": "Docker Engine 28.5.2 + containerd 2.1 (Debian sid): the second engine of the test matrix",
    "bookworm": "Docker Engine 20.10.24 + containerd 1.6 (Debian 12): too old for the containerd store",
}
ENGINE_PACKAGES = ("docker.io", "containerd")
MARKER = "engine.json"
MARKER_SCHEMA = 1  # bump major when the layout of the engine directory changes
HOW_TO_GET = (
    "run `storeswitch engine install` (Debian/Ubuntu hosts with apt), "
    "or pass --dockerd PATH / set STORESWITCH_DOCKERD to a dockerd 24 or newer"
)


@dataclass(frozen=True)
class EngineBinaries:
    """Where a usable dockerd is, and the PATH it needs to find containerd and runc."""

    dockerd: Path
    path_dirs: tuple[Path, ...]
    source: str  # "explicit", "fetched" or "PATH"

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ if base is None else base)
        extra = os.pathsep.join(str(d) for d in self.path_dirs)
        env["PATH"] = extra + (os.pathsep + env["PATH"] if env.get("PATH") else "")
        return env


def default_engine_dir() -> Path:
    explicit = os.environ.get("STORESWITCH_ENGINE_DIR")
    if explicit:
        return Path(explicit)
    return Path(platformdirs.user_cache_dir("storeswitch")) / "engine"


def suite_engine_dir(suite: str = ENGINE_SUITE) -> Path:
    """Where *suite*'s engine is fetched: the default engine dir for trixie, ``engine-<suite>`` beside it otherwise."""
    check_suite(suite)
    base = default_engine_dir()
    return base if suite == ENGINE_SUITE else base.with_name(f"engine-{suite}")


def check_suite(suite: str) -> str:
    if suite not in SUITES:
        raise FetchError(f"unknown suite {suite!r}: choose one of {', '.join(SUITES)}")
    return suite


def fetched_binaries(engine_dir: Path | None = None) -> EngineBinaries | None:
    """The fetched engine, if a complete one is in *engine_dir*."""
    engine_dir = engine_dir or default_engine_dir()
    root = engine_dir / "root"
    dockerd = root / "usr/sbin/dockerd"
    if (engine_dir / MARKER).is_file() and dockerd.is_file():
        return EngineBinaries(dockerd, (root / "usr/sbin", root / "usr/bin"), "fetched")
    return None


def find_dockerd(explicit: str | os.PathLike | None = None) -> EngineBinaries:
    """The dockerd the managed engine runs: explicit, else fetched, else on PATH.

    Raises :class:`EngineNotInstalled` with the way to get one.
    """
    explicit = explicit or os.environ.get("STORESWITCH_DOCKERD")
    if explicit:
        p = Path(explicit)
        if not p.is_file() or not os.access(p, os.X_OK):
            raise EngineNotInstalled(
                f"--dockerd / STORESWITCH_DOCKERD names {p}, which is not an executable file; "
                f"fix the path, or {HOW_TO_GET}"
            )
        return EngineBinaries(p, (p.parent,), "explicit")
    fetched = fetched_binaries()
    if fetched:
        return fetched
    on_path = shutil.which("dockerd")
    if on_path:
        return EngineBinaries(Path(on_path), (), "PATH")
    raise EngineNotInstalled(f"no dockerd is installed for the managed engine: {HOW_TO_GET}")


class FetchError(EngineNotInstalled):
    """The engine could not be fetched; the message says why and what to do instead."""


def _apt_mirror() -> str:
    """The Debian mirror this host's apt already uses (deb822 .sources or sources.list)."""
    candidates: list[str] = []
    src_dir = Path("/etc/apt/sources.list.d")
    files = sorted(src_dir.glob("*.sources")) if src_dir.is_dir() else []
    for f in files:
        for line in f.read_text(errors="replace").splitlines():
            m = re.match(r"\s*URIs:\s*(.+)", line)
            if m:
                candidates += m.group(1).split()
    list_files = [Path("/etc/apt/sources.list")] + (sorted(src_dir.glob("*.list")) if src_dir.is_dir() else [])
    for f in list_files:
        if f.is_file():
            for line in f.read_text(errors="replace").splitlines():
                m = re.match(r"\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+", line)
                if m:
                    candidates.append(m.group(1))
    for uri in candidates:
        if "security" not in uri and "debian" in uri:
            return uri.rstrip("/")
    raise FetchError(
        "could not find a Debian mirror in /etc/apt/sources.list.d/*.sources or "
        f"/etc/apt/sources.list; this fetch works on Debian hosts only. Otherwise {HOW_TO_GET}"
    )


def _host_codename() -> str | None:
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return None
    m = re.search(r"^VERSION_CODENAME=\"?([a-z]+)\"?", text, re.M)
    return m.group(1) if m else None


def _run(args: list[str], cwd: Path | None = None) -> None:
    import subprocess  # only when fetching: the GUI's first paint loads this module (find_dockerd)

    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise FetchError(f"`{' '.join(args[:2])} ...` failed ({proc.returncode}): " + " | ".join(tail))


def install_engine(engine_dir: Path | None = None, log=print, suite: str = ENGINE_SUITE) -> EngineBinaries:
    """Fetch and unpack *suite*'s engine into *engine_dir* (default: :func:`suite_engine_dir`) unless it is there."""
    check_suite(suite)
    engine_dir = engine_dir or suite_engine_dir(suite)
    have = fetched_binaries(engine_dir)
    if have:
        log(f"engine already fetched in {engine_dir}")
        return have
    import platform  # here: this module is on the GUI's first-paint path, which fetches nothing

    if platform.system() != "Linux":
        raise FetchError(f"the managed engine runs on Linux only; on this system {HOW_TO_GET}")
    for tool in ("apt-get", "dpkg"):
        if not shutil.which(tool):
            raise FetchError(f"`{tool}` is not installed, so the engine cannot be fetched; {HOW_TO_GET}")
    mirror = _apt_mirror()
    host = _host_codename()
    engine_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".fetch-", dir=engine_dir))
    try:
        lists = work / "lists"
        (lists / "partial").mkdir(parents=True)
        (work / "cache" / "archives" / "partial").mkdir(parents=True)
        debs = work / "debs"
        debs.mkdir()
        lines = [f"deb {mirror} {suite} main"]
        runc_spec = "runc"
        if host and host != suite:
            lines.append(f"deb {mirror} {host} main")
            runc_spec = f"runc/{host}"
        (work / "sources.list").write_text("\n".join(lines) + "\n")
        opts = [
            f"-oDir::Etc::SourceList={work / 'sources.list'}",
            "-oDir::Etc::SourceParts=/dev/null",
            f"-oDir::State::Lists={lists}",
            f"-oDir::Cache={work / 'cache'}",
            "-oDebug::NoLocking=1",
            "-oAPT::Sandbox::User=root" if os.geteuid() == 0 else "-oAPT::Sandbox::User=",
        ]
        log(f"fetching package lists for {suite} from {mirror} ...")
        _run(["apt-get", *opts, "update"])
        log(f"downloading {', '.join(ENGINE_PACKAGES)} ({suite}) and {runc_spec} ...")
        _run(["apt-get", *opts, "download", *[f"{p}/{suite}" for p in ENGINE_PACKAGES], runc_spec], cwd=debs)
        staged = work / "root"
        fetched = []
        for deb in sorted(debs.glob("*.deb")):
            _run(["dpkg", "-x", str(deb), str(staged)])
            fetched.append(deb.name)
        if not (staged / "usr/sbin/dockerd").is_file():
            raise FetchError(f"the downloaded packages hold no usr/sbin/dockerd ({fetched}); {HOW_TO_GET}")
        final = engine_dir / "root"
        if final.exists():
            shutil.rmtree(final)
        staged.rename(final)
        write_json_atomic(
            engine_dir / MARKER,
            {"schema_version": MARKER_SCHEMA, "packages": fetched, "mirror": mirror, "suite": suite},  # suite: an added key, no bump
        )
        log(f"engine ready in {engine_dir}: {', '.join(fetched)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = fetched_binaries(engine_dir)
    assert result is not None
    return result


def main(argv: list[str] | None = None) -> int:
    """``python -m backend.engine.install [--suite SUITE]``: what scripts/fetch-engine runs."""
    import argparse

    parser = argparse.ArgumentParser(prog="fetch-engine", description="Fetch a Debian suite's Docker Engine.")
    parser.add_argument("--suite", choices=list(SUITES), default=ENGINE_SUITE,
                        help="; ".join(f"{k}: {v}" for k, v in SUITES.items()))
    args = parser.parse_args(argv)
    engine_dir = suite_engine_dir(args.suite)
    try:
        install_engine(engine_dir, log=lambda m: print(f"fetch-engine: {m}", file=sys.stderr), suite=args.suite)
    except EngineNotInstalled as exc:
        print(f"fetch-engine: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"engine_dir": str(engine_dir), "suite": args.suite}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
