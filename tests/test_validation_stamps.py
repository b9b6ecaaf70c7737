"""Stat-based stamps: unchanged files are not read again, edited ones always are."""

from __future__ import annotations

import os
from pathlib import Path

from kg.validation.stamps import hash_file, take_stamps

_OLD_NS = 1_600_000_000 * 10**9  # 2020: well outside the racy window


def _age(path: Path) -> None:
    os.utime(path, ns=(_OLD_NS, _OLD_NS))


def test_an_old_unchanged_file_keeps_its_stamp(tmp_path: Path) -> None:
    path = tmp_path / "a.ttl"
    path.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    _age(path)
    first = take_stamps([path], {})
    again = take_stamps([path], first)
    assert again[str(path)] is first[str(path)]  # reused, not hashed again


def test_an_edit_is_seen_even_with_the_old_modification_time(tmp_path: Path) -> None:
    path = tmp_path / "a.ttl"
    path.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    _age(path)
    first = take_stamps([path], {})
    path.write_text("<urn:a> <urn:b> <urn:d> .\n", encoding="utf-8")  # same size
    _age(path)  # mtime restored; ctime cannot be
    again = take_stamps([path], first)
    assert again[str(path)].digest == hash_file(path) != first[str(path)].digest


def test_a_recent_file_is_hashed_again(tmp_path: Path) -> None:
    path = tmp_path / "a.ttl"
    path.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    first = take_stamps([path], {})
    assert not first[str(path)].trusted  # written just now: the racy window
    again = take_stamps([path], first)
    assert again[str(path)] is not first[str(path)]
    assert again[str(path)].digest == first[str(path)].digest


def test_touch_alone_is_no_change(tmp_path: Path) -> None:
    path = tmp_path / "a.ttl"
    path.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    _age(path)
    first = take_stamps([path], {})
    os.utime(path, ns=(_OLD_NS + 10**9, _OLD_NS + 10**9))
    again = take_stamps([path], first)
    assert again[str(path)].stat != first[str(path)].stat
    assert again[str(path)].digest == first[str(path)].digest
