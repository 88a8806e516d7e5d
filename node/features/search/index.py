"""How the full-text index is asked for a search's terms (node/features/search/query.py):
a tsquery on PostgreSQL; on SQLite an FTS5 expression of the whole words each term begins,
read from ``search_fts_terms`` (migrations 0021 and 0024), where it can."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

MAX_WORDS = 64  # SQLite: words of the index a term may stand for before it stays a prefix query


def tsquery(terms: list[str]) -> str:
    """The tsquery text: every term a quoted prefix lexeme."""
    return " & ".join(f"'{t}':*" for t in terms)


def words_for(session: Session, terms: list[str]) -> Words:
    """How the index is asked for ``terms``, on the session's database."""
    if not terms:
        return Words("")
    if session.get_bind().dialect.name != "sqlite":
        return Words(tsquery(terms))
    begun = words_beginning(session, terms)
    phrases = []
    prefix = False
    for term, words in zip(terms, begun, strict=True):
        if words is None:
            phrases.append(f'"{term}"*')
            prefix = True
        elif not words:
            return Words("", none=True)
        else:
            phrases.append("(" + " OR ".join(_quoted(w) for w in words) + ")")
    return Words(" AND ".join(phrases), prefix=prefix)


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def words_beginning(session: Session, terms: list[str]) -> list[list[str] | None]:
    """SQLite: for each term, the words of the full-text index that begin with it (from
    ``search_fts_terms``, migration 0021), or None where they are more than MAX_WORDS or the
    term is not ASCII (FTS5 folds diacritics its own way: such a term stays a prefix query).

    Why: FTS5 answers a prefix query (``"cooperative"*``) by merging the whole doclist of every
    word it matches before the first row (200 to 500 ms for a word in most of a million items),
    while an OR of whole words is read lazily, newest first. Every word in the index is in the
    table and no other (a word leaves with the last row that holds it, migration 0024), so the
    OR matches what the prefix matches: no fewer rows, no more."""
    wanted = tuple(i for i, t in enumerate(terms) if t.isascii())
    found: list[list[str] | None] = [[] if i in wanted else None for i in range(len(terms))]
    if not wanted:
        return found
    params = {}
    for i in wanted:  # the words from the term up to (not including) the next prefix
        params[f"lo{i}"] = terms[i]
        params[f"hi{i}"] = terms[i][:-1] + chr(ord(terms[i][-1]) + 1)
    for i, word in session.connection().execute(_words_read(wanted), params):
        listed = found[i]
        assert listed is not None
        listed.append(str(word))
    return [w if w is None or len(w) <= MAX_WORDS else None for w in found]


@functools.lru_cache(maxsize=64)
def _words_read(wanted: tuple[int, ...]) -> Any:
    """One read of the words that begin the terms at ``wanted`` (MAX_WORDS + 1 at most each,
    so that too many show), built once per shape."""
    return text(
        " UNION ALL ".join(
            f"SELECT * FROM (SELECT {i}, term FROM search_fts_terms "  # noqa: S608 (numbers)
            f"WHERE term >= :lo{i} AND term < :hi{i} ORDER BY term LIMIT {MAX_WORDS + 1})"
            for i in wanted
        )
    )


@dataclass(frozen=True)
class Words:
    """What the index is asked: an FTS5 MATCH expression (SQLite) or a tsquery (PostgreSQL);
    empty when the search has no words. ``none``: a word begins no word of the index, so
    nothing matches (SQLite knows without asking the index)."""

    expression: str
    none: bool = False
    prefix: bool = False  # SQLite: a term is still asked as a prefix (FTS5 merges its doclists)
