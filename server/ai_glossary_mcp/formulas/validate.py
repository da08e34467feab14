"""Check a caller's formula inputs before any arithmetic, with messages that say what to send instead.

Shared by every evaluator (imported as a namespace: `validate.vector(...)`).
Each reader takes the input's name and raw JSON value and returns clean floats
(or raises `FormulaInputError` naming the input, what was sent in JSON terms,
and the accepted shape or range). Size limits are here too, so that no input
can make an evaluation slow.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ai_glossary_mcp.formulas.registry import FormulaInputError

MAX_VECTOR_LENGTH = 1024
MAX_MATRIX_SIDE = 64
MAX_POSITION = 1_000_000


def _fmt(value: object) -> str:
    """A value as it appears in a message (never the digits of an enormous integer)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**18:
        return "a very large integer"
    return repr(value)


def describe(value: object) -> str:
    """What the caller sent, in JSON terms."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({text!r})"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} value{'s' if len(value) != 1 else ''}"
    if isinstance(value, (int, float)):
        return f"the number {_fmt(value)}"
    return f"a value of type {type(value).__name__}"


SHOWN_NAME_CHARS = 40  # an unknown name is quoted up to this many characters of its repr
SHOWN_NAMES = 5  # and at most this many unknown names are quoted: an error never echoes a huge input back


def _quoted(names: list[str]) -> str:
    """The names as reprs (zero-width and control characters visible), each clipped, the list cut."""
    shown = [
        r if len(r := repr(n)) <= SHOWN_NAME_CHARS else r[: SHOWN_NAME_CHARS - 4] + "...'" for n in names
    ]
    more = len(shown) - SHOWN_NAMES
    return ", ".join(shown[:SHOWN_NAMES]) + (f" and {more} more" if more > 0 else "")


def names(
    inputs: Mapping[str, object],
    required: tuple[str, ...],
    optional: Mapping[str, object] | None = None,
) -> None:
    """Reject unknown names (listing the accepted ones) and missing required ones."""
    optional = optional or {}
    accepted = (*required, *optional)
    unknown = sorted((str(name) for name in inputs if name not in accepted), key=str)
    if unknown:
        listing = ", ".join(
            [f"{name} (required)" for name in required]
            + [
                f"{name} (optional{'' if default is None else f', default {default}'})"
                for name, default in optional.items()
            ]
        )
        hints = []
        for name in unknown[:SHOWN_NAMES]:
            twin = next((a for a in accepted if a.lower() == name.lower()), None)
            if twin is not None:
                hints.append(f"did you mean {twin!r} for {_quoted([name])}? Names are case-sensitive")
        plural = "s" if len(unknown) > 1 else ""
        raise FormulaInputError(
            f"unknown input name{plural} {_quoted(unknown)}; accepted names: {listing}"
            + ("; " + "; ".join(hints) if hints else "")
        )
    missing = [name for name in required if name not in inputs]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise FormulaInputError(
            f"missing required input{plural} {', '.join(map(repr, missing))}; required: {', '.join(required)}"
        )


def _real(name: str, value: object, what: str = "a number") -> float:
    """A finite real number as a float. Booleans are not numbers; ints are accepted."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = ""
        if isinstance(value, str):
            hint = "; send a JSON number (or array), not a string"
        raise FormulaInputError(f"{name} must be {what}, got {describe(value)}{hint}")
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            raise FormulaInputError(
                f"{name} is an integer too large for a 64-bit float (beyond ~1.8e308); send a smaller number"
            ) from None
    if math.isnan(value):
        raise FormulaInputError(f"{name} is NaN; send a finite number")
    if math.isinf(value):
        raise FormulaInputError(f"{name} is infinite; send a finite number")
    return float(value)


def _range_text(gt: float | None, ge: float | None, lt: float | None, le: float | None) -> str:
    low = f"({gt:g}" if gt is not None else f"[{ge:g}" if ge is not None else None
    high = f"{lt:g})" if lt is not None else f"{le:g}]" if le is not None else None
    if low is not None and high is not None:
        return f"in {low}, {high}"
    parts = []
    if gt is not None:
        parts.append(f"> {gt:g}")
    if ge is not None:
        parts.append(f">= {ge:g}")
    if lt is not None:
        parts.append(f"< {lt:g}")
    if le is not None:
        parts.append(f"<= {le:g}")
    return " and ".join(parts)


def _check_range(
    name: str,
    x: float,
    *,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    hint: str = "",
) -> None:
    ok = (
        (gt is None or x > gt)
        and (ge is None or x >= ge)
        and (lt is None or x < lt)
        and (le is None or x <= le)
    )
    if not ok:
        raise FormulaInputError(f"{name} must be {_range_text(gt, ge, lt, le)}, got {_fmt(x)}{hint}")


def number(name: str, value: object, **bounds: Any) -> float:
    x = _real(name, value)
    _check_range(name, x, **bounds)
    return x


def vector(
    name: str,
    value: object,
    *,
    min_length: int = 1,
    max_length: int = MAX_VECTOR_LENGTH,
    **bounds: Any,
) -> list[float]:
    """A list of finite numbers with min_length..max_length values, each within bounds."""
    if not isinstance(value, (list, tuple)):
        hint = "; send a JSON array such as [1.0, 2.0], not a string" if isinstance(value, str) else ""
        raise FormulaInputError(f"{name} must be a list of numbers, got {describe(value)}{hint}")
    if len(value) < min_length:
        raise FormulaInputError(
            f"{name} has {len(value)} value{'s' if len(value) != 1 else ''}; send at least {min_length}"
        )
    if len(value) > max_length:
        raise FormulaInputError(
            f"{name} has {len(value)} values; at most {max_length} are accepted, send a shorter list"
        )
    numbers = []
    for i, item in enumerate(value):
        x = _real(f"{name}[{i}]", item)
        _check_range(f"{name}[{i}]", x, **bounds)
        numbers.append(x)
    return numbers


def matrix(name: str, value: object) -> list[list[float]]:
    """A rectangular matrix (list of rows) of finite numbers, at most 64x64."""
    example = "send a list of rows, e.g. [[1, 0], [0, 1]]"
    if not isinstance(value, (list, tuple)):
        raise FormulaInputError(f"{name} must be a matrix, got {describe(value)}; {example}")
    if not value:
        raise FormulaInputError(f"{name} has no rows; {example}")
    if len(value) > MAX_MATRIX_SIDE:
        raise FormulaInputError(
            f"{name} has {len(value)} rows; at most {MAX_MATRIX_SIDE} are accepted (matrices are at most "
            f"{MAX_MATRIX_SIDE}x{MAX_MATRIX_SIDE})"
        )
    rows: list[list[float]] = []
    for i, row in enumerate(value):
        if not isinstance(row, (list, tuple)):
            raise FormulaInputError(
                f"{name}[{i}] must be a row (a list of numbers), got {describe(row)}; {example}"
            )
        if not row:
            raise FormulaInputError(f"{name}[{i}] is an empty row; every row needs at least one number")
        if len(row) > MAX_MATRIX_SIDE:
            raise FormulaInputError(
                f"{name}[{i}] has {len(row)} columns; at most {MAX_MATRIX_SIDE} are accepted (matrices are "
                f"at most {MAX_MATRIX_SIDE}x{MAX_MATRIX_SIDE})"
            )
        if rows and len(row) != len(rows[0]):
            raise FormulaInputError(
                f"{name} is ragged: row 0 has {len(rows[0])} values but row {i} has {len(row)}; "
                "every row must have the same length"
            )
        rows.append([_real(f"{name}[{i}][{j}]", x) for j, x in enumerate(row)])
    return rows


def number_or_vector(name: str, value: object, **bounds: Any) -> float | list[float]:
    if isinstance(value, (list, tuple)):
        return vector(name, value, **bounds)
    x = _real(name, value, what="a number or a list of numbers")
    _check_range(name, x, **bounds)
    return x


def position(name: str, value: object) -> int:
    """A token position: a whole number in 0..MAX_POSITION (an integral float such as 3.0 is accepted)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FormulaInputError(f"{name} must be a whole number (a token position), got {describe(value)}")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise FormulaInputError(f"{name} must be a whole number (a token position), got {_fmt(value)}")
        value = int(value)
    if not 0 <= value <= MAX_POSITION:
        raise FormulaInputError(f"{name} must be between 0 and {MAX_POSITION:,}, got {_fmt(value)}")
    return value


def paired(values: Mapping[str, float | list[float]]) -> tuple[bool, dict[str, list[float]]]:
    """Line up numbers and equal-length lists; a lone number is repeated to the lists' length.

    Returns (batched, columns): batched is False when every value was a single number.
    """
    lengths = {name: len(v) for name, v in values.items() if isinstance(v, list)}
    if len(set(lengths.values())) > 1:
        listing = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise FormulaInputError(
            f"lists must have equal length (one value per item): {listing}; "
            "send lists of the same length, or single numbers"
        )
    size = next(iter(lengths.values()), 1)
    columns = {name: v if isinstance(v, list) else [v] * size for name, v in values.items()}
    return bool(lengths), columns


def require_finite(entry_id: str, where: str, value: object) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise FormulaInputError(
            f"{entry_id}: {where} overflows a 64-bit float (it is not a finite number) with these inputs; "
            "send values of smaller magnitude"
        )
    if isinstance(value, (list, tuple)):
        for item in value:
            require_finite(entry_id, where, item)
