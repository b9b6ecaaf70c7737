"""The Turtle locator: positions of subjects and blank nodes, matched to the parser's triples."""

from __future__ import annotations

import pyoxigraph as ox

from kg.validation.locator import blank_node_keys, locate_text

EX = "http://ex/"

TRICKY = '''# a comment with [ brackets ] ( parens ) ; and "quotes"
@prefix ex: <http://ex/> .
PREFIX e2: <http://ex/two/>
ex:a ex:note """long ] string [ with ; ex:fake ex:b .
  # not a comment""" ;
    ex:p [ ex:q 'it\\'s' ; ex:r [ ex:s 1.5 ] ] ,
         [ ex:t "x"@en-GB ] ;
    ex:l ( 1 [ ex:u e2:c ] ) .
e2:c ex:v <relative> .
_:lab ex:w ex:a .
[ ex:top true ] .
ex:a ex:again 2 .
'''


def _keyed_positions(text: str) -> tuple[list[ox.Triple], dict[str, tuple[int, int]]]:
    """One parse of `text` and its blank-node label → position map, via the structural keys."""
    positions = locate_text(text, base="http://base/")
    triples = list(ox.parse(text, ox.RdfFormat.TURTLE, base_iri="http://base/"))
    keys = blank_node_keys(triples, labels=positions.labels)
    return triples, {label: positions.blanks[key] for label, key in keys.items()}


def test_subjects_are_found_outside_comments_and_strings() -> None:
    positions = locate_text(TRICKY, base="http://base/")
    assert positions.subjects[EX + "a"] == (4, 1)  # the first subject occurrence wins
    assert positions.subjects[EX + "two/c"] == (9, 1)
    assert EX + "b" not in positions.subjects  # written only inside a long string
    assert EX + "fake" not in positions.objects
    assert positions.objects["http://base/relative"] == (9, 11)


def test_every_blank_node_maps_to_its_opening_bracket() -> None:
    triples, by_label = _keyed_positions(TRICKY)

    def blank_with(predicate: str) -> str:
        (found,) = {
            t.subject.value
            for t in triples
            if t.predicate.value == EX + predicate and isinstance(t.subject, ox.BlankNode)
        }
        return found

    assert by_label[blank_with("q")] == (6, 10)
    assert by_label[blank_with("s")] == (6, 32)
    assert by_label[blank_with("t")] == (7, 10)
    assert by_label[blank_with("u")] == (8, 14)
    assert by_label[blank_with("top")] == (11, 1)
    lines = TRICKY.splitlines()
    for line, column in by_label.values():
        assert lines[line - 1][column - 1] in "[(" or lines[line - 1][column - 1 :].startswith(
            ("1", "[")
        )


def test_every_blank_node_of_the_parse_gets_a_position() -> None:
    triples, by_label = _keyed_positions(TRICKY)
    blanks = {
        term.value
        for t in triples
        for term in (t.subject, t.object)
        if isinstance(term, ox.BlankNode)
    }
    labelled = {"lab"}
    assert blanks - labelled == set(by_label) - labelled


def test_labelled_blank_nodes_are_found_by_label() -> None:
    positions = locate_text(TRICKY)
    assert positions.blanks[("label", "lab")] == (10, 1)


def test_sibling_blank_nodes_keep_document_order() -> None:
    text = "@prefix ex: <http://ex/> .\nex:s ex:p [ ex:n 1 ] ,\n  [ ex:n 2 ] ,\n  [ ex:n 3 ] .\n"
    triples, by_label = _keyed_positions(text)
    for t in triples:
        if t.predicate.value == EX + "n":
            assert isinstance(t.subject, ox.BlankNode)
            assert by_label[t.subject.value][0] == int(t.object.value) + 1
