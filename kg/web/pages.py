"""Linked-Data pages: every minted IRI, the ontology and the vocabularies, as HTML or RDF.

`https://w3id.org/heritage-kg/id/{kind}/{slug}` is served at `/id/{kind}/{slug}` (the w3id rule
redirects to it). **We answer 200 at that URL, with content negotiation**, rather than a 303 to a
per-format document: the identifiers are served by one resource with a `Vary: Accept` and a
`Content-Location` naming the format-specific URL (`?format=ttl`), which saves every client a
round trip and keeps the IRI what a browser shows. `Link: <…?format=…>; rel="alternate"; type=…`
lists every representation. Formats: HTML (browsers), Turtle, JSON-LD compacted with
`ontology/context.jsonld`, N-Triples — by `Accept`, or `?format=html|ttl|jsonld|nt`, which wins.

The routes of the minted IRIs and vocabulary terms are in `kg.web.entity_routes` (conditional
requests, the rendered-page cache, one worker job per page); this module holds what every page
shares — the representations and their negotiation, the reader's language, rendering — and the
ontology page, the indexes (`/sites`, `/places`, `/people`, `/sources`…, with filters) and the
`/static/…` stylesheet, whose queries go through the QueryService (deadline and cache).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from kg.errors import NotAcceptableError
from kg.namespaces import HK, PREFIXES
from kg.settings import Settings
from kg.web.deps import ServiceDep, SettingsDep
from kg.web.entity_queries import Answerer, json_selector, labels_of
from kg.web.entity_view import Labels, Link, href_of, kind_of
from kg.web.jsonld_page import compact_jsonld
from kg.web.language import LANGUAGE_NAMES, LANGUAGES, catalogue, choose_language

__all__ = [
    "GRAPH_FORMATS",
    "AnswererDep",
    "ReaderDep",
    "SettingsDep",
    "choose_format",
    "encode_params",
    "labels_of_iris",
    "render",
    "render_bytes",
    "router",
    "without_lang",
]

router = APIRouter()

WEB_DIR: Final = Path(__file__).resolve().parent
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


async def get_answerer(service: ServiceDep) -> Answerer:
    """Queries behind pages go through the app's QueryService: deadline, cache, metrics."""

    def answer(query: str, media_type: str) -> bytes:
        return service.answer(query, accept=media_type).body

    return answer


@dataclass(frozen=True, slots=True)
class Reader:
    """Who is reading: the interface language, and whether `?lang=` just chose it."""

    lang: str
    explicit: bool


async def get_reader(
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


def render_bytes(reader: Reader, template: str, context: dict[str, Any], *, path: str,
                 query_string: str) -> bytes:
    """A page in the reader's language as bytes (what the page cache keeps).

    The templates read only the context given here (never the request), so a rendered page is
    a function of these arguments.
    """
    page = _templates().env.get_template(template).render({
        "lang": reader.lang, "t": catalogue(reader.lang), "path": path,
        "query_string": query_string, **context,
    })
    return page.encode("utf-8")


def render(
    request: Request, reader: Reader, template: str, context: dict[str, Any], *,
    status_code: int = 200, headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page in the reader's language; remember a language chosen with `?lang=`."""
    body = render_bytes(reader, template, context, path=request.url.path,
                        query_string=without_lang(request))
    response = HTMLResponse(body, status_code=status_code, headers=headers)
    remember_language(response, reader)
    response.headers["Vary"] = "Accept, Accept-Language, Cookie"
    return response


def remember_language(response: Response, reader: Reader) -> None:
    """Set the language cookie when `?lang=` chose the language."""
    if reader.explicit:
        response.set_cookie("lang", reader.lang, max_age=365 * 24 * 3600, samesite="lax")


def without_lang(request: Request) -> str:
    """The request's query string without `lang`, so the language switch keeps the filters."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return urlencode(kept)


def encode_params(params: dict[str, str]) -> str:
    """`params` as a URL query string."""
    return urlencode(params)


def graph_body(answer: Answerer, query: str, fmt: GraphFormat, settings: Settings) -> bytes:
    """A CONSTRUCT's graph in `fmt`; JSON-LD is compacted with the project's full context."""
    if fmt.name != "jsonld":
        return answer(query, fmt.media_type)
    return compact_jsonld(answer(query, "application/n-triples"), settings.root)


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
        return Response(graph_body(answer, query, fmt, settings), media_type=fmt.media_type,
                        headers=headers)
    rows = json_selector(answer)(f"""SELECT DISTINCT ?term ?type ?label ?comment WHERE {{
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
        "query_link": "/query?" + encode_params({"query": PREFIXES_QUERY_ONTOLOGY}),
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
    rows = json_selector(answer)(f"""SELECT DISTINCT ?x ?type ?place WHERE {{
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
    return labels_of(json_selector(answer), sorted(set(iris)))


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
