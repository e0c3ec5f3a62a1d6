"""``storeswitch``: the command line. Argument parsing and printing only.

Every decision lives in the backend modules; each subcommand is a small module in
``backend/commands/`` with ``add_parser(subparsers)`` and ``run(args, ctx) -> int``. Before any
command runs, a switch that died is recovered (:mod:`backend.recovery`).

Exit codes: 0 done; 1 failed or refused (the message says why); 2 bad usage; 3 another switch
is in progress; 4 refused because a blocker known issue applies (``--force`` to override).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from typing import Any

from backend.errors import StoreswitchError, SwitchInProgress
from backend.profile import Profile
from backend.targets.base import Target
from backend.targets.detect import TARGET_NAMES, choose_target

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY, EXIT_BLOCKED = 0, 1, 2, 3, 4


@dataclass
class Context:
    """What every command gets: the profile, the chosen target, and how to print."""

    profile: Profile
    target: Target
    json: bool
    recovered: str | None = None

    def emit(self, data: dict[str, Any], human: list[str] | str) -> None:
        if self.json:
            print(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            print(human if isinstance(human, str) else "\n".join(human))


def _commands():
    from backend.commands import engine, gui, status, switch

    return [status, switch, engine, gui]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="storeswitch",
        description="Switch a Docker Engine between the classic and the containerd image store.",
    )
    add_global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in _commands():
        module.add_parser(sub)
    return parser


def add_global_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by the CLI and the GUI (``storeswitch-gui`` accepts the same)."""
    parser.add_argument("--profile", metavar="DIR", default=os.environ.get("STORESWITCH_PROFILE"),
                        help="keep every storeswitch file under DIR (default: the platform's user dirs; env STORESWITCH_PROFILE)")
    parser.add_argument("--target", choices=TARGET_NAMES, default=None,
                        help="which engine to switch (default: auto)")
    parser.add_argument("--dockerd", metavar="PATH", default=os.environ.get("STORESWITCH_DOCKERD"),
                        help="the dockerd the managed engine runs (env STORESWITCH_DOCKERD)")


def make_context(args: argparse.Namespace, want_json: bool = False, recover: bool = True) -> Context:
    from backend.recovery import recover as run_recovery

    profile = Profile.resolve(args.profile)
    target = choose_target(args.target, profile, args.dockerd)
    recovered = run_recovery(target, profile) if recover else None
    return Context(profile, target, want_json, recovered)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    want_json = bool(getattr(args, "json", False))
    try:
        ctx = make_context(args, want_json, recover=getattr(args, "recover", True))
        if ctx.recovered and not want_json:
            print(f"storeswitch: {ctx.recovered}", file=sys.stderr)
        return args.run(args, ctx)
    except SwitchInProgress as exc:
        return _fail(exc, want_json, EXIT_BUSY)
    except StoreswitchError as exc:
        return _fail(exc, want_json, EXIT_FAILED)
    except KeyboardInterrupt:
        print("storeswitch: interrupted", file=sys.stderr)
        return 130


def _fail(exc: Exception, want_json: bool, code: int) -> int:
    if want_json:
        print(json.dumps({"error": str(exc), "kind": type(exc).__name__, "exit_code": code}, indent=2, ensure_ascii=False))
    print(f"storeswitch: {exc}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
