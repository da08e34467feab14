"""Every bound on a tool argument, declared once.

The tools' input schemas (serving/tools.py, as pydantic `Field`s) and the
service's own checks (checks.py, for the CLI and any in-process caller) both
read these, so what a client is told it may send and what the service
accepts can never disagree.
"""

from __future__ import annotations

from typing import NamedTuple


class Limit(NamedTuple):
    """An integer argument's range and its default."""

    low: int
    high: int
    default: int


class Count(NamedTuple):
    """How many items a list argument takes."""

    low: int
    high: int


MAX_TERM_CHARS = 500  # a term, a query, a relation: one line
MAX_TEXT_CHARS = 20_000  # find_terms_in_text's passage
MAX_SYMBOL_CHARS = 100  # explain_formula's `symbol`
MAX_CATEGORY_CHARS = 100

SEARCH_LIMIT = Limit(1, 50, 5)
LIST_LIMIT = Limit(1, 200, 50)  # list_terms' page size
RELATED_LIMIT = Limit(1, 50, 10)

DEFINE_BATCH = Count(1, 20)  # define_terms
COMPARE_TERMS = Count(2, 5)  # compare_terms, the tool and the prompt
