"""`kg validate` is wired to kg.validation with the documented exit codes and formats."""

from __future__ import annotations

import json

from cli_runner import CLI_FIXTURES, ROOT, RunKg

VALIDATE = CLI_FIXTURES / "validate"


def test_conforming_data_exits_0(run_kg: RunKg) -> None:
    result = run_kg("validate", VALIDATE / "conforming.ttl")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Conforms" in result.stdout


def test_a_violation_exits_1_and_names_file_line_column(run_kg: RunKg) -> None:
    result = run_kg("validate", VALIDATE / "violating.ttl")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "tests/fixtures/cli/validate/violating.ttl:6:1" in result.stdout
    assert "person:cli-fixture-unnamed" in result.stdout
    assert "rdfs:label" in result.stdout


def test_machine_formats_are_passed_through(run_kg: RunKg) -> None:
    result = run_kg("validate", VALIDATE / "violating.ttl", "--format", "json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["conforms"] is False
    sarif = run_kg("validate", VALIDATE / "violating.ttl", "--format", "sarif")
    assert json.loads(sarif.stdout)["version"] == "2.1.0"


def test_a_parse_error_or_a_bad_option_exits_2(run_kg: RunKg) -> None:
    parse_error = run_kg("validate", CLI_FIXTURES / "bad" / "unknown-prefix.ttl")
    assert parse_error.returncode == 2
    assert "unknown-prefix.ttl:4:6: The prefix foo: has not been declared" in parse_error.stderr
    assert "Traceback" not in parse_error.stderr
    bad_option = run_kg("validate", "--format", "xml")
    assert bad_option.returncode == 2


def test_one_curated_file_is_validated_in_the_context_of_the_rest(run_kg: RunKg) -> None:
    """A site links to places and sources in other files: in context it conforms; alone, every
    such link is reported (and still located in the site's file)."""
    site = ROOT / "data" / "ttl" / "sites" / "erivan-fortress.ttl"
    in_context = run_kg("validate", site)
    assert in_context.returncode == 0, in_context.stdout + in_context.stderr
    alone = run_kg("validate", "--no-context", site, "--format", "json")
    assert alone.returncode == 1
    files = {r["file"] for r in json.loads(alone.stdout)["results"]}
    assert files == {"data/ttl/sites/erivan-fortress.ttl"}, files
