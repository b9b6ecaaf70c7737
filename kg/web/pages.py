"""Linked-Data pages: every minted IRI, the ontology and the vocabularies, as HTML or RDF.

`https://w3id.org/heritage-kg/id/{kind}/{slug}` is served at `/id/{kind}/{slug}` (the w3id rule
redirects to it). **We answer 200 at that URL, with content negotiation**, rather than a 303 to a
per-format document: the identifiers are served by one resource with a `Vary: Accept` and a
`Content-Location` naming the format-specific URL (`?format=ttl`), which saves every client a
round trip and keeps the IRI what a browser shows. `Link: <…?format=…>; rel="alternate"; type=…`
lists every representation. Formats: HTML (browsers), Turtle, JSON-LD compacted with
`ontology/context.jsonld`, N-Triples — by `Accept`, or `?format=html|ttl|jsonld|nt`, which wins.

Also here: the indexes (`/sites`, `/places`, `/people`, `/sources`…, with filters) and the
`/static/…` stylesheet. Every query goes through the QueryService (deadline and cache).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Final

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from kg.errors import NotAcceptableError
from kg.namespaces import HK, ID_BASE, MINTED_KINDS, PREFIXES, VOCAB_BASE
from kg.release.jsonld import JsonLdCompactor, write_jsonld
from kg.settings import Settings
from kg.web.deps import ServiceDep, SettingsDep
from kg.web.entities import (
    Answerer,
    Labels,
    Link,
    construct_query,
    describe_entity,
    exists,
    href_of,
    kind_of,
    labels_of,
    select,
)
from kg.web.language import LANGUAGE_NAMES, LANGUAGES, catalogue, choose_language
from kg.web.locator_map import locator_map_svg

__all__ = [
    "GRAPH_FORMATS",
    "AnswererDep",
    "ReaderDep",
    "SettingsDep",
    "choose_format",
    "labels_of_iris",
    "render",
    "router",
]

router = APIRouter()

WEB_DIR: Final = Path(__file__).resolve().parent
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_VOCAB_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_STATIC_FILES: Final = {"style.css": "text/css; charset=utf-8"}


@dataclass(frozen=True, slots=True)
class GraphFormat:
    """One RDF representation of a page: its `format=` name and media type."""

    name: str
    media_type: str
    aliases: tuple[str, ...]


#: The representations of every page, HTML first (the default for `*/*` and browsers).
GRAPH_FORMATS: Final = (
    GraphFormat("html", "text/html", ("application/xhtml+xml",)),
    GraphFormat("ttl", "text/turtle", ("turtle", "application/x-turtle")),
    GraphFormat("jsonld", "application/ld+json", ("json-ld", "json", "application/json")),
    GraphFormat("nt", "application/n-triples", ("ntriples", "text/plain")),
)


def choose_format(format_param: str | None, accept: str | None) -> GraphFormat:
    """The representation a request asks for: `format=` wins, then Accept (q-values), then HTML.

    Raises `NotAcceptableError` when neither names anything we serve.
    """
    if format_param:
        wanted = format_param.strip().lower()
        for fmt in GRAPH_FORMATS:
            if wanted in (fmt.name, fmt.media_type, *fmt.aliases):
                return fmt
        raise NotAcceptableError(
            f"Unknown format {format_param!r}; use one of "
            + ", ".join(f.name for f in GRAPH_FORMATS) + "."
        )
    if not accept or not accept.strip():
        return GRAPH_FORMATS[0]
    best: tuple[float, int, int] | None = None
    chosen: GraphFormat | None = None
    for position, part in enumerate(accept.split(",")):
        pieces = part.strip().split(";")
        media = pieces[0].strip().lower()
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        for order, fmt in enumerate(GRAPH_FORMATS):
            names = (fmt.media_type, *(a for a in fmt.aliases if "/" in a))
            matches = media in names or media in ("*/*", fmt.media_type.split("/")[0] + "/*")
            if matches:
                key = (-quality, 0 if media in names else 1, position * 10 + order)
                if best is None or key < best:
                    best, chosen = key, fmt
    if chosen is None:
        raise NotAcceptableError(
            "None of the Accept header's types is served here; ask for one of "
            + ", ".join(f.media_type for f in GRAPH_FORMATS) + "."
        )
    return chosen


# --- dependencies ---------------------------------------------------------------------------


def get_answerer(service: ServiceDep) -> Answerer:
    """Queries behind pages go through the app's QueryService: deadline, cache, metrics."""

    def answer(query: str, media_type: str) -> bytes:
        return service.answer(query, accept=media_type).body

    return answer


@dataclass(frozen=True, slots=True)
class Reader:
    """Who is reading: the interface language, and whether `?lang=` just chose it."""

    lang: str
    explicit: bool


def get_reader(
    request: Request, lang: Annotated[str | None, Query(max_length=8)] = None
) -> Reader:
    """The reader's language: `?lang=`, then the cookie, then Accept-Language, then English."""
    chosen = choose_language(
        lang, request.cookies.get("lang"), request.headers.get("accept-language")
    )
    return Reader(lang=chosen, explicit=bool(lang and lang.lower() in LANGUAGES))


AnswererDep = Annotated[Answerer, Depends(get_answerer)]
ReaderDep = Annotated[Reader, Depends(get_reader)]


@cache
def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
    templates.env.globals["language_names"] = LANGUAGE_NAMES
    return templates


def render(
    request: Request, reader: Reader, template: str, context: dict[str, Any], *,
    status_code: int = 200, headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page in the reader's language; remember a language chosen with `?lang=`."""
    texts = catalogue(reader.lang)
    response = _templates().TemplateResponse(
        request,
        template,
        {"lang": reader.lang, "t": texts, "path": request.url.path,
         "query_string": _without_lang(request), **context},
        status_code=status_code,
        headers=headers,
    )
    if reader.explicit:
        response.set_cookie("lang", reader.lang, max_age=365 * 24 * 3600, samesite="lax")
    response.headers["Vary"] = "Accept, Accept-Language, Cookie"
    return response


def _without_lang(request: Request) -> str:
    """The request's query string without `lang`, so the language switch keeps the filters."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    from urllib.parse import urlencode

    return urlencode(kept)


# --- entity pages ---------------------------------------------------------------------------


@router.get("/id/{kind}/{slug}", name="entity")
def entity_page(
    request: Request, kind: str, slug: str, answer: AnswererDep, reader: ReaderDep,
    settings: SettingsDep, format: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The page of one minted IRI, in the negotiated format."""
    if kind not in MINTED_KINDS or not _SLUG.match(slug):
        return _not_found(request, reader)
    return _resource(request, f"{ID_BASE}{kind}/{slug}", answer, reader, settings, format)


@router.get("/vocab/{scheme}", name="scheme")
def scheme_page(
    request: Request, scheme: str, answer: AnswererDep, reader: ReaderDep,
    settings: SettingsDep, format: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """A SKOS concept scheme (`hkv:site-type`…)."""
    if not _VOCAB_SEGMENT.match(scheme):
        return _not_found(request, reader)
    return _resource(request, f"{VOCAB_BASE}{scheme}", answer, reader, settings, format)


@router.get("/vocab/{scheme}/{concept}", name="concept")
def concept_page(
    request: Request, scheme: str, concept: str, answer: AnswererDep, reader: ReaderDep,
    settings: SettingsDep, format: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """A SKOS concept (`sitetype:mosque`…) and everything typed with it."""
    if not (_VOCAB_SEGMENT.match(scheme) and _VOCAB_SEGMENT.match(concept)):
        return _not_found(request, reader)
    return _resource(
        request, f"{VOCAB_BASE}{scheme}/{concept}", answer, reader, settings, format
    )


def _resource(
    request: Request, iri: str, answer: Answerer, reader: Reader, settings: Settings,
    format_param: str | None,
) -> Response:
    fmt = choose_format(format_param, request.headers.get("accept"))
    if not exists(answer, iri):
        return _not_found(request, reader, html=fmt.name == "html")
    path = request.url.path
    headers = {
        "Link": ", ".join(
            f'<{path}?format={f.name}>; rel="alternate"; type="{f.media_type}"'
            for f in GRAPH_FORMATS
        ),
        "Content-Location": f"{path}?format={fmt.name}",
    }
    if fmt.name != "html":
        body = _graph(answer, construct_query(iri), fmt, settings)
        headers["Vary"] = "Accept"
        return Response(body, media_type=fmt.media_type, headers=headers)
    view = describe_entity(answer, iri, reader.lang)
    map_svg = (
        locator_map_svg(view.point, view.entity.label, view.neighbours,
                        title=catalogue(reader.lang)["map_title"])
        if view.point is not None
        else ""
    )
    return render(request, reader, "entity.html", {
        "view": view, "map_svg": map_svg, "formats": GRAPH_FORMATS[1:],
        "query_link": "/query?" + _encode({"query": view.data_query}),
    }, headers=headers)


def _encode(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def _graph(answer: Answerer, query: str, fmt: GraphFormat, settings: Settings) -> bytes:
    """The entity's graph in `fmt`; JSON-LD is compacted with the project's full context.

    JSON-LD goes through the release's streaming compactor (`kg.release.jsonld`), so a page and a
    dump use the same terms — and no blank-node triple (citation, time span) is lost on the way.
    """
    if fmt.name != "jsonld":
        return answer(query, fmt.media_type)
    triples = ox.parse(answer(query, "application/n-triples"), format=ox.RdfFormat.N_TRIPLES)
    quads = sorted(
        (ox.Quad(t.subject, t.predicate, t.object) for t in triples),
        key=lambda q: (isinstance(q.subject, ox.BlankNode), str(q.subject)),
    )
    context = json.loads(
        (settings.root / "ontology" / "context.jsonld").read_text(encoding="utf-8")
    )["@context"]
    output = io.StringIO()
    write_jsonld(iter(quads), output, compactor=JsonLdCompactor(context))
    return output.getvalue().encode()


def _not_found(request: Request, reader: Reader, *, html: bool = True) -> Response:
    if not html:
        return Response(
            "Not found: the knowledge graph has nothing about this identifier.\n",
            status_code=404, media_type="text/plain",
        )
    return render(request, reader, "not_found.html", {}, status_code=404)


# --- the ontology ----------------------------------------------------------------------------


_ONTOLOGY_IRI: Final = HK.rstrip("#")


@router.get("/ontology", name="ontology")
def ontology_page(
    request: Request, answer: AnswererDep, reader: ReaderDep, settings: SettingsDep,
    format: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The ontology: every class and property with its label and definition, or as RDF."""
    fmt = choose_format(format, request.headers.get("accept"))
    headers = {"Link": ", ".join(
        f'<{request.url.path}?format={f.name}>; rel="alternate"; type="{f.media_type}"'
        for f in GRAPH_FORMATS
    )}
    if fmt.name != "html":
        query = (
            "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o "
            f'FILTER(STRSTARTS(STR(?s), "{HK}") || ?s = <{_ONTOLOGY_IRI}>) }}'
        )
        return Response(_graph(answer, query, fmt, settings), media_type=fmt.media_type,
                        headers=headers)
    rows = select(answer, f"""SELECT DISTINCT ?term ?type ?label ?comment WHERE {{
        ?term a ?type .
        VALUES ?type {{ owl:Class rdf:Property owl:ObjectProperty owl:DatatypeProperty }}
        FILTER(STRSTARTS(STR(?term), "{HK}"))
        OPTIONAL {{ ?term rdfs:label ?label FILTER(langMatches(lang(?label), "{reader.lang}")) }}
        OPTIONAL {{ ?term rdfs:comment|skos:definition ?comment
                   FILTER(langMatches(lang(?comment), "{reader.lang}")
                          || langMatches(lang(?comment), "en")) }}
    }} ORDER BY ?term""")
    terms: dict[str, dict[str, str]] = {}
    for row in rows:
        term = row["term"].value
        entry = terms.setdefault(term, {"name": term[len(HK):], "label": "", "comment": "",
                                        "is_class": ""})
        if row["type"].value.endswith("#Class"):
            entry["is_class"] = "1"
        if "label" in row and not entry["label"]:
            entry["label"] = row["label"].value
        if "comment" in row and (not entry["comment"] or row["comment"].lang == reader.lang):
            entry["comment"] = row["comment"].value
    classes = [t for t in terms.values() if t["is_class"]]
    properties = [t for t in terms.values() if not t["is_class"]]
    return render(request, reader, "ontology.html", {
        "classes": classes, "properties": properties, "formats": GRAPH_FORMATS[1:],
        "query_link": "/query?" + _encode({"query": PREFIXES_QUERY_ONTOLOGY}),
    }, headers=headers)


PREFIXES_QUERY_ONTOLOGY: Final = (
    f"PREFIX hk: <{HK}>\nPREFIX rdfs: <{PREFIXES['rdfs']}>\n"
    "SELECT ?term ?label WHERE {\n  ?term rdfs:label ?label .\n"
    '  FILTER(STRSTARTS(STR(?term), STR(hk:)) && lang(?label) = "en")\n} ORDER BY ?term'
)


# --- indexes ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexKind:
    """One browsable index: which class it lists and what it can be filtered by."""

    path: str
    nav_key: str
    cls: str
    type_property: str | None
    place_filter: bool


INDEXES: Final = (
    IndexKind("sites", "nav_sites", HK + "HeritageSite", HK + "siteType", True),
    IndexKind("places", "nav_places", HK + "Place", HK + "placeType", True),
    IndexKind("people", "nav_people", HK + "Person", HK + "hasRole", False),
    IndexKind("sources", "nav_sources", HK + "Source", HK + "sourceType", False),
    IndexKind("objects", "nav_objects", HK + "MovableObject", HK + "objectType", True),
    IndexKind("works", "nav_works", HK + "Work", HK + "workType", False),
    IndexKind("organisations", "nav_organisations", HK + "Organization", HK + "hasRole", False),
    IndexKind("events", "nav_events", HK + "Event", HK + "eventType", True),
)


def _index_handler(index: IndexKind) -> Callable[..., Response]:
    def handler(
        request: Request, answer: AnswererDep, reader: ReaderDep,
        type: Annotated[str | None, Query(max_length=300)] = None,
        place: Annotated[str | None, Query(max_length=300)] = None,
    ) -> Response:
        return _index(request, answer, reader, index, type, place)

    handler.__doc__ = f"The index of {index.path}, filterable by type" + (
        " and place." if index.place_filter else ".")
    return handler


for _index_kind in INDEXES:
    router.add_api_route(
        f"/{_index_kind.path}", _index_handler(_index_kind), methods=["GET"],
        name=_index_kind.path, response_class=HTMLResponse,
    )


def _index(
    request: Request, answer: Answerer, reader: Reader, index: IndexKind,
    type_filter: str | None, place_filter: str | None,
) -> Response:
    type_part = f"OPTIONAL {{ ?x <{index.type_property}> ?type }}" if index.type_property else ""
    place_path = "hk:locatedIn|hk:tookPlaceAt" if index.cls != HK + "Place" else "hk:withinPlace"
    place_part = (
        f"OPTIONAL {{ ?x ({place_path})/hk:withinPlace* ?place }}" if index.place_filter else ""
    )
    rows = select(answer, f"""SELECT DISTINCT ?x ?type ?place WHERE {{
        ?x a <{index.cls}> . {type_part} {place_part}
    }} ORDER BY ?x""")
    types: dict[str, set[str]] = {}
    places: dict[str, set[str]] = {}
    for row in rows:
        entry = row["x"].value
        types.setdefault(entry, set())
        places.setdefault(entry, set())
        if "type" in row:
            types[entry].add(row["type"].value)
        if "place" in row:
            places[entry].add(row["place"].value)
    chosen = [
        e for e in types
        if (not type_filter or type_filter in types[e])
        and (not place_filter or place_filter in places[e])
    ]
    all_types = sorted({t for ts in types.values() for t in ts})
    all_places = sorted({p for ps in places.values() for p in ps})
    labels = labels_of_iris(answer, [*chosen, *all_types, *all_places])

    def link(iri: str) -> Link:
        text, tag = labels.pick(iri, reader.lang)
        return Link(iri=iri, href=href_of(iri), label=text, lang=tag, kind=kind_of(iri))

    entries = sorted(
        ((link(e), [link(t) for t in sorted(types[e])]) for e in chosen),
        key=lambda item: item[0].label.casefold(),
    )
    return render(request, reader, "index.html", {
        "index": index,
        "entries": entries,
        "type_options": sorted((link(t) for t in all_types), key=lambda x: x.label.casefold()),
        "place_options": sorted((link(p) for p in all_places), key=lambda x: x.label.casefold()),
        "type_filter": type_filter or "",
        "place_filter": place_filter or "",
    })


def labels_of_iris(answer: Answerer, iris: list[str]) -> Labels:
    """The labels of `iris` (duplicates allowed), for lists of links."""
    return labels_of(answer, sorted(set(iris)))


# --- static files ------------------------------------------------------------------------------


@router.get("/static/{name}", name="static", include_in_schema=False)
def static_file(name: str) -> Response:
    """The stylesheet (a fixed list of files, so no path ever leaves the static directory)."""
    if name not in _STATIC_FILES:
        raise HTTPException(status_code=404)
    return FileResponse(WEB_DIR / "static" / name, media_type=_STATIC_FILES[name],
                        headers={"Cache-Control": "public, max-age=3600"})


def index_nav() -> list[tuple[str, str]]:
    """(path, catalogue key) of every index, for the navigation bar."""
    return [(f"/{i.path}", i.nav_key) for i in INDEXES]
