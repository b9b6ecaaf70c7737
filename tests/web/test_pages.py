"""Entity pages, indexes, search and the query UI, over HTTP against the real server.

The server is uvicorn on 127.0.0.1 serving `create_app` on a store built from the curated data;
clients are httpx (and rdflib to read the RDF back). Every minted entity's page is fetched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
import rdflib.compare
from live_pages import page_app, serve

from kg.dataset import discover_files
from kg.examples import load_examples
from kg.namespaces import ID_BASE
from kg.store import load_dataset, open_store
from kg.web.language import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
FORTRESS = "/id/site/shusha-fortress"
FORTRESS_IRI = ID_BASE + "site/shusha-fortress"
FORTRESS_AZ = "Şuşa qalası"  # noqa: RUF001 - the dotless i is Azerbaijani


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pages") / "store"


@pytest.fixture(scope="module")
def base_url(store_dir: Path) -> Iterator[str]:
    with serve(page_app(store_dir)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=60) as c:
        yield c


def minted_entities(store_dir: Path) -> dict[str, list[str]]:
    """Every minted IRI that is the subject of a triple, by kind."""
    store = open_store(store_dir)
    result = store.query(
        f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{ID_BASE}")) }}',
        use_default_graph_as_union=True,
    )
    assert isinstance(result, ox.QuerySolutions)
    by_kind: dict[str, list[str]] = {}
    for row in result:
        iri = row["s"]
        assert isinstance(iri, ox.NamedNode)
        by_kind.setdefault(iri.value[len(ID_BASE):].split("/")[0], []).append(iri.value)
    del store
    return by_kind


# --- content negotiation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("text/html,application/xhtml+xml,*/*;q=0.8", "text/html"),
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-triples", "application/n-triples"),
        ("application/n-triples;q=0.5, text/turtle;q=0.9", "text/turtle"),
        ("*/*", "text/html"),
    ],
)
def test_accept_header_picks_the_format(client: httpx.Client, accept: str, media_type: str) -> None:
    response = client.get(FORTRESS, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert "Accept" in response.headers["vary"]


@pytest.mark.parametrize(
    ("fmt", "rdflib_format"), [("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")]
)
def test_every_rdf_format_holds_the_same_graph(
    client: httpx.Client, fmt: str, rdflib_format: str
) -> None:
    turtle = rdflib.Graph().parse(data=client.get(FORTRESS + "?format=ttl").text, format="turtle")
    other = rdflib.Graph().parse(
        data=client.get(FORTRESS + f"?format={fmt}", headers={"Accept": "text/html"}).text,
        format=rdflib_format,
    )
    label = rdflib.URIRef("http://www.w3.org/2000/01/rdf-schema#label")
    assert (rdflib.URIRef(FORTRESS_IRI), label, rdflib.Literal(FORTRESS_AZ, lang="az")) in other
    assert len(turtle) > 20
    assert rdflib.compare.isomorphic(other, turtle)


def test_json_ld_is_compacted_with_our_context(client: httpx.Client) -> None:
    document = client.get(FORTRESS, headers={"Accept": "application/ld+json"}).json()
    context = json.loads((ROOT / "ontology" / "context.jsonld").read_text(encoding="utf-8"))
    assert document["@context"] == context["@context"]
    site = next(n for n in document["@graph"] if n.get("id") == "site:shusha-fortress")
    assert "sitetype:fortress" in site["siteType"]  # a term of the context, IRIs compacted
    assert site["label"]["az"] == FORTRESS_AZ  # a language map


def test_link_headers_name_every_alternate(client: httpx.Client) -> None:
    response = client.get(FORTRESS)
    links = response.headers["link"]
    for media_type, name in [
        ("text/html", "html"), ("text/turtle", "ttl"),
        ("application/ld+json", "jsonld"), ("application/n-triples", "nt"),
    ]:
        assert f'<{FORTRESS}?format={name}>; rel="alternate"; type="{media_type}"' in links
    assert response.headers["content-location"] == FORTRESS + "?format=html"


def test_unknown_format_is_406(client: httpx.Client) -> None:
    assert client.get(FORTRESS + "?format=pdf").status_code == 406
    assert client.get(FORTRESS, headers={"Accept": "application/pdf"}).status_code == 406


@pytest.mark.parametrize(
    "path",
    ["/id/site/no-such-site", "/id/unicorn/shusha", "/id/site/Bad_Slug", "/vocab/site-type/nope"],
)
def test_unknown_entities_are_404(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 404
    assert client.get(path, headers={"Accept": "text/turtle"}).status_code == 404


# --- languages -------------------------------------------------------------------------------


def h1(html: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert match, html[:500]
    return match.group(1).strip()


@pytest.mark.parametrize(
    ("accept_language", "label", "html_lang"),
    [
        ("ru-RU,ru;q=0.9,en;q=0.5", "Шушинская крепость", "ru"),
        ("az", FORTRESS_AZ, "az"),
        ("en-GB", "Shusha Fortress", "en"),
        ("de-DE", "Shusha Fortress", "en"),  # not offered: English
        ("fr;q=0.9, az;q=0.4, ru;q=0.6", "Шушинская крепость", "ru"),
    ],
)
def test_accept_language_picks_labels_and_interface(
    client: httpx.Client, accept_language: str, label: str, html_lang: str
) -> None:
    html = client.get(FORTRESS, headers={"Accept-Language": accept_language}).text
    assert h1(html) == label
    assert f'<html lang="{html_lang}">' in html
    assert f'lang="{html_lang}" id="entity-label"' in html


def test_the_language_switch_persists_in_a_cookie(client: httpx.Client) -> None:
    first = client.get(FORTRESS + "?lang=ru", headers={"Accept-Language": "en"})
    assert h1(first.text) == "Шушинская крепость"
    assert first.cookies.get("lang") == "ru"
    later = client.get("/id/place/shusha", headers={"Accept-Language": "en"})
    assert h1(later.text) == "Шуша"
    assert "Названия" in later.text  # the interface text, from the ru catalogue


def test_every_catalogue_has_every_key() -> None:
    catalogues = {
        lang: json.loads((ROOT / "kg" / "web" / "i18n" / f"{lang}.json").read_text("utf-8"))
        for lang in LANGUAGES
    }
    keys = set(catalogues["en"])
    for lang, texts in catalogues.items():
        missing, extra = keys - set(texts), set(texts) - keys
        assert not missing and not extra, f"{lang}.json: missing {missing}, extra {extra}"
        assert all(isinstance(v, str) and v.strip() for v in texts.values()), lang


# --- what a site page shows ----------------------------------------------------------------


def test_site_page_shows_conflicting_statements_side_by_side(client: httpx.Client) -> None:
    html = client.get(FORTRESS + "?lang=en").text
    assert 'class="statement-group conflict"' in html
    for edtf in ("1750/1752", "1751~", "1756/1757 (1170 AH)"):
        assert edtf in html
    assert "Sources disagree" in html
    assert 'id="shusha-fortress-foundation-timespan-3"' in html
    assert "/id/source/javanshir-tarikh-e-qarabagh" in html  # the source of a statement


def test_site_page_has_map_timeline_and_query_link(client: httpx.Client) -> None:
    html = client.get(FORTRESS + "?lang=en").text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="locator-map" role="img"' in html
    assert 'class="here"' in html and 'class="neighbour"' in html
    assert "39.76611° N, 46.75111° E" in html
    assert '<ol class="timeline">' in html
    match = re.search(r'href="(/query\?query=[^"]+)"', html)
    assert match
    query = httpx.URL(match.group(1).replace("&amp;", "&")).params["query"]
    assert f"<{FORTRESS_IRI}>" in query and "CONSTRUCT" in query


def test_place_page_lists_names_with_periods_and_sites(client: httpx.Client) -> None:
    html = client.get("/id/place/khankendi?lang=en").text
    assert "Степанакерт" in html and "1923/1991" in html
    html = client.get("/id/place/shusha?lang=en").text
    assert "/id/site/shusha-fortress" in html


def test_source_page_lists_what_cites_it(client: httpx.Client) -> None:
    html = client.get("/id/source/javanshir-tarikh-e-qarabagh?lang=en").text
    assert 'aria-labelledby="h-cited-by"' in html
    assert "/id/statement/shusha-fortress-foundation-timespan-3" in html


def test_every_entity_page_renders(client: httpx.Client, store_dir: Path) -> None:
    """Every minted IRI in the data dereferences to an HTML page naming it, and to Turtle."""
    entities = minted_entities(store_dir)
    assert {"site", "place", "person", "source", "event", "statement"} <= set(entities)
    failures = []
    for iris in entities.values():
        for iri in iris:
            path = iri[len(ID_BASE) - 4:]
            response = client.get(path)
            if response.status_code != 200 or f"<code>{iri}</code>" not in response.text:
                failures.append((path, response.status_code))
    assert failures == []
    some = entities["person"][0][len(ID_BASE) - 4:]
    assert client.get(some, headers={"Accept": "text/turtle"}).status_code == 200


# --- indexes, search, ontology, vocabularies, query UI --------------------------------------


def test_indexes_filter_by_type_and_place(client: httpx.Client) -> None:
    everything = client.get("/sites?lang=en").text
    mosques = client.get(
        "/sites", params={"type": "https://w3id.org/heritage-kg/vocab/site-type/mosque"}
    ).text
    in_shusha = client.get(
        "/sites", params={"place": ID_BASE + "place/shusha", "lang": "en"}
    ).text

    def count(html: str) -> int:
        match = re.search(r'<span id="count">(\d+)</span>', html)
        assert match
        return int(match.group(1))

    assert count(everything) > count(mosques) > 0
    assert "/id/site/shusha-fortress" in in_shusha
    assert "/id/site/shusha-fortress" not in mosques
    for path in ("/places", "/people", "/sources", "/objects", "/works", "/organisations",
                 "/events"):
        response = client.get(path)
        assert response.status_code == 200 and count(response.text) > 0, path


@pytest.mark.parametrize(
    ("text", "target"),
    [("Шуша", "/id/place/shusha"), ("Շուշի", "/id/place/shusha"), (FORTRESS_AZ, FORTRESS),
     ("قراباغ", "/id/place/karabakh")],
)
def test_search_finds_names_in_any_script(client: httpx.Client, text: str, target: str) -> None:
    html = client.get("/search", params={"q": text}).text
    assert f'href="{target}"' in html


def test_search_without_hits_says_so(client: httpx.Client) -> None:
    assert "Nothing found." in client.get("/search?q=zzzzqqq&lang=en").text


def test_ontology_and_vocabularies_dereference(client: httpx.Client) -> None:
    html = client.get("/ontology?lang=en").text
    assert 'id="HeritageSite"' in html and 'id="hasName"' in html
    graph = rdflib.Graph().parse(
        data=client.get("/ontology", headers={"Accept": "text/turtle"}).text, format="turtle"
    )
    assert len(graph) > 100
    concept = client.get("/vocab/site-type/mosque?lang=ru")
    assert concept.status_code == 200
    assert "/id/site/yukhari-govhar-agha-mosque" in concept.text  # what is typed with it


def test_query_ui_preloads_examples_prefixes_and_query(client: httpx.Client) -> None:
    html = client.get("/query", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"}).text
    match = re.search(r'<script id="kg-query-config" type="application/json">(.*?)</script>',
                      html, re.S)
    assert match
    config = json.loads(match.group(1))
    assert config["endpoint"].endswith("/sparql")
    assert config["prefixes"]["hk"] == "https://w3id.org/heritage-kg/ontology#"
    assert config["query"] == "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
    examples = [e.id for e in load_examples(ROOT / "queries")]
    assert len(examples) >= 1
    assert [e["id"] for e in config["examples"]] == examples
    assert '<script src="/query/assets/yasgui.min.js">' in html
    asset = client.get("/query/assets/yasgui.min.js")
    assert asset.status_code == 200 and "Yasgui" in asset.text[:200_000]
    assert client.get("/query/assets/../../../etc/passwd").status_code == 404


# --- conditional requests and the rendered-page cache ------------------------------------------


def page_metrics(client: httpx.Client) -> dict[str, float]:
    """The kg_page_* counters of /metrics."""
    found: dict[str, float] = {}
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("kg_page_"):
            name, value = line.split()
            found[name] = float(value)
    return found


@pytest.mark.parametrize("fmt", ["html", "ttl", "jsonld", "nt"])
def test_if_none_match_is_answered_304_before_any_work(client: httpx.Client, fmt: str) -> None:
    first = client.get(f"{FORTRESS}?format={fmt}")
    assert first.status_code == 200
    etag = first.headers["etag"]
    before = page_metrics(client)
    again = client.get(f"{FORTRESS}?format={fmt}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    after = page_metrics(client)
    assert after["kg_page_not_modified_total"] == before["kg_page_not_modified_total"] + 1
    # neither a cache look-up nor a page job: 304 comes from the request alone
    assert after["kg_page_cache_misses_total"] == before["kg_page_cache_misses_total"]
    assert after["kg_page_cache_hits_total"] == before["kg_page_cache_hits_total"]
    stale = client.get(f"{FORTRESS}?format={fmt}", headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200
    assert stale.content == first.content


def test_a_repeated_page_comes_from_the_cache_with_the_same_bytes(client: httpx.Client) -> None:
    path = "/id/place/shusha?format=ttl"
    first = client.get(path)
    before = page_metrics(client)
    second = client.get(path)
    after = page_metrics(client)
    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["content-type"] == first.headers["content-type"]
    assert after["kg_page_cache_hits_total"] == before["kg_page_cache_hits_total"] + 1
    assert after["kg_page_cache_misses_total"] == before["kg_page_cache_misses_total"]
    assert after["kg_page_cache_bytes"] > 0


def test_the_etag_names_the_variant(client: httpx.Client) -> None:
    etags = {
        client.get(FORTRESS, headers={"Accept-Language": lang}).headers["etag"]
        for lang in ("en", "az", "ru")
    }
    etags |= {client.get(f"{FORTRESS}?format={f}").headers["etag"] for f in ("ttl", "nt")}
    assert len(etags) == 5
    # a page in one language is not "not modified" for a reader of another
    en = client.get(FORTRESS, headers={"Accept-Language": "en"}).headers["etag"]
    az = client.get(FORTRESS, headers={"Accept-Language": "az", "If-None-Match": en})
    assert az.status_code == 200
    assert h1(az.text) == FORTRESS_AZ


def test_unknown_entities_get_no_etag(client: httpx.Client) -> None:
    response = client.get("/id/site/no-such-site")
    assert response.status_code == 404
    assert "etag" not in response.headers


def test_a_new_store_build_changes_every_page_etag(client: httpx.Client, store_dir: Path) -> None:
    old = client.get(FORTRESS)
    files = discover_files([ROOT / "ontology", ROOT / "data" / "ttl"], root=ROOT)
    load_dataset(files, store_dir=store_dir)  # the same data, a new build: a new store version
    new = client.get(FORTRESS, headers={"If-None-Match": old.headers["etag"]})
    assert new.status_code == 200
    assert new.headers["etag"] != old.headers["etag"]
    assert new.headers["x-store-version"] != old.headers["x-store-version"]
    assert new.content == old.content
