"""The reader's language and the interface text in it.

The language comes from, in order: `?lang=` (which the page then remembers in a cookie), the
`lang` cookie, the `Accept-Language` header, English. Entity labels use the same choice with a
fallback (see `kg.web.entity_view.Labels.pick`); the interface text comes from the catalogues in
`kg/web/i18n/{lang}.json`, which a test keeps complete in every language.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Final

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "LANGUAGE_NAMES", "catalogue", "choose_language"]

LANGUAGES: Final = ("en", "az", "ru")
DEFAULT_LANGUAGE: Final = "en"
LANGUAGE_NAMES: Final = {"en": "English", "az": "Azərbaycanca", "ru": "Русский"}
CATALOGUE_DIR: Final = Path(__file__).resolve().parent / "i18n"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The interface text of `lang` (read once per process)."""
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    data = json.loads((CATALOGUE_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return {str(k): str(v) for k, v in data.items()}


def choose_language(
    query_lang: str | None, cookie_lang: str | None, accept_language: str | None
) -> str:
    """The interface language for this request (always one of `LANGUAGES`)."""
    for explicit in (query_lang, cookie_lang):
        if explicit and explicit.lower() in LANGUAGES:
            return explicit.lower()
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower().split("-")[0]
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag in LANGUAGES and quality > 0:
            ranked.append((-quality, position, tag))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE
