"""A query on its way through search, and the one interface every scoring signal has.

The flow is one way: normalise (normalize.py) -> candidates (candidates.py) -> score (fuzzy.py and
typos.py for names, bm25.py for text) -> decide (decide.py) -> fuse and shape (fusion.py, ranking.py,
resolve.py, spotting.py). A `Query` carries what every step needs (the index, the text, the entries a
category allows) and a memo, so that two signals reading the same decision (names.py) compute it once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ai_glossary_mcp.data.contract import IndexView


@dataclass(slots=True)
class Query:
    index: IndexView
    text: str
    allowed: set[int] | frozenset[int] | None = None  # entry positions a category allows; None: all
    fuzzy: bool = True  # whether name matching may forgive typos (search turns it off for long queries)
    memo: dict[str, Any] = field(default_factory=dict)  # per-query results shared by signals


class Signal(Protocol):
    """A scoring signal: (entry position, score) pairs for the query, best first, at most `depth` of them
    (None: all), on the scale its fusion row declares. Only entries in `query.allowed` come back."""

    def __call__(self, query: Query, depth: int | None) -> Iterable[tuple[int, float]]: ...
