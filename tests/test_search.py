"""The name index: built by `kg load` inside the build, finds entities by any name in any script."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.dataset import discover_files
from kg.search import SEARCH_INDEX_FILE, SearchHit, search
from kg.store import current_build, load_dataset

ROOT = Path(__file__).resolve().parents[1]
ID = "https://w3id.org/heritage-kg/id/"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The index of a store built from the curated data, as `kg load` makes it."""
    store_dir = tmp_path_factory.mktemp("search") / "store"
    files = discover_files([ROOT / "ontology", ROOT / "data" / "ttl"], root=ROOT)
    report = load_dataset(files, store_dir=store_dir)
    return report.build_dir / SEARCH_INDEX_FILE


def iris(hits: list[SearchHit]) -> list[str]:
    return [h.iri for h in hits]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Шуша", "place/shusha"),  # Cyrillic
        ("шуша", "place/shusha"),  # case folded
        ("Şuşa", "place/shusha"),  # Latin with diacritics
        ("Susa", "place/shusha"),  # diacritics removed
        ("Շուշի", "place/shusha"),  # Armenian
        ("Şuş", "place/shusha"),  # a prefix
        ("قراباغ", "place/karabakh"),  # Perso-Arabic script
        ("Qarabağ", "place/karabakh"),
        ("Yuxarı Gövhərağa", "site/yukhari-govhar-agha-mosque"),  # noqa: RUF001 - dotless i is Azerbaijani
        ("Shusha Fortress", "site/shusha-fortress"),
    ],
)
def test_a_name_in_any_script_finds_its_entity(index: Path, text: str, expected: str) -> None:
    assert ID + expected in iris(search(index, text))


def test_one_hit_per_entity_and_kinds_filter(index: Path) -> None:
    hits = search(index, "Shusha")
    assert len(iris(hits)) == len(set(iris(hits)))
    sites = search(index, "Shusha", kinds=("site",))
    assert sites and all(h.kind == "site" and h.iri.startswith(ID + "site/") for h in sites)


def test_all_words_must_match(index: Path) -> None:
    assert ID + "place/shusha" not in iris(search(index, "Шуша Ханкенди"))


@pytest.mark.parametrize("text", ["", "   ", "***", '"'])
def test_text_without_words_finds_nothing(index: Path, text: str) -> None:
    assert search(index, text) == []


def test_quotes_and_operators_are_plain_text(index: Path) -> None:
    # FTS5 syntax in the user's text must not raise nor change the meaning of the query.
    assert search(index, 'NOT "Şuşa" OR') == []
    assert ID + "place/shusha" in iris(search(index, '"Şuşa'))


def test_limit(index: Path) -> None:
    assert len(search(index, "a", limit=3)) == 3


def test_the_index_swaps_with_the_store(tmp_path: Path) -> None:
    """A second load publishes its own index; the live build's index knows only the new data."""
    store_dir = tmp_path / "store"
    first = tmp_path / "first.ttl"
    first.write_text(
        '<https://w3id.org/heritage-kg/id/place/alpha> <http://www.w3.org/2000/01/rdf-schema#label>'
        ' "Alphaville"@en .\n',
        encoding="utf-8",
    )
    second = tmp_path / "second.ttl"
    second.write_text(
        '<https://w3id.org/heritage-kg/id/place/beta> <http://www.w3.org/2000/01/rdf-schema#label>'
        ' "Бетаград"@ru .\n',
        encoding="utf-8",
    )
    load_dataset(discover_files([first], root=tmp_path), store_dir=store_dir)
    old_build = current_build(store_dir)
    assert old_build is not None
    assert iris(search(old_build / SEARCH_INDEX_FILE, "alpha")) == [ID + "place/alpha"]
    load_dataset(discover_files([second], root=tmp_path), store_dir=store_dir)
    live = current_build(store_dir)
    assert live is not None and live != old_build
    assert search(live / SEARCH_INDEX_FILE, "alpha") == []
    assert iris(search(live / SEARCH_INDEX_FILE, "бетаград")) == [ID + "place/beta"]
