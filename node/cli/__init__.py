"""The ``solnode`` command: set up, run and administer a node.

The commands live by noun in this package and in each feature's ``cli.py``; parser.py
assembles them, and ``main`` runs the one asked for with one ``CliContext``.

Commands import the services they use inside their own functions (``# lazy: start-up``): the
whole node is ~1,270 modules, and ``solnode --help`` or ``solnode status`` should not load the
web stack, the HTTP client and every feature to print a line (measured: 0.6 s instead of 2.5 s).
tests/unit/test_cli_startup.py keeps it so.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from sqlalchemy.exc import OperationalError

from node.cli.parser import build_parser
from node.cli_kit import CliContext, CliError
from node.settings import ConfigError

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``solnode`` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # Alembic narrates every plugin it loads; the one line we print after migrating is enough.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    ctx = CliContext(args.base_url)
    try:
        # restore brings the database and secret key a fresh target does not have yet.
        if args.command not in ("init", "restore"):
            ctx.require_initialised()
        result: int = args.func(ctx, args)
        return result
    except (CliError, ConfigError) as exc:
        print(f"solnode: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except OperationalError as exc:
        print(f"solnode: error: cannot use the database: {exc.orig}", file=sys.stderr)
        return 1
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
