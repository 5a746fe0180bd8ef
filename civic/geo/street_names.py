"""Street names as people type them and as the city writes them, brought to one form.

"1400 e. Columbia Avenue", "1400 E COLUMBIA AV" and "1400 East Columbia Ave" all become number 1400,
direction E, name "columbia", type AVE. The city's file and the lookups both go through `parse_street`, so
what is stored and what is asked for always agree. Directions and street types follow the USPS
abbreviations the city's centreline uses (PRE_DIR, ST_TYPE, SUF_DIR).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

DIRECTIONS = {
    "n": "N",
    "north": "N",
    "s": "S",
    "south": "S",
    "e": "E",
    "east": "E",
    "w": "W",
    "west": "W",
    "ne": "NE",
    "northeast": "NE",
    "nw": "NW",
    "northwest": "NW",
    "se": "SE",
    "southeast": "SE",
    "sw": "SW",
    "southwest": "SW",
}

_TYPE_SPELLINGS = {
    "AVE": ("ave", "av", "avn", "aven", "avenu", "avenue"),
    "ST": ("st", "str", "strt", "street"),
    "RD": ("rd", "road"),
    "BLVD": ("blvd", "blv", "boul", "boulevard"),
    "DR": ("dr", "drv", "drive"),
    "LN": ("ln", "lane"),
    "PL": ("pl", "place"),
    "CT": ("ct", "crt", "court"),
    "TER": ("ter", "terr", "terrace"),
    "PKWY": ("pkwy", "pky", "parkway"),
    "WAY": ("way", "wy"),
    "CIR": ("cir", "circ", "circle"),
    "SQ": ("sq", "square"),
    "HWY": ("hwy", "highway"),
    "EXPY": ("expy", "expwy", "expressway"),
    "ALY": ("aly", "ally", "alley"),
    "PLZ": ("plz", "plaza"),
    "PIKE": ("pike", "pk"),
    "WALK": ("walk",),
    "ROW": ("row",),
}
STREET_TYPES = {spelling: code for code, spellings in _TYPE_SPELLINGS.items() for spelling in spellings}

# The city writes numbered streets as "2ND"; people also type "Second".
_ORDINALS = {
    "first": "1st",
    "second": "2nd",
    "third": "3rd",
    "fourth": "4th",
    "fifth": "5th",
    "sixth": "6th",
    "seventh": "7th",
    "eighth": "8th",
    "ninth": "9th",
    "tenth": "10th",
    "eleventh": "11th",
    "twelfth": "12th",
}
# What follows a street in a full address and names no street: the city, the state, a ZIP code.
_PLACE_WORDS = {"philadelphia", "phila", "philly", "pa", "penna", "pennsylvania", "usa", "us"}
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_NUMBERED = re.compile(r"^(\d{1,6})[a-z]?$")
_ZIP = re.compile(r"^\d{5}(\d{4})?$")
# "Girard and Front", "Girard & Front St", "Front St at Girard Ave", "Front / Girard", "Girard y Front".
_CROSSING = re.compile(r"\s*[&@/+]\s*|\s+(?:and|at|y|with)\s+")


def fold(text: str) -> str:
    """Lower-case without accents, so "Kensington" matches "kensington" and "Peña" matches "pena"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of a street name, folded, without punctuation ("E. Columbia Ave." -> e, columbia, ave)."""
    return [w for w in _NOT_WORD.split(fold(text).replace("'", "").replace("’", "")) if w]


@dataclass(frozen=True)
class StreetName:
    name_key: str  # "columbia", "2nd", "cecil b moore"
    pre_dir: str | None = None  # "E"
    street_type: str | None = None  # "AVE"
    suf_dir: str | None = None

    @property
    def display(self) -> str:
        """ "E Columbia Ave": directions upper-case, each word of the name and the type capitalised."""
        name = " ".join(w.capitalize() for w in self.name_key.split())
        kind = self.street_type.capitalize() if self.street_type else None
        return " ".join(p for p in (self.pre_dir, name, kind, self.suf_dir) if p)


def parse_street(tokens: list[str]) -> StreetName | None:
    """A street from its words: an optional leading direction, the name, an optional type and trailing
    direction. A lone word is always the name ("Park" is a name; "Park Ave" a name and a type)."""
    tokens = list(tokens)
    pre = suf = kind = None
    if len(tokens) > 1 and tokens[0] in DIRECTIONS:
        pre = DIRECTIONS[tokens.pop(0)]
    if len(tokens) > 1 and tokens[-1] in DIRECTIONS:
        suf = DIRECTIONS[tokens.pop()]
    if len(tokens) > 1 and tokens[-1] in STREET_TYPES:
        kind = STREET_TYPES[tokens.pop()]
    if not tokens:
        return None
    return StreetName(" ".join(_ORDINALS.get(t, t) for t in tokens), pre, kind, suf)


def city_street(
    pre_dir: str | None, name: str | None, street_type: str | None, suf_dir: str | None
) -> StreetName | None:
    """A street from the city's name fields (PRE_DIR, ST_NAME, ST_TYPE, SUF_DIR), spelled however they are."""
    tokens = words(name or "")
    if not tokens:
        return None
    pre = DIRECTIONS.get(fold(pre_dir or "").strip(" ."))
    suf = DIRECTIONS.get(fold(suf_dir or "").strip(" ."))
    kind_word = fold(street_type or "").strip(" .")
    kind = STREET_TYPES.get(kind_word, kind_word.upper() or None)
    return StreetName(" ".join(_ORDINALS.get(t, t) for t in tokens), pre, kind, suf)


@dataclass(frozen=True)
class Query:
    """What a typed place asks for: a house number on a street, a crossing of two streets, or a street."""

    street: StreetName
    number: int | None = None
    cross: StreetName | None = None


def parse_query(text: str) -> Query | None:
    """None when the text names no street at all (empty, or only a number)."""
    head = text.split(",", 1)[0]  # "1400 E Columbia Ave, Philadelphia, PA 19125": the street part
    parts = [p for p in _CROSSING.split(fold(head)) if p.strip()]
    if len(parts) == 2:
        first, second = (parse_street(_street_words(p)) for p in parts)
        if first is None or second is None:
            return None
        return Query(first, cross=second)
    tokens = _street_words(head)
    number = None
    if len(tokens) > 1 and (match := _NUMBERED.match(tokens[0])):
        number = int(match.group(1))
        tokens = tokens[1:]
    street = parse_street(tokens)
    return Query(street, number=number) if street is not None else None


def _street_words(text: str) -> list[str]:
    tokens = words(text)
    while len(tokens) > 1 and (tokens[-1] in _PLACE_WORDS or _ZIP.match(tokens[-1])):
        tokens.pop()
    return tokens
