"""`kg query` as a user runs it: every query form and format, bad queries, the deadline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_runner import CLI_FIXTURES, run_kg_in

SITES_QUERY = CLI_FIXTURES / "sites-by-label.rq"
FORTRESS = "http://example.org/demo-fortress"


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store from the good fixtures, shared by the (read-only) query tests."""
    store = tmp_path_factory.mktemp("query") / "store"
    assert run_kg_in(store, "load", CLI_FIXTURES / "good").returncode == 0
    return store


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("csv", f"site,label\n{FORTRESS},Demo Fortress\n"),
        ("tsv", f"?site\t?label\n<{FORTRESS}>\t\"Demo Fortress\"@en\n"),
    ],
)
def test_select_from_a_query_file(store_dir: Path, fmt: str, expected: str) -> None:
    result = run_kg_in(store_dir, "query", SITES_QUERY, "--format", fmt)
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected


def test_select_as_sparql_json_with_canonical_prefixes_declared(store_dir: Path) -> None:
    query = "SELECT ?s WHERE { ?s a hk:Statement ; hk:rank rank:preferred }"
    result = run_kg_in(store_dir, "query", query, "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["head"]["vars"] == ["s"]
    assert [b["s"]["value"] for b in document["results"]["bindings"]] == [
        "http://example.org/demo-fortress-condition-2"
    ]


def test_table_shows_the_rows_and_their_count(store_dir: Path) -> None:
    result = run_kg_in(store_dir, "query", SITES_QUERY)
    assert result.returncode == 0, result.stderr
    assert f"<{FORTRESS}>" in result.stdout
    assert '"Demo Fortress"@en' in result.stdout
    assert "1 row" in result.stdout


def test_ask_and_construct(store_dir: Path) -> None:
    ask = run_kg_in(store_dir, "query", "ASK { ?s a hk:HeritageSite }", "-f", "json")
    assert json.loads(ask.stdout) == {"head": {}, "boolean": True}
    construct = run_kg_in(
        store_dir,
        "query",
        "CONSTRUCT { ?s hk:condition ?o } WHERE { GRAPH <https://w3id.org/heritage-kg/graph/truthy>"
        " { ?s hk:condition ?o } }",
        "-f",
        "ntriples",
    )
    assert construct.returncode == 0, construct.stderr
    assert construct.stdout == (
        f"<{FORTRESS}> <https://w3id.org/heritage-kg/ontology#condition> "
        "<https://w3id.org/heritage-kg/vocab/condition/restored> .\n"
    )


def test_a_syntax_error_gives_the_parser_message_and_exit_2(store_dir: Path) -> None:
    result = run_kg_in(store_dir, "query", "SELECT ?s\nWHERE { ?s ?p }")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert message.startswith("kg: error: SPARQL syntax error at line 2, column ")
    assert "\n" not in message


def test_a_format_that_does_not_fit_the_query_form_is_refused(store_dir: Path) -> None:
    result = run_kg_in(store_dir, "query", "CONSTRUCT WHERE { ?s ?p ?o }", "-f", "csv")
    assert result.returncode == 2
    assert "Use table, turtle or ntriples" in result.stderr


def test_a_missing_query_file_is_refused(store_dir: Path) -> None:
    result = run_kg_in(store_dir, "query", "no-such-query.rq")
    assert result.returncode == 2
    assert "no-such-query.rq: no such query file" in result.stderr


def test_a_query_past_the_deadline_is_stopped(store_dir: Path) -> None:
    # 30 triples to the 7th power: ~2e10 solutions, far beyond half a second.
    explosive = "SELECT (COUNT(*) AS ?n) { " + " ".join(
        f"?s{i} ?p{i} ?o{i} ." for i in range(7)
    ) + " }"
    result = run_kg_in(store_dir, "query", explosive, env={"KG_QUERY_TIMEOUT_S": "0.5"})
    assert result.returncode == 2
    assert "did not finish within 0.5 s" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_invalid_setting_is_a_usage_error(store_dir: Path) -> None:
    result = run_kg_in(store_dir, "stats", env={"KG_QUERY_TIMEOUT_S": "soon"})
    assert result.returncode == 2
    assert "KG_QUERY_TIMEOUT_S" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_long_multi_line_query_is_text_not_a_file_name(store_dir: Path) -> None:
    """A query copied from the docs spans lines and is longer than a file name may be."""
    query = "SELECT ?site ?label WHERE {\n" + "  # padding\n" * 40 + (
        "  ?site a hk:HeritageSite ; rdfs:label ?label . FILTER(lang(?label) = \"en\")\n}\n"
    )
    result = run_kg_in(store_dir, "query", query, "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"site,label\n{FORTRESS},Demo Fortress\n"
    one_line = "SELECT ?site WHERE { ?site a hk:HeritageSite " + "FILTER(true) " * 30 + "}"
    assert len(one_line) > 255
    result = run_kg_in(store_dir, "query", one_line, "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"site\n{FORTRESS}\n"
