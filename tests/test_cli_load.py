"""`kg load` and `kg stats` driven as a user drives them, including every kind of bad input."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from cli_runner import CLI_FIXTURES, RunKg, run_kg_in
from typer.testing import CliRunner

from kg.cli import app
from kg.query import OutputFormat, evaluate
from kg.store import open_store

GOOD = CLI_FIXTURES / "good"
BAD = CLI_FIXTURES / "bad"
SITES_QUERY = CLI_FIXTURES / "sites-by-label.rq"
# subprocess text mode turns the CSV's \r\n into \n
SITES_CSV = "site,label\nhttp://example.org/demo-fortress,Demo Fortress\n"


EVERY_QUAD = (
    "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(!isBlank(?s) && !isBlank(?o)) } "
    "ORDER BY ?g ?s ?p ?o"
)


def sites_csv(store_dir: Path) -> str:
    """The fixture query's CSV answer from the live store, read in this process."""
    _, body = evaluate(open_store(store_dir), SITES_QUERY.read_text(), OutputFormat.csv)
    return body.decode().replace("\r\n", "\n")


def assert_user_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 2, one paragraph on stderr naming the problem, no traceback, nothing on stdout."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert message.startswith("kg: error: ")
    assert "\n" not in message, "the message must be one paragraph"
    for fragment in fragments:
        assert fragment in message
    assert result.stdout == ""


@pytest.mark.parametrize("command", [[], ["load"], ["validate"], ["query"], ["stats"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], prog_name="kg")
    assert result.exit_code == 0, result.output
    assert f"Usage: kg {' '.join(command)}".rstrip() in " ".join(result.output.split())


def test_load_then_query_then_stats(run_kg: RunKg, store_dir: Path) -> None:
    loaded = run_kg("load", GOOD)
    assert loaded.returncode == 0, loaded.stderr
    assert "tests/fixtures/cli/good/sites/demo-fortress.ttl" in loaded.stdout
    assert "truthy (derived)" in loaded.stdout
    assert "total" in loaded.stdout and " 30 " in loaded.stdout
    assert "triples/s" in loaded.stderr
    assert (store_dir / "current").is_symlink()

    queried = run_kg("query", SITES_QUERY, "--format", "csv")
    assert queried.returncode == 0, queried.stderr
    assert queried.stdout == SITES_CSV

    stats = run_kg("stats")
    assert stats.returncode == 0, stats.stderr
    lines = stats.stdout.splitlines()
    assert any("hk:HeritageSite" in line and line.rstrip(" │").endswith("1") for line in lines)
    assert any("hk:Statement" in line and line.rstrip(" │").endswith("2") for line in lines)
    assert any("statements without a citation" in line and "0" in line for line in lines)

    # Loading the same files again gives the same store (blank-node labels aside).
    first = run_kg("query", EVERY_QUAD, "--format", "tsv")
    assert run_kg("load", GOOD).returncode == 0
    second = run_kg("query", EVERY_QUAD, "--format", "tsv")
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout
    assert first.stdout.count("\n") == 1 + 23  # header + the 23 quads without blank nodes


def test_stats_fails_when_a_statement_cites_no_source(run_kg: RunKg) -> None:
    assert run_kg("load", GOOD, CLI_FIXTURES / "uncited").returncode == 0
    stats = run_kg("stats")
    assert stats.returncode == 1
    assert "http://example.org/uncited-1" in stats.stdout
    assert "cite no source" in stats.stderr
    assert "Traceback" not in stats.stderr


def test_commands_that_need_a_store_say_to_run_load_first(run_kg: RunKg) -> None:
    for command in (["stats"], ["query", "ASK {}"]):
        assert_user_error(run_kg(*command), "run `kg load` first")


@pytest.fixture(scope="module")
def live_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store loaded from the good fixtures, shared by the bad-input tests."""
    store_dir = tmp_path_factory.mktemp("live") / "store"
    assert run_kg_in(store_dir, "load", GOOD).returncode == 0
    return store_dir


@pytest.mark.parametrize(
    ("name", "where", "reason"),
    [
        ("malformed.ttl", ":4:11: ", "Unexpected end of file"),
        ("unknown-prefix.ttl", ":4:6: ", "The prefix foo: has not been declared"),
        ("invalid-iri.ttl", ":3:11: ", "Invalid IRI code point"),
        ("bad-language-tag.ttl", ":3:15: ", "language code"),
        ("not-utf8.ttl", ":3:15: ", "not valid UTF-8"),
        ("empty.ttl", ": ", "contains no triples"),
    ],
)
def test_bad_turtle_is_refused_and_the_live_store_is_untouched(
    live_store: Path, name: str, where: str, reason: str
) -> None:
    live = os.readlink(live_store / "current")
    result = run_kg_in(live_store, "load", GOOD, BAD / name)
    assert_user_error(
        result,
        f"tests/fixtures/cli/bad/{name}{where}",
        reason,
        "the live store is unchanged",
    )
    assert os.readlink(live_store / "current") == live
    assert sites_csv(live_store) == SITES_CSV


def test_a_missing_path_is_refused_and_the_live_store_is_untouched(live_store: Path) -> None:
    live = os.readlink(live_store / "current")
    result = run_kg_in(live_store, "load", GOOD, "no/such/dir")
    assert_user_error(result, "no/such/dir: no such file or directory")
    assert os.readlink(live_store / "current") == live
