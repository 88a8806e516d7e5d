"""The job queue for operators: ``solnode jobs`` (list by state, kind, host), ``jobs show ID``,
``jobs retry ID`` / ``jobs retry --host H``, ``jobs purge-dead``."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from node.cli_kit import CliContext, CliError, add_command

if TYPE_CHECKING:
    from collections.abc import Callable

    from node.cli_kit import Subcommands
    from node.federation.job_queries import JobRow

STATES = ("ready", "done", "dead")


def _when(epoch: float | None) -> str:
    if not epoch:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


def _progress(verb: str) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        if total > 500:
            print(f"  {verb} {done}/{total}…", file=sys.stderr)

    return report


def _line(job: JobRow) -> str:
    error = job.last_error.splitlines()[0][:60] if job.last_error else ""
    status = job.state if job.state != "ready" or job.run_at <= time.time() else "waiting"
    host = job.host or "-"
    return f"{job.id}\t{job.kind}\t{status}\t{job.attempts}\t{_when(job.run_at)}\t{host}\t{error}"


def cmd_jobs_list(ctx: CliContext, args: argparse.Namespace) -> int:
    """List jobs (newest last) with a count by state of what matched."""
    from collections import Counter  # lazy: start-up

    from node.federation import job_queries  # lazy: start-up

    shown, counts = 0, Counter[str]()
    found = job_queries.find(ctx.engine, state=args.state, kind=args.kind, host=args.host)
    for job in found:
        counts[job.state] += 1
        if shown == 0:
            print("ID\tKIND\tSTATE\tATTEMPTS\tRUN AT (UTC)\tHOST\tLAST ERROR")
        if shown < args.limit:
            print(_line(job))
            shown += 1
    total = sum(counts.values())
    if not total:
        print("No jobs match.")
        return 0
    summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
    more = f" (first {shown} shown; --limit N for more)" if shown < total else ""
    print(f"{total} job(s): {summary}{more}.")
    return 0


def cmd_jobs_show(ctx: CliContext, args: argparse.Namespace) -> int:
    """Everything about one job."""
    import orjson  # lazy: start-up

    from node.federation import job_queries  # lazy: start-up

    job = job_queries.get(ctx.engine, args.id)
    if job is None:
        raise CliError(f"no job with id {args.id} (solnode jobs lists them)")
    fields = [
        ("id", job.id),
        ("kind", job.kind),
        ("state", job.state),
        ("host", job.host or "-"),
        ("attempts", job.attempts),
        ("created", _when(job.created_at)),
        ("run at", _when(job.run_at)),
        ("finished", _when(job.finished_at)),
        ("held by", f"{job.locked_by} until {_when(job.locked_until)}" if job.locked_by else "-"),
        ("last status", job.last_status if job.last_status is not None else "-"),
        ("last error", job.last_error or "-"),
        ("dedupe key", job.dedupe_key or "-"),
    ]
    for name, value in fields:
        print(f"{name + ':':<13}{value}")
    print("payload:")
    print(orjson.dumps(job.payload, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())
    return 0


def cmd_jobs_retry(ctx: CliContext, args: argparse.Namespace) -> int:
    """Run a dead or waiting job again now (or all of a host's with --host)."""
    from node.federation import job_queries  # lazy: start-up

    if (args.id is None) == (args.host is None):
        raise CliError("give a job id or --host HOST (not both)")
    if args.id is not None:
        job = job_queries.get(ctx.engine, args.id)
        if job is None:
            raise CliError(f"no job with id {args.id} (solnode jobs lists them)")
        if not job_queries.retry(ctx.engine, [job.id]):
            raise CliError(f"job {job.id} is {job.state} or held by a worker; nothing to retry")
        print(f"Job {job.id} ({job.kind}) will run again now.")
        return 0
    host = args.host.lower()
    ids = [j.id for j in job_queries.find(ctx.engine, host=host) if j.state != "done"]
    changed = job_queries.retry(ctx.engine, ids, _progress("requeued"))
    print(f"{changed} deliver job(s) to {host} will run again now.")
    if host in job_queries.open_circuits(ctx.engine):
        print(f"Note: the circuit for {host} is open; deliveries wait until it half-opens.")
    return 0


def cmd_jobs_purge_dead(ctx: CliContext, args: argparse.Namespace) -> int:
    """Delete every dead job (they are kept for inspection until then)."""
    from node.federation import job_queries  # lazy: start-up

    deleted = job_queries.purge_dead(ctx.engine, _progress("deleted"))
    print(f"{deleted} dead job(s) deleted.")
    return 0


def add_commands(sub: Subcommands[argparse.ArgumentParser]) -> None:
    """``solnode jobs [list options] | show | retry | purge-dead``."""
    jobs = add_command(sub, "jobs", cmd_jobs_list, "list, inspect, retry and purge background jobs")
    jobs.add_argument("--state", choices=STATES, help="only jobs in this state")
    jobs.add_argument("--kind", help="only jobs of this kind (deliver, fanout, inbox, ...)")
    jobs.add_argument("--host", help="only deliver jobs to this host")
    jobs.add_argument("--limit", type=int, default=50, help="lines to print (default 50)")
    verbs = jobs.add_subparsers(dest="action", metavar="ACTION")
    show = add_command(verbs, "show", cmd_jobs_show, "show one job in full")
    show.add_argument("id", type=int)
    retry = add_command(verbs, "retry", cmd_jobs_retry, "run a dead or waiting job again now")
    retry.add_argument("id", type=int, nargs="?", help="the job's id")
    retry.add_argument("--host", help="every dead or waiting deliver job to this host")
    add_command(verbs, "purge-dead", cmd_jobs_purge_dead, "delete every dead job")
