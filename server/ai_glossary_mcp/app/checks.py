"""Argument checks: every value a client sends is checked here before it is used.

Each check returns the value to use or raises `InvalidArgument` with a
message that says what to send instead, because the caller is usually a
model that will retry with whatever the message suggests. The bounds come
from bounds.py, which the tools' input schemas read too. Prompt arguments
are checked here as well, so the MCP adapter only maps the failure to a
JSON-RPC error.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any, Literal

from ai_glossary_mcp.app.bounds import COMPARE_TERMS, MAX_CATEGORY_CHARS, MAX_TERM_CHARS, Count, Limit
from ai_glossary_mcp.data.model import CONTROL_CHARACTERS
from ai_glossary_mcp.data.vocabulary import Vocabulary
from ai_glossary_mcp.errors import InvalidArgument
from ai_glossary_mcp.search.normalize import fold

DERIVED_KINDS = ("mentions", "mentioned-by", "same-category")  # find_related's kinds beside the curated ones
Detail = Literal["brief", "full"]

# The explain_term prompt's audiences, each with the style its text asks for.
AUDIENCE_STYLE = {
    "beginner": (
        "someone new to machine learning: plain words, one intuition or analogy, no unexplained jargon"
    ),
    "practitioner": "a practitioner: what it is, when to use it, trade-offs and common pitfalls",
    "expert": "an expert: precise, concise, with the mechanism, the math where it matters and the limits",
}

# Unicode's control characters (category Cc: U+0000-001F, U+007F-009F) and lone surrogates (Cs), found by
# one regex scan instead of a category lookup per character (20,000 of them for find_terms_in_text).
_BAD_IN_LINE = re.compile(f"[{CONTROL_CHARACTERS}\ud800-\udfff]")
_BAD_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")  # tab, LF, CR allowed
_LETTER_MESSAGE = "`letter` must be a single letter A-Z, '#' for digits/symbols, or '' for all"


def check_text(value: Any, name: str, max_chars: int = MAX_TERM_CHARS, multiline: bool = False) -> str:
    """A usable string argument, or InvalidArgument saying what to send."""
    if not isinstance(value, str):
        raise InvalidArgument(f"`{name}` must be a string, got {type(value).__name__}")
    if len(value) > max_chars:
        raise InvalidArgument(f"`{name}` is {len(value):,} characters long; send at most {max_chars:,}")
    bad = (_BAD_IN_TEXT if multiline else _BAD_IN_LINE).search(value)
    if bad is not None:
        ch = bad.group()
        if unicodedata.category(ch) == "Cs":
            raise InvalidArgument(
                f"`{name}` contains an unpaired surrogate (invalid Unicode); send valid UTF-8 text"
            )
        raise InvalidArgument(
            f"`{name}` contains a control character (U+{ord(ch):04X}); send plain text"
            + ("" if multiline else " on one line")
        )
    if not value.strip():
        example = "a glossary term such as 'KV-Cache' or 'DPO'" if not multiline else "some text"
        raise InvalidArgument(f"`{name}` is empty; send {example}")
    return value.strip()


def check_limit(value: Any, name: str, limit: Limit) -> int:
    low, high = limit.low, limit.high
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"`{name}` must be an integer from {low} to {high}")
    if not low <= value <= high:
        raise InvalidArgument(f"`{name}` is {value}; send an integer from {low} to {high}")
    return value


def check_terms(value: Any, count: Count) -> list[Any]:
    """A list argument of `count.low` to `count.high` terms (each is checked as it is looked up)."""
    if not isinstance(value, list) or not count.low <= len(value) <= count.high:
        raise InvalidArgument(f"`terms` must be a list of {count.low} to {count.high} terms")
    return value


def check_detail(value: Any) -> Detail:
    if value == "brief":
        return "brief"
    if value == "full":
        return "full"
    raise InvalidArgument("`detail` must be 'brief' or 'full'")


def check_letter(value: Any) -> str:
    """list_terms' `letter`: 'A'-'Z', '#', or '' for all (any case, surrounding spaces ignored)."""
    if not isinstance(value, str) or len(value.strip()) > 1:
        raise InvalidArgument(_LETTER_MESSAGE)
    letter = value.strip().upper()
    if letter and not (("A" <= letter <= "Z") or letter == "#"):
        raise InvalidArgument(_LETTER_MESSAGE)
    return letter


def related_kinds(vocabulary: Vocabulary) -> tuple[str, ...]:
    """The `relation` values find_related takes: the served relation types, then the derived kinds."""
    return tuple(vocabulary.inverses) + DERIVED_KINDS


def check_relation(value: Any, vocabulary: Vocabulary) -> str:
    """find_related's `relation`: one of related_kinds, or '' for all."""
    kinds = related_kinds(vocabulary)
    if value not in ("", None) and value not in kinds:
        raise InvalidArgument(
            f"unknown relation {str(value)[:60]!r}; use one of: {', '.join(kinds)} (or '' for all)"
        )
    return value or ""


def check_category(value: Any, categories: Mapping[str, str]) -> str | None:
    """A category id of the served packs (given as id or label, any case); None for all."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidArgument("`category` must be a string")
    valid = ", ".join(categories) or "none (the served packs declare no categories)"
    if len(value) > MAX_CATEGORY_CHARS:
        raise InvalidArgument(f"unknown category {value[:60]!r}...; use one of: {valid} (or '' for all)")
    folded = fold(value).strip()
    key = folded.replace(" ", "-").replace("_", "-")
    if key in categories:
        return key
    for cid, label in categories.items():
        if fold(label) == folded:
            return cid
    raise InvalidArgument(f"unknown category {value[:60]!r}; use one of: {valid} (or '' for all)")


# -- prompt arguments ------------------------------------------------------------
def check_audience(value: Any) -> str:
    if not isinstance(value, str) or value not in AUDIENCE_STYLE:
        raise InvalidArgument("audience must be beginner, practitioner or expert")
    return value


def check_prompt_terms(value: str) -> list[str]:
    """The compare_terms prompt's comma-separated `terms`, split; each is checked as it is used."""
    names = [t.strip() for t in value.split(",") if t.strip()]
    if not COMPARE_TERMS.low <= len(names) <= COMPARE_TERMS.high:
        raise InvalidArgument(
            f"terms must be {COMPARE_TERMS.low} to {COMPARE_TERMS.high} comma-separated glossary terms"
        )
    return names
