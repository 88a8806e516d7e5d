"""The backup archive: a gzipped tar with ``manifest.json`` first, then the files it lists.

The manifest names every member with its size and SHA-256; reading an archive checks all of
them (and refuses a member it does not list) before anything is restored, so a truncated or
altered archive changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

FORMAT = "solnode-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1 << 20


class ArchiveError(Exception):
    """The archive cannot be used: damaged, altered, or not a solnode backup."""


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Manifest:
    """What an archive holds: facts about the node, and every member with its checksum."""

    facts: dict[str, Any]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> bytes:
        """The manifest as stored in the archive."""
        body = {"format": FORMAT, "format_version": FORMAT_VERSION, **self.facts}
        body["files"] = self.files
        return json.dumps(body, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        """Parse a stored manifest; an error names what is wrong."""
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise ArchiveError(f"its manifest is not JSON ({exc})") from None
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise ArchiveError("it is not a solnode backup (its manifest names no solnode format)")
        if body.get("format_version") != FORMAT_VERSION:
            raise ArchiveError(
                f"it is backup format {body.get('format_version')}, this solnode reads "
                f"format {FORMAT_VERSION}"
            )
        files = body.pop("files", None)
        if not isinstance(files, dict):
            raise ArchiveError("its manifest lists no files")
        return cls(facts=body, files=files)


def write_archive(target: Path, staging: Path, facts: dict[str, Any]) -> Manifest:
    """Pack every file under ``staging`` into ``target`` with a manifest of their checksums.

    The archive is written next to ``target`` and renamed into place when complete."""
    manifest = Manifest(facts=facts)
    members = sorted(p for p in staging.rglob("*") if p.is_file())
    for path in members:
        name = path.relative_to(staging).as_posix()
        manifest.files[name] = {"size": path.stat().st_size, "sha256": sha256_of(path)}
    partial = target.with_name(target.name + ".partial")
    with tarfile.open(partial, "w:gz") as tar:
        raw = manifest.to_json()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(raw)
        info.mode = 0o600
        tar.addfile(info, io.BytesIO(raw))
        for path in members:
            tar.add(path, arcname=path.relative_to(staging).as_posix(), recursive=False)
    partial.replace(target)
    return manifest


def _safe_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts


def read_archive(source: Path, into: Path) -> Manifest:
    """Unpack ``source`` into the empty directory ``into`` and check every member against the
    manifest; ArchiveError (with the reason) on anything missing, extra, altered or unsafe."""
    try:
        tar = tarfile.open(source, "r:gz")  # noqa: SIM115 (closed by the `with` below)
    except FileNotFoundError:
        raise ArchiveError(f"{source} does not exist") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError(f"it is not a readable gzipped tar ({exc})") from None
    with tar:
        try:
            manifest = _unpack(tar, into)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ArchiveError(f"it is truncated or damaged ({exc})") from None
    for name, meta in manifest.files.items():
        path = into / name
        if not path.is_file():
            raise ArchiveError(f"{name}, listed in the manifest, is missing")
        if path.stat().st_size != meta.get("size") or sha256_of(path) != meta.get("sha256"):
            raise ArchiveError(f"{name} does not match its checksum in the manifest")
    return manifest


def _unpack(tar: tarfile.TarFile, into: Path) -> Manifest:
    manifest: Manifest | None = None
    for member in tar:
        if not _safe_name(member.name) or not (member.isfile() or member.isdir()):
            raise ArchiveError(f"it holds an unsafe member {member.name!r}")
        if member.isdir():
            continue
        fh = tar.extractfile(member)
        if fh is None:
            raise ArchiveError(f"{member.name} cannot be read")
        if member.name == MANIFEST:
            manifest = Manifest.from_json(fh.read())
            continue
        if manifest is None:
            raise ArchiveError("its manifest is not its first member")
        if member.name not in manifest.files:
            raise ArchiveError(f"{member.name} is not listed in the manifest")
        path = into / member.name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            while chunk := fh.read(CHUNK):
                out.write(chunk)
    if manifest is None:
        raise ArchiveError("it has no manifest")
    return manifest
