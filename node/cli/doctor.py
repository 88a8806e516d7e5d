"""``solnode doctor``: check the node's health, each finding with a fix hint; exit 1 on a FAIL."""

from __future__ import annotations

import argparse

from node.cli_kit import CliContext, Subcommands, add_command

_MARK = {"OK": "OK  ", "WARN": "WARN", "FAIL": "FAIL"}


def cmd_doctor(ctx: CliContext, args: argparse.Namespace) -> int:
    """Run every check and print one line each (and a hint under each WARN or FAIL)."""
    from node.db import make_engine  # lazy: start-up
    from node.federation.context import NodeContext  # lazy: start-up
    from node.federation.doctor import run_checks  # lazy: start-up

    settings = ctx.settings
    # Its own engine, not ctx.engine: opening that one migrates, and the doctor only looks.
    engine = make_engine(settings)
    try:
        node = NodeContext.build(settings, engine)
        results = node.run(lambda n: run_checks(n, args.handle))
    finally:
        engine.dispose()
    for result in results:
        print(f"{_MARK[result.status]}  {result.name}: {result.detail}")
        if result.hint:
            print(f"      fix: {result.hint}")
    failed = sum(r.status == "FAIL" for r in results)
    warned = sum(r.status == "WARN" for r in results)
    print(f"{len(results)} checks: {failed} failed, {warned} warnings.")
    return 1 if failed else 0


def add_commands(sub: Subcommands[argparse.ArgumentParser]) -> None:
    """``solnode doctor [--handle user@host]``."""
    parser = add_command(
        sub, "doctor", cmd_doctor, "check the node's health and say how to fix what is wrong"
    )
    parser.add_argument(
        "--handle", help="also check that this remote account (user@host) can be reached"
    )
