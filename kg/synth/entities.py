"""One builder per folder of data/ttl/: each returns the Turtle file of one synthetic entity.

Every entity is unmistakably synthetic: its IRI slug starts with `synth-`, its English label
starts with "Synthetic", its comment says it is not a real record, and web addresses point at
example.org. The shapes in ontology/shapes/ hold for every file unless a site is given a flaw.
"""

from __future__ import annotations

import random

from kg.synth.parts import World, citations, iri_of, statement, time_span
from kg.synth.turtle import Node, TurtleFile, iri, lang, plain, typed
from kg.synth.words import SCRIPT_FORMS, SYNTHETIC_MARK, ScriptForm, pseudo_word, write

__all__ = [
    "media_file",
    "object_file",
    "organization_file",
    "person_file",
    "place_file",
    "site_file",
    "source_file",
    "work_file",
]

_NOT_REAL = (
    "Synthetic record made by `kg synth` for benchmarks and tests; it describes nothing real."
)
_RELIGIOUS_SITES = frozenset({
    "mosque", "church", "monastery", "chapel", "shrine", "madrasa", "minaret",
})
_SITE_EVENTS = (
    "alteration", "extension", "conversion", "restoration", "reconstruction", "damage",
    "destruction", "demolition", "looting", "fire", "earthquake", "siege", "occupation",
    "liberation", "abandonment", "renaming", "documentation", "filming", "excavation",
    "inscription-dating", "listing", "acquisition", "transfer-of-custody", "move", "burial",
    "foundation",
)
_ORG_KINDS = ("religious community", "museum", "archive", "publisher")
_LICENCES = (
    "https://creativecommons.org/licenses/by/4.0/",
    "https://creativecommons.org/licenses/by-sa/4.0/",
    "https://creativecommons.org/publicdomain/zero/1.0/",
    "https://creativecommons.org/publicdomain/mark/1.0/",
)
_SOURCE_LANGUAGES = ("az", "ru", "hy", "fa", "en", "fr", "de", "ka")
_LABEL_TAGS = ("az", "ru", "hy", "fa", "ka")


def _labels(word: tuple[str, ...], english: str, index: int, rng: random.Random,
            *, english_label: bool = True) -> list[str | Node]:
    """An English label and two to four others, each marked "synthetic" in its language."""
    labels: list[str | Node] = [lang(english, "en")] if english_label else []
    for tag in rng.sample(_LABEL_TAGS, rng.randint(2, 4)):
        labels.append(lang(f"{write(word, tag)} ({SYNTHETIC_MARK[tag]} {index})", tag))
    return labels


def _geometry(rng: random.Random, *, out_of_range: bool = False) -> Node:
    lon = round(rng.uniform(44.0, 47.6), 4)
    lat = 95.5 if out_of_range else round(rng.uniform(38.8, 41.0), 4)
    return (
        Node().add("a", "geo:Geometry")
        .add("geo:asWKT", typed(f"POINT({lon} {lat})", "geo:wktLiteral"))
        .add("hk:precisionMeters", f"{rng.choice((10, 50, 100, 300, 1000))}.0")
    )


def _names(out: TurtleFile, world: World, rng: random.Random, owner: str,
           word: tuple[str, ...], forms: list[ScriptForm], types: list[str]) -> list[str]:
    """Write one hk:Name per script form of `word`; return their IRIs."""
    ascii_form = "".join(word)
    names: list[str] = []
    for position, form in enumerate(forms):
        name = f"name:{owner}-{form.slug}-{ascii_form}"
        node = Node().add("a", "hk:Name").add("hk:writtenForm", lang(write(word, form.tag),
                                                                       form.tag))
        node.add("hk:script", plain(form.script))
        node.add("hk:nameType", f"nametype:{types[position % len(types)]}")
        if form.script != "Latn" and rng.random() < 0.3:
            node.add("hk:usedDuring", time_span(rng, 1700, 1990))
        if form.tag == "en" and names:
            node.add("hk:transliterationOf", names[-1])
        if rng.random() < 0.2:
            node.add("hk:certainty", f"certainty:{rng.choice(world.concepts['certainty'])}")
        node.add("prov:wasDerivedFrom", *citations(world, rng))
        out.subject(name, node)
        names.append(name)
    return names


def _slug(term: str) -> str:
    return term.split(":", 1)[1]


def place_file(world: World, index: int) -> TurtleFile:
    """A place: a parent place, a point, names in several scripts, sometimes a renaming."""
    rng = world.rng("place", index)
    me = iri_of("place", "place", index)
    word = pseudo_word(rng)
    out = TurtleFile(f"Synthetic place {index} (kg synth): not a real place.")
    types = world.concepts["place-type"]
    node = Node().add("a", "hk:Place")
    node.add("rdfs:label", *_labels(word, f"Synthetic place {index} ({write(word, 'en')})",
                                    index, rng))
    node.add("rdfs:comment", lang(_NOT_REAL, "en"))
    node.add("hk:placeType", f"placetype:{types[index % len(types)]}")
    if index > 0:
        node.add("hk:withinPlace", iri_of("place", "place", (index - 1) // 4))
    node.add("geo:hasGeometry", _geometry(rng))
    forms = [SCRIPT_FORMS[0], SCRIPT_FORMS[2], *rng.sample(SCRIPT_FORMS[3:], rng.randint(1, 4))]
    if rng.random() < 0.5:
        forms.insert(1, SCRIPT_FORMS[1])
    names = _names(out, world, rng, _slug(me), word, forms,
                   ["official", "exonym", "historical", "alternative", "former-official"])
    node.add("hk:hasName", *names)
    out.subject(me, node)
    if rng.random() < 0.3:
        _event(out, world, rng, me, "renaming", index, extra=[("hk:resultingName", names[0])])
    return out


def _event(out: TurtleFile, world: World, rng: random.Random, concerns: str, event_type: str,
           number: int, *, extra: list[tuple[str, str]] | None = None,
           low: int = 1100, high: int = 2023, flaw: str | None = None,
           contested: bool = False) -> list[str]:
    """An event, its time-span statement(s) and maybe who carried it out; return statement IRIs."""
    event = f"event:{_slug(concerns)}-{event_type}" + (f"-{number}" if number > 1 else "")
    node = Node().add("a", "hk:Event")
    node.add("rdfs:label", lang(f"Synthetic {event_type.replace('-', ' ')} of "
                                f"{_slug(concerns).replace('-', ' ')}", "en"))
    node.add("hk:eventType", f"eventtype:{event_type}")
    node.add("hk:concerns", concerns)
    if rng.random() < 0.4:
        node.add("hk:tookPlaceAt", iri_of("place", "place", rng.randrange(world.places)))
    for predicate, value in extra or []:
        node.add(predicate, value)
    if rng.random() < 0.5:
        node.add("hk:verification", "verification:unverified")
    node.add("prov:wasDerivedFrom", *citations(world, rng))
    out.subject(event, node)
    base = f"stmt:{_slug(event)}-timespan"
    made = []
    if contested:
        first, second = f"{base}-1", f"{base}-2"
        for own, other in ((first, second), (second, first)):
            span = time_span(rng, low, high)
            if flaw == "reversed-time-span" and own == first:
                span = _reversed(rng, low, high)
            author = iri_of("person", "person", rng.randrange(world.people))
            out.subject(own, statement(world, rng, event, "timespan", span, certainty="disputed",
                                       attributed_to=[author],
                                       links=[("hk:contradicts", other)]))
        made = [first, second]
    elif rng.random() < 0.15:
        kept, dropped = f"{base}-1", f"{base}-2"
        span = _reversed(rng, low, high) if flaw == "reversed-time-span" else time_span(
            rng, low, high)
        out.subject(kept, statement(world, rng, event, "timespan", span, rank="preferred",
                                    certainty="probable", links=[("hk:supersedes", dropped)]))
        out.subject(dropped, statement(
            world, rng, event, "timespan", time_span(rng, low, high), rank="deprecated",
            reason="Superseded by a later reading of the same source (synthetic)."))
        made = [kept, dropped]
    else:
        span = _reversed(rng, low, high) if flaw == "reversed-time-span" else time_span(
            rng, low, high)
        out.subject(f"{base}-1", statement(world, rng, event, "timespan", span))
        made = [f"{base}-1"]
    if rng.random() < 0.3:
        agent = (iri_of("org", "org", rng.randrange(world.organizations)) if rng.random() < 0.5
                 else iri_of("person", "person", rng.randrange(world.people)))
        out.subject(f"stmt:{_slug(event)}-carried-out-by-1",
                    statement(world, rng, event, "carriedOutBy", agent))
    return made


def _reversed(rng: random.Random, low: int, high: int) -> Node:
    """A time span whose earliest date is after its latest (a deliberate violation)."""
    year = rng.randint(low, high)
    return (Node().add("a", "hk:TimeSpan").add("hk:edtf", plain(str(year)))
            .add("hk:earliest", f'"{year:04d}-12-31"^^xsd:date')
            .add("hk:latest", f'"{year:04d}-01-01"^^xsd:date'))


def site_file(world: World, index: int, flaw: str | None = None) -> TurtleFile:
    """A heritage site with its names, events, condition reports and attributions."""
    rng = world.rng("site", index)
    me = iri_of("site", "site", index)
    slug = _slug(me)
    word = pseudo_word(rng)
    out = TurtleFile(f"Synthetic site {index} (kg synth): not a real monument.")
    types = world.concepts["site-type"]
    site_type = types[index % len(types)]
    place = iri_of("place", "place", rng.randrange(world.places))
    node = Node().add("a", "hk:HeritageSite")
    english = f"Synthetic site {index} ({write(word, 'en')} {site_type.replace('-', ' ')})"
    node.add("rdfs:label", *_labels(word, english, index, rng,
                                    english_label=flaw != "missing-english-label"))
    node.add("rdfs:comment", lang(_NOT_REAL, "en"))
    if flaw != "missing-site-type":
        extra_type = [f"sitetype:{rng.choice(types)}"] if rng.random() < 0.15 else []
        node.add("hk:siteType", f"sitetype:{site_type}", *extra_type)
    node.add("hk:locatedIn", place)
    if index > 0 and rng.random() < 0.08:
        node.add("hk:partOf", iri_of("site", "site", rng.randrange(index)))
    if rng.random() < 0.9 or flaw == "geometry-out-of-range":
        node.add("geo:hasGeometry", _geometry(rng, out_of_range=flaw == "geometry-out-of-range"))
    forms = [SCRIPT_FORMS[0], *rng.sample(SCRIPT_FORMS[2:], rng.randint(1, 3))]
    names = _names(out, world, rng, slug, word, forms, ["official", "vernacular", "historical"])
    node.add("hk:hasName", *names)
    out.subject(me, node)

    construction = _event(out, world, rng, me, "construction", 1, low=1100, high=1950,
                          flaw=flaw, contested=rng.random() < 0.2)
    seen: dict[str, int] = {}
    for _ in range(rng.randint(0, 4)):
        kind = rng.choice(_SITE_EVENTS)
        seen[kind] = seen.get(kind, 0) + 1
        extra = [("hk:resultingName", names[-1])] if kind == "renaming" else None
        _event(out, world, rng, me, kind, seen[kind], extra=extra, low=1800, high=2024)
    _site_claims(out, world, rng, me, site_type, place, flaw, construction[0])
    return out


def _site_claims(out: TurtleFile, world: World, rng: random.Random, me: str, site_type: str,
                 place: str, flaw: str | None, other_question: str) -> None:
    """Condition reports over time, attributions, a (sometimes contested) religious affiliation."""
    conditions = world.concepts["condition"]
    slug = _slug(me)
    reports = rng.randint(1, 3)
    for n in range(1, reports + 1):
        latest = n == reports and reports > 1
        links = ([("hk:contradicts", other_question)]
                 if flaw == "contradicts-other-question" and n == 1 else [])
        out.subject(f"stmt:{slug}-condition-{n}", statement(
            world, rng, me, "condition", f"condition:{rng.choice(conditions)}",
            rank="preferred" if latest else "normal",
            valid_during=time_span(rng, 1900 + 40 * n, 1940 + 40 * n),
            attributed_to=[iri_of("org", "org", rng.randrange(world.organizations))],
            links=links))
    if rng.random() < 0.2 or flaw == "deprecated-without-reason":
        reason = None if flaw == "deprecated-without-reason" else (
            "The report confused this site with another of the same name (synthetic).")
        out.subject(f"stmt:{slug}-condition-{reports + 1}", statement(
            world, rng, me, "condition", f"condition:{rng.choice(conditions)}",
            rank="deprecated", reason=reason))
    for prop, share in (("architect", 0.3), ("patron", 0.4), ("builder", 0.2)):
        forced = (prop == "patron" and flaw == "statement-without-citation") or (
            prop == "architect" and flaw == "wrong-object-type")
        if not forced and rng.random() >= share:
            continue
        agent = place if prop == "architect" and flaw == "wrong-object-type" else iri_of(
            "person", "person", rng.randrange(world.people))
        node = statement(world, rng, me, prop, agent, certainty=rng.choice(("probable", "certain",
                                                                           "possible")))
        if prop == "patron" and flaw == "statement-without-citation":
            node.drop("prov:wasDerivedFrom")
        out.subject(f"stmt:{slug}-{prop}-1", node)
    if site_type in _RELIGIOUS_SITES:
        first = f"stmt:{slug}-religious-affiliation-1"
        second = f"stmt:{slug}-religious-affiliation-2"
        contested = rng.random() < 0.3
        out.subject(first, statement(
            world, rng, me, "religiousAffiliation", _religious_org(world, rng),
            attributed_to=[iri_of("person", "person", rng.randrange(world.people))],
            links=[("hk:contradicts", second)] if contested else []))
        if contested:
            out.subject(second, statement(
                world, rng, me, "religiousAffiliation", _religious_org(world, rng),
                certainty="disputed",
                attributed_to=[iri_of("person", "person", rng.randrange(world.people))],
                links=[("hk:contradicts", first)]))


def _religious_org(world: World, rng: random.Random) -> str:
    """Organisations whose index is a multiple of 4 are the synthetic religious communities."""
    return iri_of("org", "org", 4 * rng.randrange((world.organizations + 3) // 4))


def person_file(world: World, index: int) -> TurtleFile:
    """A person with roles and sourced (sometimes contested) birth and death dates."""
    rng = world.rng("person", index)
    me = iri_of("person", "person", index)
    given, family = pseudo_word(rng), pseudo_word(rng)
    out = TurtleFile(f"Synthetic person {index} (kg synth): not a real person.")
    full = f"{write(given, 'en')} {write(family, 'en')}"
    node = Node().add("a", "hk:Person")
    labels: list[str | Node] = [lang(f"Synthetic person {index} ({full})", "en")]
    for tag in ("az", "ru"):
        labels.append(lang(f"{write(given, tag)} {write(family, tag)} "
                           f"({SYNTHETIC_MARK[tag]} {index})", tag))
    node.add("rdfs:label", *labels).add("rdfs:comment", lang(_NOT_REAL, "en"))
    roles = world.concepts["role"]
    node.add("hk:hasRole", *sorted({f"role:{rng.choice(roles)}" for _ in range(rng.randint(1, 2))}))
    out.subject(me, node)
    born = rng.randint(1650, 1995)
    if rng.random() < 0.15:
        first, second = f"stmt:{_slug(me)}-birth-1", f"stmt:{_slug(me)}-birth-2"
        for own, other in ((first, second), (second, first)):
            out.subject(own, statement(
                world, rng, me, "birth", time_span(rng, born - 3, born + 3), certainty="disputed",
                attributed_to=[iri_of("person", "person", rng.randrange(world.people))],
                links=[("hk:contradicts", other)]))
    else:
        out.subject(f"stmt:{_slug(me)}-birth-1",
                    statement(world, rng, me, "birth", time_span(rng, born, born)))
    if born < 1940:
        died = born + rng.randint(25, 85)
        out.subject(f"stmt:{_slug(me)}-death-1",
                    statement(world, rng, me, "death", time_span(rng, died, died)))
    return out


def organization_file(world: World, index: int) -> TurtleFile:
    """An organisation: a religious community, museum, archive or publisher."""
    rng = world.rng("org", index)
    me = iri_of("org", "org", index)
    word = pseudo_word(rng)
    kind = _ORG_KINDS[index % len(_ORG_KINDS)]
    out = TurtleFile(f"Synthetic organisation {index} (kg synth): not a real organisation.")
    node = Node().add("a", "hk:Organization")
    node.add("rdfs:label", *_labels(
        word, f"Synthetic organisation {index} ({write(word, 'en')} {kind})", index, rng))
    node.add("rdfs:comment", lang(_NOT_REAL, "en"))
    if kind == "publisher":
        node.add("hk:hasRole", "role:publisher")
    elif kind == "museum":
        node.add("hk:hasRole", "role:collector")
    out.subject(me, node)
    return out


def source_file(world: World, index: int) -> TurtleFile:
    """A source of the index's type, with the fields that type usually has."""
    rng = world.rng("source", index)
    me = iri_of("source", "source", index)
    kind = world.source_type(index)
    word = pseudo_word(rng)
    language = rng.choice(_SOURCE_LANGUAGES)
    year = rng.randint(1650, 2024)
    out = TurtleFile(f"Synthetic source {index} (kg synth): not a real {kind}.")
    title_en = f"Synthetic {kind.replace('-', ' ')} {index} on {write(word, 'en')}"
    node = Node().add("a", "hk:Source")
    node.add("rdfs:label", lang(f"Synthetic source {index}", "en"))
    node.add("hk:sourceType", f"sourcetype:{kind}")
    titles: list[str | Node] = [lang(title_en, "en")]
    if language in ("az", "ru", "hy", "fa", "ka"):
        titles.append(lang(f"{write(word, language)} ({SYNTHETIC_MARK[language]} {index})",
                           language))
    node.add("dcterms:title", *titles)
    node.add("dcterms:bibliographicCitation",
             plain(f"Synthetic source {index}. {title_en}. Synthetic Press, {year}."))
    if rng.random() < 0.7:
        node.add("dcterms:creator", iri_of("person", "person", rng.randrange(world.people)))
    if rng.random() < 0.4:
        node.add("dcterms:publisher", iri_of("org", "org", rng.randrange(world.organizations)))
    issued = rng.randrange(3)
    if issued == 0:
        node.add("dcterms:issued", typed(str(year), "xsd:gYear"))
    elif issued == 1:
        node.add("dcterms:issued", typed(f"{year}-{rng.randint(1, 12):02d}", "xsd:gYearMonth"))
    else:
        node.add("dcterms:issued", f'"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"'
                                   "^^xsd:date")
    node.add("dcterms:language", plain(language))
    if index > 0 and kind in ("article", "book-chapter", "newspaper-article", "web-page"):
        node.add("dcterms:isPartOf", iri_of("source", "source", rng.randrange(index)))
    if kind in ("archival-document", "letter", "census", "official-document"):
        node.add("hk:archivalReference", plain(
            f"f. {rng.randint(1, 900)}, op. {rng.randint(1, 20)}, d. {rng.randint(1, 3000)}"))
        node.add("hk:heldBy", iri_of("org", "org", rng.randrange(world.organizations)))
    if kind in ("website", "web-page", "dataset"):
        node.add("hk:url", iri(f"https://example.org/synth/source/{index}"))
    if kind in ("photograph", "postcard", "drawing", "painting", "image", "map"):
        node.add("hk:depicts", iri_of("site", "site", rng.randrange(world.sites)))
    out.subject(me, node)
    return out


def media_file(world: World, index: int) -> TurtleFile:
    """A digital object: a licensed image or IIIF manifest reproducing a source."""
    rng = world.rng("media", index)
    me = iri_of("media", "media", index)
    out = TurtleFile(f"Synthetic digital object {index} (kg synth): no such file exists.")
    node = Node().add("a", "hk:DigitalObject")
    node.add("rdfs:label", lang(f"Synthetic digital object {index}", "en"))
    if rng.random() < 0.3:
        node.add("hk:iiifManifest", iri(f"https://example.org/synth/iiif/{index}/manifest.json"))
        node.add("dcterms:format", plain("application/ld+json"))
    else:
        extension, mime = rng.choice((("jpg", "image/jpeg"), ("png", "image/png"),
                                      ("tif", "image/tiff")))
        node.add("hk:accessURL", iri(f"https://example.org/synth/media/{index}.{extension}"))
        node.add("dcterms:format", plain(mime))
    node.add("dcterms:license", iri(rng.choice(_LICENCES)))
    node.add("dcterms:rights", lang(f"Synthetic digital object {index}, kg synth", "en"))
    node.add("hk:digitalObjectOf", iri_of("source", "source", rng.randrange(world.sources)))
    node.add("dcterms:creator", iri_of("person", "person", rng.randrange(world.people)))
    node.add("hk:depicts", iri_of("site", "site", rng.randrange(world.sites)))
    if rng.random() < 0.6:
        node.add("hk:capturedDuring", time_span(rng, 1880, 2024))
    if rng.random() < 0.6:
        node.add("hk:capturedAt", iri_of("place", "place", rng.randrange(world.places)))
    out.subject(me, node)
    return out


def object_file(world: World, index: int) -> TurtleFile:
    """A movable object with its keeper, a sourced creator and a dated creation."""
    rng = world.rng("object", index)
    me = iri_of("object", "object", index)
    word = pseudo_word(rng)
    types = world.concepts["object-type"]
    kind = types[index % len(types)]
    out = TurtleFile(f"Synthetic movable object {index} (kg synth): not a real object.")
    node = Node().add("a", "hk:MovableObject")
    node.add("rdfs:label", *_labels(
        word, f"Synthetic object {index} ({write(word, 'en')} {kind.replace('-', ' ')})",
        index, rng))
    node.add("rdfs:comment", lang(_NOT_REAL, "en"))
    node.add("hk:objectType", f"objecttype:{kind}")
    node.add("hk:locatedIn", iri_of("place", "place", rng.randrange(world.places)))
    node.add("hk:heldBy", iri_of("org", "org", rng.randrange(world.organizations)))
    out.subject(me, node)
    out.subject(f"stmt:{_slug(me)}-creator-1", statement(
        world, rng, me, "creator", iri_of("person", "person", rng.randrange(world.people)),
        certainty="probable"))
    _event(out, world, rng, me, "creation", 1, low=1500, high=2000)
    return out


def work_file(world: World, index: int) -> TurtleFile:
    """A conceptual work with titles, what it is about and a (sometimes contested) author."""
    rng = world.rng("work", index)
    me = iri_of("work", "work", index)
    word = pseudo_word(rng)
    types = world.concepts["work-type"]
    kind = types[index % len(types)]
    out = TurtleFile(f"Synthetic work {index} (kg synth): not a real work.")
    node = Node().add("a", "hk:Work")
    english = f"Synthetic work {index} ({write(word, 'en')}, {kind.replace('-', ' ')})"
    node.add("rdfs:label", lang(english, "en"))
    node.add("rdfs:comment", lang(_NOT_REAL, "en"))
    node.add("hk:workType", f"worktype:{kind}")
    node.add("dcterms:title", lang(english, "en"),
             lang(f"{write(word, 'az')} ({SYNTHETIC_MARK['az']} {index})", "az"))
    node.add("hk:about", iri_of("site", "site", rng.randrange(world.sites)))
    out.subject(me, node)
    first, second = f"stmt:{_slug(me)}-creator-1", f"stmt:{_slug(me)}-creator-2"
    contested = rng.random() < 0.2
    for own, other in ((first, second), (second, first))[: 2 if contested else 1]:
        out.subject(own, statement(
            world, rng, me, "creator", iri_of("person", "person", rng.randrange(world.people)),
            attributed_to=[iri_of("person", "person", rng.randrange(world.people))],
            links=[("hk:contradicts", other)] if contested else []))
    _event(out, world, rng, me, rng.choice(("publication", "premiere")), 1, low=1600, high=2020)
    return out
