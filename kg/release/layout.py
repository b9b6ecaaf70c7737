"""Where releases live on disk, how they are named, and which one is `latest`.

    <releases_dir>/<version>/        one immutable release (written elsewhere, renamed into place)
    <releases_dir>/latest -> <version>
    <releases_dir>/release.lock      held by the one `kg release` allowed at a time

Both the release writer and the `/dumps` web router use these functions, so what the writer
publishes and what the server agrees to serve are decided by the same rules: a version is a plain
name (no path separators, no dots at the start), `latest` is only ever a link to such a name, and a
release file is a regular file directly inside its release directory — never a link.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "LATEST",
    "MANIFEST",
    "RESERVED_NAMES",
    "ReleaseEntry",
    "check_version",
    "latest_version",
    "list_releases",
    "release_file",
    "switch_latest",
]

LATEST = "latest"
MANIFEST = "release.json"
RESERVED_NAMES = frozenset({LATEST, "catalog", "activity", "void"})
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")


def _plain_name(name: str) -> bool:
    return bool(_NAME.fullmatch(name)) and ".." not in name


def check_version(version: str) -> str | None:
    """None if `version` can name a new release, else the reason why not."""
    if not _plain_name(version):
        return (
            f"{version!r} is not a valid release version: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit (at most 80 characters)."
        )
    if version in RESERVED_NAMES:
        return f"{version!r} is reserved by the /dumps/ addresses; choose another version."
    return None


def latest_version(releases_dir: Path) -> str | None:
    """The version `latest` points at, or None (no release yet, or a link we did not make)."""
    try:
        target = os.readlink(releases_dir / LATEST)
    except OSError:
        return None
    if check_version(target) is not None:
        return None
    if not _is_real_dir(releases_dir / target):
        return None
    return target


def _is_real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def switch_latest(releases_dir: Path, version: str) -> None:
    """Point `latest` at `version` with one atomic rename."""
    tmp = releases_dir / f".latest.tmp-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(version, tmp)
    os.replace(tmp, releases_dir / LATEST)


def release_file(releases_dir: Path, version: str, name: str) -> Path | None:
    """The path of a file a client may download, or None — for anything odd.

    `version` may be `latest`. None for: names with path separators, `..`, NUL or a leading dot;
    a version directory that is a link or missing; a file that is a link, a directory, a device.
    """
    if version == LATEST:
        resolved = latest_version(releases_dir)
        if resolved is None:
            return None
        version = resolved
    if check_version(version) is not None or not _plain_name(name):
        return None
    directory = releases_dir / version
    if not _is_real_dir(directory):
        return None
    path = directory / name
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    return path if stat.S_ISREG(mode) else None


@dataclass(frozen=True, slots=True)
class ReleaseEntry:
    """A published release, as its manifest describes it."""

    version: str
    manifest: dict[str, Any]

    @property
    def issued(self) -> str:
        """ISO 8601 time the release was made."""
        return str(self.manifest.get("issued", ""))


def list_releases(releases_dir: Path) -> list[ReleaseEntry]:
    """Every complete release (it has a manifest), oldest first."""
    entries = []
    if not releases_dir.is_dir():
        return []
    for child in releases_dir.iterdir():
        if check_version(child.name) is not None or not _is_real_dir(child):
            continue
        manifest_path = release_file(releases_dir, child.name, MANIFEST)
        if manifest_path is None:
            continue
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        entries.append(ReleaseEntry(version=child.name, manifest=manifest))
    return sorted(entries, key=lambda e: (e.issued, e.version))
