"""Confusable names: which served names have another entry's name one edit away (GPTQ and PTQ, DoRA and LoRA).

Where one letter changed, added or dropped already turns one served name into another, the same kind of edit
in a query says nothing about which was meant, so the typo rules (typos.py) forgive only swapped or doubled
letters against such a name. The table is worked out from the served glossary itself, not listed by hand:
for a name key, its rivals are found the way a query finds candidates (candidates.py's trigram or word
postings, then the edit distance of the space-free keys). It is filled lazily, one name at a time, the first
time a typo rule asks about that name, and kept per index object: a store of 100,000 names is never scanned
whole, the store format is unchanged, and a glossary served anew gets a fresh table.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary, ref

from ai_glossary_mcp.data.contract import IndexView
from ai_glossary_mcp.search.candidates import candidate_keys


class Confusables:
    """Per index: whether a served name key has a served name of another entry one edit away."""

    def __init__(self, index: IndexView) -> None:
        self._index = ref(index)  # weak: the table is the value of a WeakKeyDictionary keyed by this index
        self._rivals: dict[str, bool] = {}

    def has_rival(self, key: str, entry_id: str) -> bool:
        """Whether some other entry's name key is one edit (changed, added, dropped or swapped letter) from
        `key`, the name key of `entry_id`, spaces aside: "dpo loss" has "ipo loss", "mmlu" has "mmmu"."""
        found = self._rivals.get(key)
        if found is None:
            found = self._rivals[key] = self._find(key, entry_id)
        return found

    def _find(self, key: str, entry_id: str) -> bool:
        from rapidfuzz.distance import OSA

        index = self._index()
        if index is None:  # the index was dropped (a reload) while a caller still held this table
            return False
        compact = key.replace(" ", "")
        return any(
            nk.entry_id != entry_id and OSA.distance(compact, other.replace(" ", ""), score_cutoff=1) <= 1
            for other, nk in index.keys_at(candidate_keys(index, key))
        )


_TABLES: WeakKeyDictionary[IndexView, Confusables] = WeakKeyDictionary()


def confusables(index: IndexView) -> Confusables:
    """The confusables table of `index`, made on first use and dropped with the index."""
    table = _TABLES.get(index)
    if table is None:
        table = _TABLES[index] = Confusables(index)
    return table
