"""What every importer and exporter shares: the record an importer yields, and turning records into a pack.

An importer only reads its format: it returns `Record`s (names, definition, relations by the
*name* of the other term) plus what it skipped and why. Everything else is done once, here, for
every format: ids are slugs of the term with collisions reported, categories become declared
pack categories, relations are resolved by name (unknown targets reported), names that would
collide with another entry's are dropped with a note; the pack is checked with every rule of the
loader (`check_pack_data`, on the data about to be written), written to a temporary directory and
only then renamed into place, so a failed import never leaves a partial pack behind.
`ImportFailure` carries `file:line: message` problems for input the format cannot read at all;
the CLI prints them and exits 1.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from ai_glossary_mcp.data.model import ID_PATTERN, entry_json_schema
from ai_glossary_mcp.data.vocabulary import AUTHORED_RELATIONS
from ai_glossary_mcp.errors import Problem, display_path
from ai_glossary_mcp.search.normalize import name_key

MAX_SOURCE_BYTES = 16 * 1024 * 1024  # a 10,000-entry CSV is ~3 MB; larger files are refused before parsing


class ImportFailure(Exception):
    """The source cannot be imported; each problem is `file:line: message` (line 0 when there is none)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def fail(path: Path | str, line: int, message: str) -> ImportFailure:
    return ImportFailure([Problem(display_path(Path(path)), line, message)])


@dataclass
class Record:
    """One term as a source gives it; relations name their target by term, alias or id."""

    term: str
    definition: str
    where: str  # "file:line" or "file: record N", for messages
    aliases: list[str] = field(default_factory=list)
    acronym: str | None = None
    category: str | None = None  # a label or an id; becomes a declared category
    related: list[tuple[str, str, str | None]] = field(default_factory=list)  # (target name, relation, note)
    misspellings: list[str] = field(default_factory=list)
    do_not_use: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    formula: dict[str, Any] | None = None
    read_more: list[dict[str, Any]] = field(default_factory=list)
    id: str | None = None  # kept when the source has ids (our own export)


@dataclass
class Parsed:
    """An importer's whole answer."""

    records: list[Record]
    skipped: list[str] = field(default_factory=list)  # "where: why"
    title: str | None = None
    description: str | None = None
    categories: dict[str, str] = field(default_factory=dict)  # declared by the source (id -> label)
    relation_types: dict[str, dict[str, str]] = field(default_factory=dict)


def read_source(path: Path) -> str:
    """The file as text: size-bounded, UTF-8 (a BOM is dropped), never empty."""
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            raise fail(
                path,
                0,
                f"file is {size / 2**20:.1f} MiB; the import limit is "
                f"{MAX_SOURCE_BYTES // 2**20} MiB (split the glossary into several packs)",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise fail(path, 0, f"cannot read file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(
            path,
            raw[: exc.start].count(b"\n") + 1,
            f"file is not UTF-8 (invalid byte 0x{raw[exc.start]:02x})",
        ) from None
    if not text.strip():
        raise fail(path, 1, "file is empty: there is no glossary to import")
    if "\x00" in text:
        raise fail(
            path,
            text[: text.index("\x00")].count("\n") + 1,
            "file contains NUL bytes (binary data, not text)",
        )
    return text


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:70].rstrip("-") or "term"


def one_line(text: str) -> str:
    return " ".join(text.split())


_ACRONYM = re.compile(r"[A-Z0-9][A-Za-z0-9&/.+-]{0,11}")


def is_acronym(name: str) -> bool:
    """A short name with no spaces and more capitals than a word has (DPO, CoT, QLoRA, FP8, TCP/IP)."""
    return (bool(_ACRONYM.fullmatch(name)) and sum(ch.isupper() for ch in name) >= 2) or (
        len(name) <= 6 and name.isupper()
    )


def split_heading(heading: str) -> tuple[str, str | None, list[str], str]:
    """'Name (ACR)' / 'ACR (Long Name)' / 'Name (other name)' -> (term, acronym, aliases, id source)."""
    m = re.fullmatch(r"(.+?)\s*\(([^()]+)\)", heading.strip())
    if not m:
        return heading.strip(), None, [], heading.strip()
    outer, inner = m.group(1).strip(), m.group(2).strip()
    if " " not in outer and is_acronym(outer) and " " in inner:
        return inner, outer, [], outer
    if " " not in inner and is_acronym(inner):
        return outer, inner, [], outer
    return outer, None, [inner], outer


_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 ,.()/&+_-]*[A-Za-z0-9.)]|[A-Za-z]")
_YAML_WORDS = {"yes", "no", "on", "off", "true", "false", "null", "y", "n"}


# What YAML will not read raw in a double-quoted scalar: non-printables, and NEL/LS/PS, which it folds
# as breaks.
_UNPRINTABLE = re.compile("[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        plain = _PLAIN.fullmatch(value) and value.casefold() not in _YAML_WORDS and ": " not in value
        if plain:
            return value
        return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))
    if isinstance(value, float) and not isinstance(value, bool):
        if value != value or value in (float("inf"), float("-inf")):
            return {"nan": ".nan", "inf": ".inf", "-inf": "-.inf"}[repr(value)]
        text = repr(value)  # YAML 1.1 reads an exponent as a float only after a decimal point: 1.0e+20
        return text.replace("e", ".0e", 1) if "e" in text and "." not in text else text
    return json.dumps(value, ensure_ascii=False)  # ints, booleans, null: JSON spells them as YAML does


def _emit(value: Any, indent: str, lines: list[str], key: str) -> None:
    if isinstance(value, dict) and value:
        lines.append(f"{indent}{key}:")
        for k, v in value.items():
            _emit(v, indent + "  ", lines, _scalar(k))
    elif isinstance(value, list) and value:
        lines.append(f"{indent}{key}:")
        for item in value:
            if isinstance(item, dict) and item:
                sub: list[str] = []
                for k, v in item.items():
                    _emit(v, indent + "  ", sub, _scalar(k))
                lines.append(indent + "- " + sub[0][len(indent) + 2 :])
                lines.extend(sub[1:])
            else:
                lines.append(f"{indent}- {_scalar(item)}")
    else:
        lines.append(f"{indent}{key}: {_scalar(value) if value not in ({}, []) else json.dumps(value)}")


def dump_yaml(data: dict[str, Any], header: str = "") -> str:
    """Block-style YAML, written directly: PyYAML's emitter takes most of a 10,000-entry import's time.

    Strings are plain when they are unmistakably strings, else JSON double-quoted (valid YAML).
    tests/test_import_formats.py validates every written fixture pack from disk, and checks that this
    reads back as the data for arbitrary text."""
    lines: list[str] = []
    for key, value in data.items():
        _emit(value, "", lines, _scalar(key))
    return header + "\n".join(lines) + "\n"


@dataclass
class Summary:
    entries: int = 0
    aliases: int = 0
    relations: int = 0
    formulas: int = 0
    categories: int = 0
    notes: list[str] = field(default_factory=list)  # everything skipped or changed, and why

    def lines(self) -> list[str]:
        head = (
            f"imported {self.entries} entries, {self.aliases} aliases, {self.relations} relations, "
            f"{self.formulas} formulas, {self.categories} categories"
        )
        if not self.notes:
            return [head, "nothing skipped"]
        return [head, f"{len(self.notes)} item(s) skipped or changed:"] + [f"  {n}" for n in self.notes]


def _category_ids(parsed: Parsed) -> dict[str, str]:
    """Source category (label or id) -> declared id; fills parsed.categories."""
    mapping: dict[str, str] = {}
    labels = {label.casefold(): cid for cid, label in parsed.categories.items()}
    for r in parsed.records:
        if r.category is None or r.category in mapping:
            continue
        cid = r.category if r.category in parsed.categories else labels.get(r.category.casefold())
        if cid is None:
            cid = slugify(r.category)
            parsed.categories.setdefault(cid, one_line(r.category)[:100])
        mapping[r.category] = cid
    return mapping


def _claim_names(
    names: list[str],
    what: str,
    *,
    where: str,
    term: str,
    entry_id: str,
    owners: dict[str, str],
    notes: list[str],
) -> list[str]:
    """The names (of kind `what`) that entry `entry_id` may keep, claimed for it in `owners`; a name that is
    too long or names another entry is dropped with a note, the term itself or a repeat silently."""
    key = name_key(term)
    out: list[str] = []
    for name in names:
        name = one_line(name)
        k = name_key(name)
        if not name or not k:
            continue
        if len(name) > 120:
            notes.append(
                f"{where}: dropped the {what} '{name[:40]}...' of '{term}': longer than 120 characters"
            )
        elif owners.get(k, entry_id) != entry_id:
            notes.append(f"{where}: dropped the {what} '{name}' of '{term}': it names entry '{owners[k]}'")
        elif k == key or name in out:
            continue  # the term itself, or repeated: nothing is lost
        else:
            owners[k] = entry_id
            out.append(name)
    return out


def build_entries(parsed: Parsed, summary: Summary) -> list[dict[str, Any]]:
    """Records -> entry dicts that pass the loader's rules; every change goes into summary.notes."""
    notes = summary.notes
    notes += parsed.skipped
    categories = _category_ids(parsed)
    taken_ids: dict[str, str] = {}
    owners: dict[str, str] = {}  # name key -> entry id
    entries: list[dict[str, Any]] = []
    kept: list[Record] = []
    # Terms first, so that an alias never takes a name another entry has as its term.
    for r in parsed.records:
        term, definition = one_line(r.term), r.definition.strip()
        if not term or not name_key(term):
            notes.append(f"{r.where}: skipped an entry whose term has no letters or digits ({r.term!r})")
            continue
        if not definition:
            notes.append(f"{r.where}: skipped '{term}': it has no definition")
            continue
        key = name_key(term)
        if key in owners:
            notes.append(
                f"{r.where}: skipped '{term}': the same name as entry '{owners[key]}' (merge them in the "
                "source, or rename one)"
            )
            continue
        owners[key] = term  # replaced by the entry's id below, once ids are given
        entries.append({"id": "", "term": term, "definition": definition})
        kept.append(r)
    # Then ids: a slug of the term, unless that slug is another entry's id or names another entry.
    for entry, r in zip(entries, kept, strict=True):
        term = entry["term"]
        base = r.id if r.id and re.fullmatch(ID_PATTERN, r.id) else slugify(term)
        entry_id, n = base, 1
        while entry_id in taken_ids or owners.get(name_key(entry_id), term) != term:
            n += 1
            entry_id = f"{base}-{n}"
        if entry_id != base:
            other = taken_ids.get(base) or owners.get(name_key(base))
            notes.append(f"{r.where}: id '{base}' is taken by '{other}'; '{term}' gets id '{entry_id}'")
        taken_ids[entry_id] = term
        entry["id"] = entry_id
        owners[name_key(term)] = entry_id
        owners.setdefault(name_key(entry_id), term)
    term_ids = {e["term"]: e["id"] for e in entries}
    for k, owner in list(owners.items()):
        owners[k] = term_ids.get(owner, owner)
    for entry, r in zip(entries, kept, strict=True):
        entry_id, term = entry["id"], entry["term"]
        definition = entry.pop("definition")
        own = partial(_claim_names, where=r.where, term=term, entry_id=entry_id, owners=owners, notes=notes)
        if r.acronym:
            acronym = own([r.acronym], "acronym")
            if acronym:
                entry["acronym"] = acronym[0]
        aliases = own(r.aliases, "alias")
        if aliases:
            entry["aliases"] = aliases
        misspellings = own(r.misspellings, "hidden label")
        if misspellings:
            entry["misspellings"] = misspellings
        if r.do_not_use:
            entry["do_not_use"] = [one_line(x) for x in r.do_not_use]
        if r.examples:
            entry["examples"] = [one_line(x) for x in r.examples]
        if r.category is not None:
            entry["category"] = categories[r.category]
        if r.tags:
            entry["tags"] = sorted({slugify(t) for t in r.tags})
        entry["definition"] = definition
        if r.formula:
            entry["formula"] = r.formula
        if r.read_more:
            entry["read_more"] = r.read_more
    by_id = {e["id"]: e for e in entries}
    known_types = set(AUTHORED_RELATIONS) | set(parsed.relation_types)
    for entry, r in zip(entries, kept, strict=True):
        related, seen = [], set()
        for target, relation, note in r.related:
            if relation not in known_types:
                notes.append(
                    f"{r.where}: relation type '{relation}' (to '{target}') is not declared; kept as see-also"
                )
                relation = "see-also"
            tid = owners.get(name_key(target)) if name_key(target) else None
            if tid is None and target in by_id:
                tid = target
            if tid is None:
                notes.append(
                    f"{r.where}: dropped the relation '{entry['term']}' {relation} '{target}': no entry "
                    "has that name"
                )
            elif tid == entry["id"] or tid in seen:
                notes.append(
                    f"{r.where}: dropped the relation '{entry['term']}' {relation} '{target}': "
                    + ("it points at the entry itself" if tid == entry["id"] else "repeated")
                )
            else:
                seen.add(tid)
                item: dict[str, Any] = {"id": tid, "relation": relation}
                if note:
                    item["note"] = one_line(note)[:200]
                related.append(item)
        if related:
            entry["related"] = related
    summary.entries = len(entries)
    summary.aliases = sum(len(e.get("aliases", ())) for e in entries)
    summary.relations = sum(len(e.get("related", ())) for e in entries)
    summary.formulas = sum(1 for e in entries if "formula" in e)
    summary.categories = len({e["category"] for e in entries if "category" in e})
    return entries


def write_pack(parsed: Parsed, target: Path, name: str, source: Path, lang: str | None = None) -> Summary:
    """Write the pack to `target` (which must not hold a pack yet), validated; return the summary.

    Raises ImportFailure (nothing written) when the records do not make a valid pack."""
    if (target / "pack.yaml").exists() or (target.exists() and any(target.iterdir())):
        raise fail(
            target, 0, "the target directory is not empty; choose a new directory (nothing was written)"
        )
    summary = Summary()
    entries = build_entries(parsed, summary)
    if not entries:
        raise ImportFailure(
            [Problem(display_path(source), 0, "no entries to import")]
            + [Problem(display_path(source), 0, n) for n in summary.notes[:20]]
        )
    used = {e["category"] for e in entries if "category" in e}
    categories = {cid: label for cid, label in parsed.categories.items() if cid in used}
    pack: dict[str, Any] = {
        "name": name,
        "title": one_line(parsed.title or f"{name} glossary")[:200],
        "version": "1",
        "source": f"Imported from {source.name} by ai-glossary-mcp import"[:500],
        "license": "Same as the source glossary",
        "description": one_line(
            parsed.description
            or f"{len(entries)} terms imported from {source.name}" + (f" ({lang})" if lang else "")
        )[:2000],
    }
    if categories:
        pack["categories"] = categories
    used_types = {rel["relation"] for e in entries for rel in e.get("related", ())}
    types = {t: d for t, d in parsed.relation_types.items() if t in used_types or d["inverse"] in used_types}
    if types:
        pack["relation_types"] = types
    from ai_glossary_mcp.data.loader import check_pack_data

    problems = check_pack_data(pack, entries, target)
    if problems:
        raise ImportFailure(
            [
                Problem(display_path(source), 0, f"the imported pack would not validate: {p}")
                for p in problems[:50]
            ]
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-importing-", dir=target.parent))
    try:
        (staging / "pack.yaml").write_text(
            dump_yaml(pack, "# Written by `ai-glossary-mcp import`.\n"), encoding="utf-8"
        )
        (staging / "schema.json").write_text(
            json.dumps(entry_json_schema(categories), indent=2) + "\n", encoding="utf-8"
        )
        header = "# yaml-language-server: $schema=schema.json\n"
        for e in entries:
            (staging / f"{e['id']}.yaml").write_text(dump_yaml(e, header), encoding="utf-8")
        if target.exists():
            target.rmdir()
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return summary
