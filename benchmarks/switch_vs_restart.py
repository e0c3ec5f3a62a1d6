"""How long a ``storeswitch switch`` takes beside a plain restart of a dockerd, in two layouts.

A switch is, at heart, "stop dockerd, change daemon.json, start dockerd": everything storeswitch
adds (the Python process, recovery check, known-issues preflight, ``dockerd --validate``, journal,
verify through ``/info`` and a stored test image, history) should cost little beside the restart
itself. Two baselines, measured in the same run (issue 16):

- (a) *embedded*: a plain restart of a dockerd that starts its own containerd (storeswitch's
  layout before issue 16): every stop waits for that containerd to exit. Target: the median
  switch at most 0.6 times this median.
- (b) *separate*: a plain restart of a dockerd started with ``--containerd`` beside a
  long-lived containerd (Debian's and Docker's own service units; the managed engine's layout
  now). Target: the median switch at most 1.05 times this median.

Each baseline restarts its engine the way a person's script would, with no storeswitch code on
the path: SIGTERM the dockerd named by the pidfile and wait until it is gone, rewrite daemon.json
with the other store, start dockerd with exactly the managed engine's arguments (for (a) without
``--containerd``), poll ``/_ping`` every 10 ms until it answers OK. (b) restarts the very engine
storeswitch switches; (a) has a profile of its own (its containerd would use the same directories).
The *switch* is ``storeswitch --profile P switch {containerd,classic}`` as a subprocess, wall time
from spawn to exit (what a user waits for at the prompt). All three flip the store each time (each
pays an engine start on each store) and are interleaved, so that drift (page cache, CPU frequency,
other load) hits them alike. ``--breakdown`` times the phases of a switch, to show where the rest goes.

*The floor* (measured in the same rounds, printed beside the ratios): what the least possible
switch would cost with every safety step kept, none of it storeswitch's own code. A Python CLI
pays its interpreter (``python -c pass`` with the venv's interpreter) and, to ask the engine
what the known-issue gate needs, the engine client (``python -c`` that loads httpx as storeswitch
does and asks ``/version`` and ``/info``); ``dockerd --validate`` runs beside that (a subprocess),
so the longer of the two comes before the stop; then the restart (b); then the verify step's
engine work (store and remove the probe image, the same calls as a switch, in this process).
floor = max(Python + engine client, ``dockerd --validate``) + (b) + probe. Journal and history
writes (a few ms of fsync) and the printing are left out, so the floor is a little low, never high.

Usage (as root, with the engine fetched by ``scripts/fetch-engine``)::

    .venv/bin/python benchmarks/switch_vs_restart.py [--rounds 5] [--json] [--breakdown]

Exit status 0 whatever the ratios (a benchmark reports; it does not pass or fail), 1 when it
cannot run (no engine, not root).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.engine.managed import ManagedEngine  # noqa: E402
from backend.errors import EngineNotInstalled  # noqa: E402
from backend.profile import Profile  # noqa: E402

TARGET_EMBEDDED = 0.60  # switch / restart of a dockerd that starts its own containerd
TARGET_SEPARATE = 1.05  # switch / restart of a dockerd beside a long-lived containerd
POLL = 0.01


# The engine client a switch needs before the stop, loaded as storeswitch loads it (backend/engine/api.py),
# and the gate's two questions: the least a Python CLI pays to ask the engine anything.
CLIENT_FLOOR = (
    "import sys\n"
    "from backend.engine.api import EngineClient\n"
    "with EngineClient(sys.argv[1], timeout=10) as c:\n"
    "    c.version(); c.info()\n"
)


def timed_run(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"benchmark: `{' '.join(argv[:3])}` failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
    return elapsed


def floor_round(engine: ManagedEngine, env: dict[str, str], times: dict[str, list[float]]) -> None:
    """One measurement of each floor part (module docstring), on the engine the switches use."""
    from backend.verify import probe_store

    times["python"].append(timed_run([sys.executable, "-c", "pass"], env))
    times["client"].append(timed_run([sys.executable, "-c", CLIENT_FLOOR, engine.host], {**env, "PYTHONPATH": str(ROOT)}))
    start = time.perf_counter()
    engine.validate(engine.config_path.read_bytes())
    times["validate"].append(time.perf_counter() - start)
    with engine.client() as client:
        client.info()  # the client's own set-up is not the engine's work
        start = time.perf_counter()
        probe_store(client)
        times["probe"].append(time.perf_counter() - start)


def storeswitch_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("storeswitch")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "backend.cli"]


def cli(profile_dir: Path, *args: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([*storeswitch_cmd(), "--profile", str(profile_dir), "--target", "managed", *args],
                          env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"benchmark: `storeswitch {' '.join(args)}` failed ({proc.returncode}): {proc.stderr.strip()}")
    return elapsed


# Runs one `storeswitch switch` in-process with timers around its phases (--breakdown). Each
# phase is looked up by name and skipped if the code moved: a breakdown, never a failure. The
# timers are put in place as each module loads (an import hook), so that the driver loads nothing
# the command would not: storeswitch loads most modules lazily, and loading them here first would
# move their cost out of the phases that pay it.
BREAKDOWN_DRIVER = r"""
import functools, importlib.abc, importlib.util, json, sys, threading, time
t0 = time.perf_counter()
looking = threading.local()  # the hook's own find_spec in progress on this thread (a module may load on another)
spent = {}
PHASES = [
    ("backend.commands.known_issues", "preflight", "known-issues check (incl. loading httpx)"),
    ("backend.engine.managed", "ManagedEngine.validate", "dockerd --validate (in the background)"),
    ("backend.engine.version", "validate_skip_note", "dockerd --version (only after a refused --validate)"),
    ("backend.switch", "SwitchTransaction._live_store", "live store (/info)"),
    ("backend.journal", "SwitchJournal.begin", "journal writes"),
    ("backend.journal", "SwitchJournal.advance", "journal writes"),
    ("backend.engine.managed", "ManagedEngine.stop_dockerd", "engine stop (dockerd)"),
    ("backend.engine.managed", "ManagedEngine.start", "engine start (dockerd)"),
    ("backend.verify", "verify_store", "verify (/info + store an image)"),
    ("backend.journal", "SwitchHistory.append", "history"),
    ("backend.cli", "make_context", "profile, target, recovery check"),
]
def wrap(module, attr, label):
    owner = module
    try:
        for part in attr.split(".")[:-1]:
            owner = getattr(owner, part)
        name = attr.split(".")[-1]
        fn = getattr(owner, name)
    except AttributeError:
        return
    @functools.wraps(fn)
    def timed(*a, **k):
        s = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - s
    setattr(owner, name, timed)
class Hook(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        wanted = [p for p in PHASES if p[0] == name]
        if not wanted or getattr(looking, "name", None) == name:
            return None
        looking.name = name
        try:
            spec = importlib.util.find_spec(name)
        finally:
            looking.name = None
        if spec is None or spec.loader is None:
            return None
        load = spec.loader.exec_module
        def exec_module(module):
            load(module)
            for _, attr, label in wanted:
                wrap(module, attr, label)
        spec.loader.exec_module = exec_module
        return spec
sys.meta_path.insert(0, Hook())
import backend.cli as cli
t1 = time.perf_counter()
code = cli.main(sys.argv[1:])
t2 = time.perf_counter()
print("BREAKDOWN " + json.dumps({"imports (backend.cli; the rest loads lazily, inside the phases)": t1 - t0, "main": t2 - t1, **spent}), file=sys.stderr)
sys.exit(code)
"""


def breakdown(profile_dir: Path, store: str, env: dict[str, str]) -> dict[str, float]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", BREAKDOWN_DRIVER, "--profile", str(profile_dir), "--target", "managed",
                           "switch", store], env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    wall = time.perf_counter() - start
    line = next((ln for ln in proc.stderr.splitlines() if ln.startswith("BREAKDOWN ")), None)
    if proc.returncode != 0 or line is None:
        raise SystemExit(f"benchmark: breakdown run failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    parts = json.loads(line.removeprefix("BREAKDOWN "))
    imports = next(v for k, v in parts.items() if k.startswith("imports"))
    parts["interpreter start and exit"] = wall - imports - parts.pop("main")
    parts["wall"] = wall
    return parts


class RawRestarter:
    """Restarts a managed-profile dockerd the way a person's script would, with no storeswitch code on the path.

    *embedded*: dockerd runs without ``--containerd`` and starts its own containerd (the layout
    before issue 16); otherwise it runs beside the profile's long-lived containerd.
    """

    def __init__(self, engine: ManagedEngine, embedded: bool = False) -> None:
        self.engine = engine
        self.binaries = engine.binaries()
        argv = engine.command(self.binaries)
        self.argv = [a for a in argv if not a.startswith("--containerd=")] if embedded else argv
        self.children: dict[int, subprocess.Popen] = {}
        self.http = httpx.Client(transport=httpx.HTTPTransport(uds=str(engine.profile.managed_socket), verify=False),
                                 base_url="http://docker", timeout=1.0)

    def launch(self) -> None:
        """Start this baseline's dockerd for the first time (the embedded one has its own profile)."""
        p = self.engine.profile
        for d in (p.managed_data_root, p.managed_exec_root, p.log_dir, p.managed_config_path.parent):
            d.mkdir(parents=True, exist_ok=True)
        if not p.managed_config_path.exists():
            p.managed_config_path.write_text("{}\n")
        self._spawn_and_wait()

    def restart(self, containerd: bool) -> float:
        p = self.engine.profile
        start = time.perf_counter()
        pid = int(p.managed_pidfile.read_text().strip())
        os.kill(pid, signal.SIGTERM)
        self._wait_gone(pid)
        config = json.loads(p.managed_config_path.read_text() or "{}")
        config.setdefault("features", {})["containerd-snapshotter"] = containerd
        p.managed_config_path.write_text(json.dumps(config, indent=2) + "\n")
        self._spawn_and_wait()
        return time.perf_counter() - start

    def _spawn_and_wait(self) -> None:
        p = self.engine.profile
        with open(p.engine_log_path, "ab") as log:
            proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, env=self.binaries.env(), start_new_session=True)
        self.children[proc.pid] = proc
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"benchmark: dockerd exited at start ({proc.returncode}); see {p.engine_log_path}")
            try:
                if self.http.get("/_ping").text == "OK":
                    break
            except httpx.HTTPError:
                pass
            time.sleep(POLL)

    def _wait_gone(self, pid: int) -> None:
        child = self.children.pop(pid, None)
        if child is not None:
            child.wait()
            return
        while True:  # not our child: gone when the pid is, or once it is a zombie awaiting its parent
            try:
                os.kill(pid, 0)
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
            except (ProcessLookupError, FileNotFoundError):
                return
            if state == "Z":
                return
            time.sleep(POLL)

    def reap(self) -> None:
        """dockerds this script started and storeswitch stopped: collect them (no zombies)."""
        for pid, child in list(self.children.items()):
            if child.poll() is not None:
                del self.children[pid]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5,
                    help="round trips of each kind (default 5: 10 switches, 10 restarts of each baseline)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--breakdown", action="store_true",
                    help="also time the phases of two more switches (in-process timers) to show where time goes")
    args = ap.parse_args(argv)

    if os.geteuid() != 0:
        print("benchmark: dockerd must run as root; run this as root", file=sys.stderr)
        return 1
    root = Path(tempfile.mkdtemp(prefix="ssw-bench-"))
    embedded_root = Path(tempfile.mkdtemp(prefix="ssw-bench-e-"))
    profile = Profile.from_dir(root)
    engine = ManagedEngine(profile)
    embedded_engine = ManagedEngine(Profile.from_dir(embedded_root))
    try:
        engine.binaries()
    except EngineNotInstalled as exc:
        print(f"benchmark: {exc}", file=sys.stderr)
        return 1
    env = dict(os.environ)
    env.pop("STORESWITCH_FAULT_KILL_AFTER", None)
    # An installed storeswitch runs from cached bytecode. With PYTHONDONTWRITEBYTECODE set (some
    # shells and CI images set it) every command would compile its ~40 modules again (~35 ms),
    # a cost no installed copy pays: cache the bytecode in the run's temp dir instead.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    times: dict[str, list[float]] = {"switch": [], "separate": [], "embedded": [],
                                     "python": [], "client": [], "validate": [], "probe": []}
    try:
        cli(root, "engine", "start", env=env)
        # Warm-up: the first start on each store creates its directories; measure neither.
        cli(root, "switch", "containerd", env=env)
        cli(root, "switch", "classic", env=env)
        separate = RawRestarter(engine)
        embedded = RawRestarter(embedded_engine, embedded=True)
        embedded.launch()
        embedded.restart(containerd=True)
        embedded.restart(containerd=False)
        for _ in range(args.rounds):
            times["switch"].append(cli(root, "switch", "containerd", env=env))
            times["switch"].append(cli(root, "switch", "classic", env=env))
            separate.reap()
            times["separate"].append(separate.restart(containerd=True))
            times["separate"].append(separate.restart(containerd=False))
            times["embedded"].append(embedded.restart(containerd=True))
            times["embedded"].append(embedded.restart(containerd=False))
            floor_round(engine, env, times)
        separate.reap()
        phases: list[dict[str, float]] = []
        if args.breakdown:
            phases = [breakdown(root, "containerd", env), breakdown(root, "classic", env)]
        cli(root, "engine", "stop", env=env)
        separate.reap()
    finally:
        for eng in (engine, embedded_engine):
            eng.stop()
            shutil.rmtree(eng.profile.run_dir, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(embedded_root, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    ratio_embedded = med["switch"] / med["embedded"]
    ratio_separate = med["switch"] / med["separate"]
    before_stop = max(med["client"], med["validate"])
    floor = before_stop + med["separate"] + med["probe"]
    figures = {
        "rounds": args.rounds,
        "pyc_cache": True,
        "switch_median_s": round(med["switch"], 3),
        "restart_embedded_containerd_median_s": round(med["embedded"], 3),
        "restart_separate_containerd_median_s": round(med["separate"], 3),
        "ratio_vs_embedded": round(ratio_embedded, 3),
        "target_vs_embedded": TARGET_EMBEDDED,
        "within_target_vs_embedded": ratio_embedded <= TARGET_EMBEDDED,
        "ratio_vs_separate": round(ratio_separate, 3),
        "target_vs_separate": TARGET_SEPARATE,
        "within_target_vs_separate": ratio_separate <= TARGET_SEPARATE,
        "switch_s": [round(t, 3) for t in times["switch"]],
        "restart_embedded_containerd_s": [round(t, 3) for t in times["embedded"]],
        "restart_separate_containerd_s": [round(t, 3) for t in times["separate"]],
        "floor": {
            "python_start_exit_median_s": round(med["python"], 3),
            "python_engine_client_median_s": round(med["client"], 3),
            "dockerd_validate_median_s": round(med["validate"], 3),
            "verify_probe_median_s": round(med["probe"], 3),
            "restart_separate_containerd_median_s": round(med["separate"], 3),
            "floor_s": round(floor, 3),
            "floor_ratio_vs_separate": round(floor / med["separate"], 3),
            "floor_ratio_vs_embedded": round(floor / med["embedded"], 3),
            "switch_above_floor_s": round(med["switch"] - floor, 3),
        },
    }
    if phases:
        labels = list(dict.fromkeys(k for p in phases for k in p))
        figures["breakdown_s"] = {k: round(statistics.mean(p.get(k, 0.0) for p in phases), 3) for k in labels}
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        def runs(key: str) -> str:
            return f"({len(times[key])} runs: {', '.join(f'{t:.2f}' for t in times[key])})"

        def verdict(ratio: float, target: float) -> str:
            return f"(target <= {target:.2f}: {'met' if ratio <= target else 'NOT met'})"

        print(f"storeswitch switch                        median {med['switch']:.3f} s  {runs('switch')}")
        print(f"(a) restart, dockerd starts its containerd median {med['embedded']:.3f} s  {runs('embedded')}")
        print(f"(b) restart, containerd runs beside it     median {med['separate']:.3f} s  {runs('separate')}")
        print(f"ratio switch/(a) {ratio_embedded:.3f}  {verdict(ratio_embedded, TARGET_EMBEDDED)}")
        print(f"ratio switch/(b) {ratio_separate:.3f}  {verdict(ratio_separate, TARGET_SEPARATE)}")
        print("(storeswitch ran with its .pyc cache, kept in the run's temp dir, as an installed copy has one)")
        print("the floor: the least possible switch with every safety step kept (medians, same rounds):")
        print(f"  python -c pass (the venv's interpreter, start and exit)      {med['python'] * 1000:7.1f} ms")
        print(f"  python + httpx engine client + /version + /info            {med['client'] * 1000:7.1f} ms")
        print(f"  dockerd --validate alone (beside the line above)            {med['validate'] * 1000:7.1f} ms")
        print(f"  (b) restart                                                 {med['separate'] * 1000:7.1f} ms")
        print(f"  verify probe (store and remove the test image)              {med['probe'] * 1000:7.1f} ms")
        print(f"  floor = max(client, validate) + (b) + probe                 {floor * 1000:7.1f} ms  "
              f"-> floor/(b) {floor / med['separate']:.2f}, floor/(a) {floor / med['embedded']:.2f}; "
              f"the switch is {(med['switch'] - floor) * 1000:.0f} ms above it")
        if phases:
            print("where a switch's time goes (mean of one switch each way, in-process timers; "
                  "dockerd --validate runs beside the known-issues check):")
            for label, secs in figures["breakdown_s"].items():
                print(f"  {label:<66} {secs * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
