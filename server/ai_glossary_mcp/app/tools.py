"""The tools' names, declared once.

The server registers exactly these (serving/tools.py), the instructions
name them from here, and the tests and the manifest check compare what a
client lists against this enum instead of keeping copies of the list.
The order is the order of registration, which is the order tools/list shows.
"""

from __future__ import annotations

from enum import Enum


class ToolName(str, Enum):  # (str, Enum) rather than StrEnum: the package supports Python 3.10
    DEFINE_TERM = "define_term"
    DEFINE_TERMS = "define_terms"
    SEARCH_TERMS = "search_terms"
    LIST_TERMS = "list_terms"
    FIND_RELATED = "find_related"
    EXPLAIN_FORMULA = "explain_formula"
    EVALUATE_FORMULA = "evaluate_formula"
    COMPARE_TERMS = "compare_terms"
    FIND_TERMS_IN_TEXT = "find_terms_in_text"

    def __str__(self) -> str:
        return self.value


TOOL_NAMES: tuple[str, ...] = tuple(t.value for t in ToolName)
