"""Writing the compiled glossary: the SQLite schema, and a built index filled into it.

A built `GlossaryIndex` (parsed, validated, name keys, trigrams and BM25F
weights computed) is written once, either to a file (`write_store`: under a
temporary name, then renamed into place, so a reader never sees half a file)
or into any open connection (`fill_store`: store.py uses it for an in-memory
database where no file is wanted). store.py reads what this module writes;
the format number, the schema and the row encodings live here, next to the
code that writes them, and the reader imports them.

Search signals that read data computed from the entries (search/semantic.py's embedding vectors, say)
declare it in search/fusion.py's STORED table. The data layer imports no search signal: whoever builds a
store passes those rows in (`signals`: app/service.py, app/factory.py, the CLI), each is computed here,
once per build, and kept as one blob in `signal_data` under its name, so a new signal adds no table and
no code here.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from array import array
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from ai_glossary_mcp.data.index import GlossaryIndex, indexed_variants, letter_of
from ai_glossary_mcp.data.model import Entry
from ai_glossary_mcp.data.names import title

FORMAT = 7  # 3: pack-declared vocabularies (meta "vocabulary"), entries without a category; 4: examples;
# 5: examples keyed by compact name (a format-4 store keyed them spaced);
# 6: stemmed name forms (stem_phrases, stem_starts) and signals' data (a rowid table: the reader streams
# the blob); 7: name keys fold the -es plural of -ss and -x words ("losses" is "loss", not "losse")
NAME_TABLES = ("raw", "normalized", "compact")
SEP = "\x1f"  # joins the words of a phrase key, the key words of a variant, the fields of a name-key row

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE entries (pos INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, pack TEXT NOT NULL,
                      category TEXT, letter TEXT NOT NULL, formula INTEGER NOT NULL,
                      data TEXT NOT NULL, edges TEXT NOT NULL);
CREATE INDEX entries_by_category ON entries (category, pos);
CREATE INDEX entries_by_letter ON entries (letter, pos);
CREATE TABLE names (tbl INTEGER NOT NULL, key TEXT NOT NULL, entry_id TEXT NOT NULL, kind TEXT NOT NULL,
                    text TEXT NOT NULL, rank INTEGER NOT NULL, PRIMARY KEY (tbl, key)) WITHOUT ROWID;
CREATE TABLE grams (gram TEXT PRIMARY KEY, kids BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE words (word TEXT PRIMARY KEY, kids BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE word_variants (variant TEXT PRIMARY KEY, words TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE blobs (name TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE postings (token TEXT PRIMARY KEY, docs BLOB NOT NULL, impacts BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE phrases (key TEXT PRIMARY KEY, surfaces TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE phrase_starts (word TEXT PRIMARY KEY, longest INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE stem_phrases (form TEXT PRIMARY KEY, ids TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE stem_starts (word TEXT PRIMARY KEY, longest INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE signal_data (name TEXT PRIMARY KEY, data BLOB NOT NULL);
"""


class SignalData(Protocol):
    """Data a search signal computes from the entries once per build (a row of search/fusion.py's STORED),
    kept in the store under its name."""

    @property
    def name(self) -> str: ...

    @property
    def build(self) -> Callable[[Sequence[Entry]], bytes]: ...


# -- writing ---------------------------------------------------------------------
def write_store(index: GlossaryIndex, path: Path, signals: Sequence[SignalData]) -> None:
    """Write `index` and its `signals`' data to `path` atomically (a temporary file renamed into place)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".sqlite")
    os.close(fd)
    try:
        db = sqlite3.connect(tmp)
        try:
            db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
            fill_store(db, index, signals)
            db.execute("VACUUM")
        finally:
            db.close()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fill_store(db: sqlite3.Connection, index: GlossaryIndex, signals: Sequence[SignalData]) -> None:
    """Create the schema in `db` (an empty database) and write `index` and its `signals`' data into it,
    in one transaction."""
    db.executescript(SCHEMA)
    with db:
        _fill(db, index)
        for signal in signals:
            db.execute(
                "INSERT INTO signal_data VALUES (?, ?)", (signal.name, signal.build(index.glossary.entries))
            )


def _fill(db: sqlite3.Connection, index: GlossaryIndex) -> None:
    g = index.glossary
    meta = {
        "format": FORMAT,
        "content_hash": g.content_hash,
        "vocabulary": g.vocabulary.as_json(),
        "packs": [
            {"pack": p.pack.model_dump(mode="json"), "directory": p.directory, "entry_count": p.entry_count}
            for p in g.packs
        ],
        "counts": g.counts(),
        "entry_count": len(g.entries),
        "max_name_words": index.max_name_words,
        "categories": sorted(index.by_category),
        "letters": sorted(index.letters),
        "example_of": index.example_of,  # a few per entry at most; held whole, like the name-key rows
    }
    db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
    db.executemany(
        "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                pos,
                e.id,
                g.entry_pack[e.id],
                e.category,
                letter_of(title(e)),
                e.formula is not None,
                e.model_dump_json(),
                json.dumps([[x.target, x.relation, x.note, x.inferred] for x in g.edges.get(e.id, ())]),
            )
            for pos, e in enumerate(g.entries)
        ),
    )
    for tbl, table in enumerate((index.raw_names, index.keys, index.compact_keys)):
        db.executemany(
            "INSERT INTO names VALUES (?, ?, ?, ?, ?, ?)",
            ((tbl, key, nk.entry_id, nk.kind, nk.text, nk.rank) for key, nk in table.items()),
        )
    # The name as written goes last: it is the one field that may itself hold the separator.
    rows = [
        SEP.join((key, nk.entry_id, nk.kind, str(nk.rank), nk.text)).encode()
        for key, nk in ((key, index.keys[key]) for key in index.key_list)
    ]
    offsets = array("q", [0])
    for row in rows:
        offsets.append(offsets[-1] + len(row))
    db.executemany(
        "INSERT INTO blobs VALUES (?, ?)", [("key_rows", b"".join(rows)), ("key_offsets", offsets.tobytes())]
    )
    db.executemany(
        "INSERT INTO grams VALUES (?, ?)",
        ((gram, array("i", kids).tobytes()) for gram, kids in index.key_trigrams.items()),
    )
    db.executemany(
        "INSERT INTO words VALUES (?, ?)",
        ((word, array("i", kids).tobytes()) for word, kids in index.key_words.items()),
    )
    # Grouped by SQLite from streamed pairs: the in-memory table would be ~130 MB at 100,000 entries.
    db.execute("CREATE TEMP TABLE variant_pairs (variant TEXT NOT NULL, word TEXT NOT NULL)")
    db.executemany(
        "INSERT INTO variant_pairs VALUES (?, ?)",
        ((variant, word) for word in index.key_words for variant in indexed_variants(word)),
    )
    db.execute(
        "INSERT INTO word_variants SELECT variant, group_concat(word, ?) FROM variant_pairs GROUP BY variant",
        (SEP,),
    )
    db.execute("DROP TABLE variant_pairs")
    db.execute("INSERT INTO blobs VALUES ('key_lengths', ?)", (index.key_lengths,))
    db.executemany(
        "INSERT INTO postings VALUES (?, ?, ?)",
        (
            (t, array("i", p.docs).tobytes(), array("d", p.impacts).tobytes())
            for t, p in index.postings.items()
        ),
    )
    db.executemany(
        "INSERT INTO phrases VALUES (?, ?)",
        (
            (SEP.join(key), json.dumps([[s.entry_id, s.text, s.case_sensitive] for s in surfaces]))
            for key, surfaces in index.phrases.items()
        ),
    )
    db.executemany("INSERT INTO phrase_starts VALUES (?, ?)", index.phrase_starts.items())
    db.executemany(
        "INSERT INTO stem_phrases VALUES (?, ?)",
        ((SEP.join(form), SEP.join(ids)) for form, ids in index.stem_phrases.items()),
    )
    db.executemany("INSERT INTO stem_starts VALUES (?, ?)", index.stem_starts.items())


__all__ = ["FORMAT", "NAME_TABLES", "SCHEMA", "SEP", "SignalData", "fill_store", "write_store"]
