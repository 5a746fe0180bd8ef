"""Text search over issues' titles and descriptions: what a reader typed turned into a safe full-text query,
and the one condition that applies it on SQLite (FTS5) or PostgreSQL (tsvector), both made by migration 0016.

What people type is split into words (letters and digits); every other character is dropped, so nothing they
type can be query syntax (quotes, `*`, `-`, `OR`, parentheses...). All words must match; the last one may be
the start of a word ("pothol" finds "pothole"), since people search as they type. Both engines fold accents
("peñon" and "penon" find "Peñón"; PostgreSQL only where the unaccent extension could be created).
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import ColumnElement, Select, func, literal_column, select, table

from civic.extensions import db
from civic.issues.models import Issue

MAX_QUERY_LENGTH = 200  # characters of what was typed
MAX_WORDS = 12  # more words than this add nothing but cost
FEW = 2000  # matches below which PostgreSQL is told to find them first (few_matches)
_WORD = re.compile(r"[^\W_]+")

_fts = table("issues_fts")


def words(text: str | None) -> list[str]:
    """The words of a search, lower-cased, in order, at most MAX_WORDS."""
    if not text:
        return []
    return _WORD.findall(unicodedata.normalize("NFC", text).lower())[:MAX_WORDS]


def engine_query(found: list[str], dialect: str) -> str:
    """The search as the engine's own query syntax, from words() (which hold only letters and digits)."""
    if dialect == "postgresql":
        return " & ".join([*found[:-1], f"{found[-1]}:*"])
    # FTS5: each word a quoted string (no syntax inside quotes), the last one a prefix; all must match.
    return " ".join([*(f'"{w}"' for w in found[:-1]), f'"{found[-1]}"*'])


def matching(query, dialect: str, *, few: bool = False) -> ColumnElement[bool]:
    """A condition on Issue: its title or description matches `query`, an engine_query() or a parameter.
    few=True (PostgreSQL): the search matches few issues (few_matches), so find them first through the
    text index; otherwise the planner may walk the whole date index looking for matches that are not there."""
    if dialect == "postgresql":
        if few:
            matched = Issue.__table__.alias("matched")
            found = select(matched.c.id).where(_ts_match(query, "matched")).offset(0)  # OFFSET 0: kept apart
            return Issue.id.in_(found.scalar_subquery())
        return _ts_match(query, "issues")
    matches: Select = select(literal_column("rowid")).select_from(_fts).where(_fts_match(query))
    return Issue.id.in_(matches.scalar_subquery())


def few_matches(query: str | None, dialect: str) -> bool:
    """Whether a search matches at most FEW issues in all (PostgreSQL: decides matching()'s plan)."""
    if not query or dialect != "postgresql":
        return False
    found: Select = select(literal_column("1")).select_from(Issue).where(_ts_match(query, "issues")).limit(FEW + 1)
    return (db.session.scalar(select(func.count()).select_from(found.subquery())) or 0) <= FEW


def _ts_match(query, table_name: str) -> ColumnElement[bool]:
    tsquery = func.to_tsquery(literal_column("'civic_search'::regconfig"), query)
    return literal_column(f"{table_name}.search_vector").op("@@", is_comparison=True)(tsquery)


def count_matches(query: str | None, *, at_most: int) -> int:
    """How many issues an FTS5 query matches, counting no further than `at_most` (SQLite only)."""
    if not query:
        return 0
    found = select(literal_column("rowid")).select_from(_fts).where(_fts_match(query)).limit(at_most).subquery()
    return db.session.scalar(select(func.count()).select_from(found)) or 0


def _fts_match(query) -> ColumnElement[bool]:
    return literal_column("issues_fts").op("MATCH", is_comparison=True)(query)
