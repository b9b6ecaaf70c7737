"""Which files are loaded, into which graph, and how each kind of bad file is reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import CLI_FIXTURES, ROOT

from kg.dataset import discover_files, file_iri, graph_iri_for, parse_turtle, read_turtle
from kg.errors import SourceFileError, UserInputError
from kg.namespaces import GRAPH_BASE

GOOD = CLI_FIXTURES / "good"
BAD = CLI_FIXTURES / "bad"


def test_graph_iri_is_the_path_relative_to_the_root() -> None:
    path = ROOT / "data" / "ttl" / "sites" / "shusha-fortress.ttl"
    assert graph_iri_for(path, root=ROOT) == (
        "https://w3id.org/heritage-kg/graph/data/ttl/sites/shusha-fortress.ttl"
    )


def test_graph_iri_outside_the_root_is_the_file_iri(tmp_path: Path) -> None:
    path = tmp_path / "a b.ttl"
    assert graph_iri_for(path, root=ROOT) == path.resolve().as_uri()
    assert " " not in graph_iri_for(path, root=ROOT)


def test_discovery_is_recursive_sorted_and_deduplicated() -> None:
    files = discover_files([GOOD, GOOD / "sites" / "demo-fortress.ttl"], root=ROOT)
    assert [f.graph_iri for f in files] == [
        GRAPH_BASE + "tests/fixtures/cli/good/sites/demo-fortress.ttl",
        GRAPH_BASE + "tests/fixtures/cli/good/sources/demo-source.ttl",
    ]
    assert all(f.path.is_absolute() for f in files)


def test_discovery_skips_hidden_files_and_other_extensions(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.ttl").write_text("<a:a> <a:b> <a:c> .\n")
    (tmp_path / ".#draft.ttl").write_text("<a:a> <a:b> <a:c> .\n")
    (tmp_path / "notes.txt").write_text("not turtle")
    (tmp_path / "real.ttl").write_text("<a:a> <a:b> <a:c> .\n")
    files = discover_files([tmp_path], root=ROOT)
    assert [f.path.name for f in files] == ["real.ttl"]


def test_discovery_resolves_symlinked_files_and_skips_symlinked_directories(
    tmp_path: Path,
) -> None:
    real = tmp_path / "data"
    (real / "sub").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.ttl").write_text("<a:a> <a:b> <a:c> .\n")
    (real / "sub" / "a.ttl").write_text("<a:a> <a:b> <a:c> .\n")
    (real / "linked.ttl").symlink_to(tmp_path / "elsewhere" / "x.ttl")
    (real / "linked-dir").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "alias").symlink_to(real)
    files = discover_files([tmp_path / "alias"], root=tmp_path)
    assert sorted(f.path for f in files) == sorted(
        [(real / "sub" / "a.ttl").resolve(), (tmp_path / "elsewhere" / "x.ttl").resolve()]
    )
    assert sorted(f.graph_iri for f in files) == sorted(
        [GRAPH_BASE + "data/sub/a.ttl", GRAPH_BASE + "elsewhere/x.ttl"]
    )


def test_a_missing_path_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="missing: no such file or directory"):
        discover_files([tmp_path / "missing"], root=ROOT)


def test_a_directory_without_turtle_files_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match=r"No Turtle \(.ttl\) files found"):
        discover_files([tmp_path], root=ROOT)


def test_a_non_turtle_file_named_explicitly_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "x.nt"
    path.write_text("<a:a> <a:b> <a:c> .\n")
    with pytest.raises(UserInputError, match="not a Turtle file"):
        discover_files([path], root=ROOT)


def test_read_turtle_counts_triples_and_keeps_the_checked_bytes() -> None:
    path = GOOD / "sources" / "demo-source.ttl"
    document = read_turtle(path)
    assert document.triples == 6
    assert document.data == path.read_bytes()


def test_read_turtle_drops_a_utf8_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.ttl"
    path.write_bytes(b"\xef\xbb\xbf<http://example.org/a> <http://example.org/b> \"c\" .\n")
    assert read_turtle(path).triples == 1


@pytest.mark.parametrize(
    ("name", "line", "column", "reason"),
    [
        ("malformed.ttl", 4, 11, "Unexpected end of file"),
        ("unknown-prefix.ttl", 4, 6, "The prefix foo: has not been declared"),
        ("invalid-iri.ttl", 3, 11, "Invalid IRI code point ' '"),
        ("bad-language-tag.ttl", 3, 15, "A language code should always start with a letter"),
        ("not-utf8.ttl", 3, 15, "not valid UTF-8: byte 0xe9 at byte offset"),
        ("empty.ttl", None, None, "contains no triples"),
    ],
)
def test_read_turtle_reports_each_bad_file_with_its_position(
    name: str, line: int | None, column: int | None, reason: str
) -> None:
    with pytest.raises(SourceFileError) as caught:
        read_turtle(BAD / name)
    error = caught.value
    assert (error.line, error.column) == (line, column)
    assert reason in error.reason
    assert not error.reason.startswith("Parser error")  # the position is not repeated
    where = f"{BAD / name}:{line}:{column}" if line else str(BAD / name)
    assert str(error).startswith(where + ": ")


def test_only_comments_and_prefixes_count_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "prefixes-only.ttl"
    path.write_text("# nothing yet\n@prefix ex: <http://example.org/> .\n")
    with pytest.raises(SourceFileError, match="contains no triples"):
        read_turtle(path)


@pytest.mark.parametrize("bad", sorted(BAD.glob("*.ttl")), ids=lambda p: p.name)
def test_parsing_once_refuses_what_checking_refuses_with_the_same_error(bad: Path) -> None:
    with pytest.raises(SourceFileError) as checked:
        read_turtle(bad)
    with pytest.raises(SourceFileError) as parsed:
        parse_turtle(bad)
    assert str(parsed.value) == str(checked.value)
    assert (parsed.value.line, parsed.value.column) == (checked.value.line, checked.value.column)


def test_parsing_once_gives_the_triples_checking_counts() -> None:
    for source in discover_files([GOOD], root=ROOT):
        assert len(parse_turtle(source.path)) == read_turtle(source.path).triples


@pytest.mark.parametrize("path", ["/tmp/a b/ü#x.ttl", "/x/%41;?.ttl", "/", "/a/b.ttl"])
def test_file_iri_is_pathlibs(path: str) -> None:
    assert file_iri(Path(path)) == Path(path).as_uri()
