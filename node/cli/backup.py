"""``solnode backup FILE`` and ``solnode restore FILE [--force]`` (docs/backup.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from node.cli_kit import CliContext, CliError, Subcommands, add_command


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def cmd_backup(ctx: CliContext, args: argparse.Namespace) -> int:
    """Write the node (database, keys, secret key, media, config) into one archive."""
    from node.features.operations.backup import backup  # lazy: start-up

    target = Path(args.file)
    if target.is_dir():
        raise CliError(f"{target} is a directory; name the archive file, e.g. {target}/node.tar.gz")
    config = os.environ.get("SOLNODE_CONFIG")
    result = backup(
        ctx.settings,
        ctx.engine,
        target,
        config_file=Path(config) if config else None,
        progress=_progress,
    )
    facts = result.manifest.facts
    rows = sum(facts["database"]["rows"].values())
    actors = ", ".join(facts["actors"]) or "none"
    print(
        f"Backed up {facts['base_url']} to {target} ({result.size} bytes, "
        f"{len(result.manifest.files)} file(s) with checksums): {rows} database rows, "
        f"actors and their keys: {actors}; {facts['media_files']} media file(s)"
        + ("; the config file." if facts["config"] else ".")
    )
    return 0


def cmd_restore(ctx: CliContext, args: argparse.Namespace) -> int:
    """Restore a node from a ``solnode backup`` archive."""
    from node.features.operations.restore import RestoreError, restore  # lazy: start-up

    try:
        result = restore(ctx.settings, Path(args.file), force=args.force, progress=_progress)
    except RestoreError as exc:
        raise CliError(str(exc)) from None
    facts = result.manifest.facts
    restored = {t: n for t, n in result.rows.items() if n}
    print(
        f"Restored the node at {facts['base_url']} from {args.file} (made {facts['created_at']})."
    )
    print(f"  actors and their keys: {', '.join(facts['actors']) or 'none'}")
    print("  database rows: " + ", ".join(f"{t} {n}" for t, n in sorted(restored.items())))
    print(f"  secret key: {'restored' if result.secret_key else 'none in the backup'}")
    print(f"  media: {result.media_files} file(s)")
    if result.config_path is not None:
        print(f"  config: written to {result.config_path}; point SOLNODE_CONFIG at it")
    for note in result.notes:
        print(f"  note: {note}")
    print(f"Serve it with SOLNODE_BASE_URL={facts['base_url']}.")
    return 0


def add_commands(sub: Subcommands[argparse.ArgumentParser]) -> None:
    """``solnode backup`` and ``solnode restore``."""
    p = add_command(
        sub,
        "backup",
        cmd_backup,
        "write the node (database, keys, secret key, media, config) into one archive",
    )
    p.add_argument("file", metavar="FILE", help="the archive to write, e.g. node.tar.gz")
    p = add_command(
        sub,
        "restore",
        cmd_restore,
        "restore a node from a `solnode backup` archive (refuses a damaged archive or a "
        "target with data unless --force)",
    )
    p.add_argument("file", metavar="FILE", help="an archive written by `solnode backup`")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace the data of a target node that is not empty",
    )
