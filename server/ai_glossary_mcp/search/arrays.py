"""The numpy helpers the fast paths share (candidates.py counts ids, bm25.py adds up scores).

numpy is imported by the callers only on a large glossary's first heavy query: a small glossary never pays
its ~100 ms import or ~12 MB. Every helper takes the numpy module as its first argument for that reason.
"""

from __future__ import annotations

from array import array

from ai_glossary_mcp.data.contract import IndexView

NUMPY_MIN_KEYS = 2_000  # glossaries with fewer name keys never import numpy


def numpy_allowed(index: IndexView) -> bool:
    """numpy only pays for itself on large glossaries (importing it costs ~100 ms and ~12 MB)."""
    return len(index.key_lengths) > NUMPY_MIN_KEYS


def union(np, arrays):
    """The sorted distinct ids of several id arrays (np.unique takes ~20 times longer on numpy 2.4)."""
    joined = np.concatenate(arrays)
    joined.sort(kind="stable")  # merges the sorted runs: 2-3 times faster than the default sort here
    return joined[run_starts(np, joined)]


def run_starts(np, ordered):
    """True where a sorted array's value differs from the one before: the first of each run of equal ids."""
    if not len(ordered):
        return np.zeros(0, dtype=bool)  # not [True]: that would index an empty array out of range
    return np.concatenate(([True], ordered[1:] != ordered[:-1]))


def int_array(np, values):
    return (
        np.frombuffer(values, dtype=np.int32)
        if isinstance(values, array)
        else np.asarray(values, dtype=np.int64)
    )


def float_array(np, values):
    return (
        np.frombuffer(values, dtype=np.float64)
        if isinstance(values, array)
        else np.asarray(values, dtype=np.float64)
    )
