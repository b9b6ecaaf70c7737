# ruff: noqa: RUF001 - the letter tables are meant to hold look-alike letters of other scripts.
"""Pseudo-words written in the scripts the region's sources use, and their slugs.

Synthetic names must look like the real data to the store and the validator — several languages,
several scripts (Latin, Cyrillic, Armenian, Arabic, Georgian), non-ASCII letters, right-to-left
text — without ever being a real place or person. A pseudo-word is made of ASCII syllables and
transliterated letter by letter; its ASCII form is the slug.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["SCRIPT_FORMS", "SYNTHETIC_MARK", "ScriptForm", "pseudo_word", "write"]

_ONSETS = ("b", "d", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "sh", "kh", "ch")
_VOWELS = ("a", "e", "i", "o", "u")
_CODAS = ("", "", "n", "r", "l", "d", "m", "z", "sh")

_CYRILLIC = {
    "a": "а", "b": "б", "d": "д", "e": "е", "g": "г", "i": "и", "k": "к", "l": "л", "m": "м",
    "n": "н", "o": "о", "p": "п", "r": "р", "s": "с", "t": "т", "u": "у", "v": "в", "z": "з",
    "sh": "ш", "kh": "х", "ch": "ч",
}
_ARMENIAN = {
    "a": "ա", "b": "բ", "d": "դ", "e": "ե", "g": "գ", "i": "ի", "k": "կ", "l": "լ", "m": "մ",
    "n": "ն", "o": "ո", "p": "պ", "r": "ր", "s": "ս", "t": "տ", "u": "ու", "v": "վ", "z": "զ",
    "sh": "շ", "kh": "խ", "ch": "չ",
}
_GEORGIAN = {
    "a": "ა", "b": "ბ", "d": "დ", "e": "ე", "g": "გ", "i": "ი", "k": "კ", "l": "ლ", "m": "მ",
    "n": "ნ", "o": "ო", "p": "პ", "r": "რ", "s": "ს", "t": "ტ", "u": "უ", "v": "ვ", "z": "ზ",
    "sh": "შ", "kh": "ხ", "ch": "ჩ",
}
_ARABIC = {
    "a": "ا", "b": "ب", "d": "د", "e": "", "g": "گ", "i": "ی", "k": "ک", "l": "ل", "m": "م",
    "n": "ن", "o": "و", "p": "پ", "r": "ر", "s": "س", "t": "ت", "u": "و", "v": "و", "z": "ز",
    "sh": "ش", "kh": "خ", "ch": "چ",
}
_AZERBAIJANI = {"sh": "ş", "kh": "x", "ch": "ç", "e": "ə"}

# "synthetic" in each label language, so no label can be taken for a curated fact.
SYNTHETIC_MARK = {
    "en": "synthetic",
    "az": "sintetik",
    "ru": "синтетический",
    "hy": "սինթետիկ",
    "fa": "ساختگی",
    "ka": "სინთეტიკური",
}


@dataclass(frozen=True, slots=True)
class ScriptForm:
    """A way of writing a name: BCP 47 tag, ISO 15924 script and the slug part for its IRI."""

    tag: str
    script: str
    slug: str


SCRIPT_FORMS = (
    ScriptForm("az", "Latn", "az"),
    ScriptForm("en", "Latn", "en"),
    ScriptForm("ru", "Cyrl", "ru"),
    ScriptForm("hy", "Armn", "hy"),
    ScriptForm("az-Cyrl", "Cyrl", "az-cyrl"),
    ScriptForm("az-Arab", "Arab", "az-arab"),
    ScriptForm("fa", "Arab", "fa"),
    ScriptForm("ka", "Geor", "ka"),
)


def pseudo_word(rng: random.Random) -> tuple[str, ...]:
    """Two or three syllables, as a tuple of ASCII letter groups ("sh" is one letter)."""
    letters: list[str] = []
    for _ in range(rng.choice((2, 2, 3))):
        letters.append(rng.choice(_ONSETS))
        letters.append(rng.choice(_VOWELS))
        coda = rng.choice(_CODAS)
        if coda:
            letters.append(coda)
    return tuple(letters)


def write(word: tuple[str, ...], tag: str) -> str:
    """The word in the script of BCP 47 `tag` ("az", "ru", "hy", "fa", "az-Arab", "ka"…)."""
    if tag in ("ru", "az-Cyrl"):
        return "".join(_CYRILLIC[x] for x in word).capitalize()
    if tag == "hy":
        return "".join(_ARMENIAN[x] for x in word).capitalize()
    if tag == "ka":
        return "".join(_GEORGIAN[x] for x in word)
    if tag in ("fa", "az-Arab"):
        return "".join(_ARABIC[x] for x in word) or "ا"
    if tag == "az":
        return "".join(_AZERBAIJANI.get(x, x) for x in word).capitalize()
    return "".join(word).capitalize()
