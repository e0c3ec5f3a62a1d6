"""``storeswitch``: the command line. Argument parsing and printing only.

Every decision lives in the backend modules; each subcommand is a small module in
``backend/commands/`` with ``add_parser(subparsers)`` and ``run(args, ctx) -> int``. Before any
command runs, a switch that died is recovered (:mod:`backend.recovery`).

Exit codes: 0 done; 1 failed or refused (the message says why); 2 bad usage; 3 another switch
is in progress; 4 refused because a blocker known issue applies (``--force`` to override); 5 refused
by the administrator's policy (:mod:`backend.policy`; the message names the policy file);
6 refused for another reason ``--force`` overrides (daemon.json holds edits the running engine
never started with; the known-issue catalog cannot be loaded); 130 interrupted (SIGINT/SIGTERM:
the switch finished or rolled back first, and the message says which).

A file-system error that no command words itself (a full disk, a read-only directory) is still
printed as a sentence naming the path and the next step (:mod:`backend.fs_errors`), never as a
traceback. A damaged switch journal stops every command except ``diagnose``, which reports it.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from backend.errors import NeedsForce, StoreswitchError, SwitchInProgress, SwitchInterrupted
from backend.global_options import add_global_options
from backend.policy import PolicyRefused
from backend.targets.detect import choose_target

if TYPE_CHECKING:
    from backend.profile import Profile
    from backend.targets.base import Target

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY, EXIT_BLOCKED = 0, 1, 2, 3, 4
EXIT_POLICY = 5  # = backend.policy.EXIT_POLICY
EXIT_NEEDS_FORCE = 6
EXIT_INTERRUPTED = 130
# Commands that still run when the switch journal is damaged (and report it): support needs them then.
RUN_WITH_DAMAGED_JOURNAL = ("diagnose",)


@dataclass
class Context:
    """What every command gets: the profile, the chosen target, and how to print."""

    profile: Profile
    target: Target
    json: bool
    recovered: str | None = None
    journal_problem: str | None = None  # a damaged journal, for the commands that run anyway

    def emit(self, data: dict[str, Any], human: list[str] | str) -> None:
        if self.json:
            print(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            print(human if isinstance(human, str) else "\n".join(human))


# The commands, by module name in backend/commands/ (in --help order). A module named ``a_b``
# registers the command ``a-b``. To add a command, add its module's name here.
COMMANDS = ("status", "switch", "engine", "gui", "known_issues", "diagnose", "verify", "check", "snapshotters",
            "install_helper", "uninstall_helper", "apply_policy", "reclaim")


def _commands(names: tuple[str, ...] = COMMANDS):
    return [importlib.import_module(f"backend.commands.{name}") for name in names]


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser for every command, or (``only``) for that one command's module.

    ``main`` builds the one-command parser when the command word is known: importing every
    command module is a cost at each start, which a switch would pay beside the restart
    (benchmarks/switch_vs_restart.py; figures in docs/performance.md). ``--help``, errors and unknown words get the full parser.
    """
    parser = argparse.ArgumentParser(
        prog="storeswitch",
        description="Switch a Docker Engine between the classic and the containerd image store.",
    )
    add_global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in _commands((only,) if only else COMMANDS):
        module.add_parser(sub)
    return parser


class _QuietParser(argparse.ArgumentParser):
    def error(self, message: str):  # type: ignore[override]
        raise ValueError(message)


def _command_module(argv: list[str]) -> str | None:
    """The module of the command *argv* names, when it is plain to see; else None (full parser)."""
    pre = _QuietParser(add_help=False)
    add_global_options(pre)
    try:
        _, rest = pre.parse_known_args(argv)
    except ValueError:  # a bad global option: the full parser says so
        return None
    if not rest or rest[0].startswith("-"):
        return None
    name = rest[0].replace("-", "_")
    return name if name in COMMANDS else None


def make_context(args: argparse.Namespace, want_json: bool = False, recover: bool = True) -> Context:
    from backend.profile import Profile

    profile = Profile.resolve(args.profile)
    target = choose_target(args.target, profile, args.dockerd)
    recovered = problem = None
    # Recovery has work only when a switch or a reclaim left its journal; without one (nearly always)
    # its modules (the switch, filelock) are not loaded here: a command that never switches never needs them.
    if recover and profile.interrupted:
        from backend.journal import JournalDamaged
        from backend.recovery import recover_for

        try:
            recovered = recover_for(target, profile, args.dockerd)
        except JournalDamaged as exc:
            if getattr(args, "command", None) not in RUN_WITH_DAMAGED_JOURNAL:
                raise
            problem = str(exc)
    return Context(profile, target, want_json, recovered, problem)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # A command is a short process: nearly everything it allocates is modules, classes and
    # functions, loaded as they are needed and alive until exit. The cyclic collector finds no
    # garbage in them, yet rescans them as they load and once more at exit
    # (docs/performance.md). So it is off while the command runs (reference counting still frees everything
    # that is not in a cycle), and what exists is frozen before returning, out of the teardown's
    # scan. The caller's setting is restored: tests call main() in-process. The GUI, started
    # through `storeswitch gui`, runs its own collector on its thread (gui/collector.py).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _main(argv)
    finally:
        settings = sys.modules.get("backend.settings")  # loaded only by commands that read the settings
        for notice in settings.take_notices() if settings is not None else ():
            print(f"storeswitch: {notice}", file=sys.stderr)
        gc.freeze()
        if collecting:
            gc.enable()


def _main(argv: list[str]) -> int:
    parser = build_parser(_command_module(argv))
    args = parser.parse_args(argv)
    want_json = bool(getattr(args, "json", False))
    if not getattr(args, "needs_target", True):  # install-helper, uninstall-helper: no engine involved
        return args.run(args, None)
    try:
        ctx = make_context(args, want_json, recover=getattr(args, "recover", True))
        if ctx.recovered and not want_json:
            print(f"storeswitch: {ctx.recovered}", file=sys.stderr)
        return args.run(args, ctx)
    except SwitchInProgress as exc:
        return _fail(exc, want_json, EXIT_BUSY)
    except PolicyRefused as exc:
        return _fail(exc, want_json, EXIT_POLICY)
    except NeedsForce as exc:
        return _fail(exc, want_json, EXIT_NEEDS_FORCE)
    except SwitchInterrupted as exc:
        return _fail(exc, want_json, EXIT_INTERRUPTED)
    except StoreswitchError as exc:
        return _fail(exc, want_json, EXIT_FAILED)
    except OSError as exc:  # a file-system error no command worded: still a sentence, not a traceback
        from backend.fs_errors import file_error

        return _fail(file_error(exc, doing="reading or writing"), want_json, EXIT_FAILED)
    except KeyboardInterrupt:
        print("storeswitch: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _fail(exc: Exception, want_json: bool, code: int) -> int:
    if want_json:
        print(json.dumps({"error": str(exc), "kind": type(exc).__name__, "exit_code": code}, indent=2, ensure_ascii=False))
    print(f"storeswitch: {exc}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
