"""Running a node: ``solnode serve`` (web, and the worker unless told) and ``solnode worker``."""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import sys
from collections.abc import Callable
from dataclasses import replace

from node.cli_kit import CliContext, CliError, Subcommands, add_command
from node.settings import ensure_secret, is_loopback_host


def _serve_settings(ctx: CliContext, args: argparse.Namespace) -> None:
    settings = ctx.settings
    # Without an explicit base URL, a loopback node is reachable at the address it listens on,
    # so `solnode serve --port 8001` just works for local development.
    if not args.base_url and "SOLNODE_BASE_URL" not in os.environ and is_loopback_host(args.host):
        settings = replace(settings, base_url=f"http://{args.host}:{args.port}")
    ctx.adopt(ensure_secret(settings))


FILES_KEPT = 100  # descriptors left for the database, logs and outgoing requests


def concurrency_limit(wanted: int) -> int | None:
    """``limit_concurrency`` for uvicorn: the setting (0: none), raising the soft open-files limit
    towards the hard one if needed, and lowered to fit under it, so that a flood of connections
    is answered 503 instead of the node running out of file descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = wanted + FILES_KEPT if wanted else hard
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return wanted or None
    fits = max(1, soft - FILES_KEPT)
    if not wanted or wanted > fits:
        print(
            f"limit_concurrency lowered to {fits}: only {soft} open files allowed "
            "(raise LimitNOFILE / ulimit -n)",
            file=sys.stderr,
        )
        return fits
    return wanted


def settle_heap() -> None:
    """Move what start-up allocated (modules, routes, templates, the engine: hundreds of thousands
    of objects that live as long as the process) out of the garbage collector's reach. Without
    it each full collection walked them all again: 0.07-0.2 s each, a tenth of the inbox's CPU
    under load (measured with gc.callbacks around bench/bench_inbox.py's requests, in process).
    Only here, in the long-running commands: tests build many apps in one process."""
    gc.collect()
    gc.freeze()


def cmd_serve(ctx: CliContext, args: argparse.Namespace) -> int:
    """Serve the web application (with an in-process worker unless ``--no-worker``)."""
    # lazy: the web application and the server load templates and every route; only serve needs them
    import uvicorn

    from node.app import create_app  # lazy: see above
    from node.cli.http_server import MAX_HEAD_BYTES, deadline_protocol  # lazy: see above
    from node.heap import limit_arenas  # lazy: see above

    limit_arenas()  # before any thread starts
    _serve_settings(ctx, args)
    settings = ctx.settings
    ctx.ensure_instance()
    app = create_app(settings, engine=ctx.engine, run_worker=not args.no_worker)
    settle_heap()
    print(
        f"Serving {settings.base_url} on http://{args.host}:{args.port}"
        f" ({'web only' if args.no_worker else 'web + worker'}); Ctrl-C to stop.",
        file=sys.stderr,
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=settings.log_level,
        proxy_headers=True,
        forwarded_allow_ips=list(settings.trusted_proxies),
        access_log=args.access_log,
        loop="uvloop",
        http=deadline_protocol(settings.header_timeout),
        ws="none",  # no route speaks WebSocket; "auto" would load the websockets library
        limit_concurrency=concurrency_limit(settings.limit_concurrency),
        timeout_keep_alive=5,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,  # the same cap if h11 is ever chosen
    )
    return 0


def cmd_worker(ctx: CliContext, args: argparse.Namespace) -> int:
    """Run jobs until stopped (or, with ``--drain``, those that are due)."""
    from node.federation import jobs  # lazy: start-up
    from node.federation.context import NodeContext  # lazy: start-up
    from node.federation.worker import (  # lazy: start-up
        Worker,
        install_signal_handlers,
    )
    from node.heap import limit_arenas, release_when_quiet  # lazy: start-up
    from node.wiring import job_registry  # lazy: start-up

    limit_arenas()  # before any thread starts
    lease = jobs.DEFAULT_LEASE if args.lease is None else args.lease
    if not lease > 0:
        raise CliError(f"--lease must be a positive number of seconds, got {args.lease}")
    ctx.adopt(ensure_secret(ctx.settings))
    ctx.ensure_instance()
    registry = job_registry()
    settle_heap()

    async def work(node: NodeContext) -> None:
        worker = Worker(node, registry, concurrency=args.concurrency, lease=lease)
        if args.drain:
            ran = await worker.drain()
            print(f"Ran {ran} job(s).")
        else:
            install_signal_handlers(worker)
            print(f"Worker {worker.name} running; Ctrl-C to stop.", file=sys.stderr)
            releaser = asyncio.create_task(release_when_quiet())
            try:
                await worker.run()
            finally:
                releaser.cancel()

    ctx.run(work, loop_factory=_fast_loop())
    return 0


def _fast_loop() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when installed (uvicorn[standard] brings it where it builds), as ``serve``
    runs on: a delivery's POST to a new host costs ~10% less CPU than on asyncio's own loop
    (bench/bench_fanout.py ``--loop``); asyncio's loop elsewhere."""
    try:
        import uvloop  # lazy: only the worker's loop
    except ImportError:
        return None
    return uvloop.new_event_loop


def add_commands(sub: Subcommands[argparse.ArgumentParser]) -> None:
    """``solnode serve`` and ``solnode worker``."""
    p = add_command(
        sub, "serve", cmd_serve, "run the web server (and the job worker, unless --no-worker)"
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument(
        "--no-worker",
        action="store_true",
        help="serve web requests only; run `solnode worker` processes separately",
    )
    p.add_argument("--access-log", action="store_true", help="log every request")
    p = add_command(
        sub, "worker", cmd_worker, "run a job worker process (delivery, inbox processing)"
    )
    p.add_argument("--concurrency", type=int, default=32, help="jobs run at once (default 32)")
    p.add_argument("--drain", action="store_true", help="run the jobs that are due, then exit")
    p.add_argument(
        "--lease",
        type=float,
        metavar="SECONDS",
        help="how long a claimed job is held before another worker may take it over if this "
        "one dies (default 120)",
    )
