"""Read glossary packs from disk into a validated, immutable Glossary.

A pack is a directory with a `pack.yaml` and one `<id>.yaml` per entry. The
loader never stops at the first problem: it collects every problem of every
file (syntax, schema, cross-file rules) and raises them together, each as
`file:line: message`, because a curator fixing a pack wants the whole list.

Why it is shaped this way:
- Reading one file (size, encoding, safe YAML, line numbers) is yaml_reader.py's
  job; this module holds the rules on what packs and entries may say.
- Per-file checks (pydantic schema, id = file name, declared vocabulary, LaTeX
  parses) come first; cross-file rules (duplicate ids across packs, names that
  collide after normalisation, relations to missing ids) run once every file
  is read, and the inverse relation edges are derived last.
- `check_pack_data` runs the same rules on data held in memory, so `import`
  validates what it is about to write without reading it back.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from ai_glossary_mcp.data.bundled import PACK_FILE, bundled_pack_dir
from ai_glossary_mcp.data.glossary import Edge, Glossary, PackInfo, sort_key
from ai_glossary_mcp.data.model import Entry, Pack
from ai_glossary_mcp.data.names import names as entry_names
from ai_glossary_mcp.data.vocabulary import Vocabulary, authorable_relations, merge_vocabularies
from ai_glossary_mcp.data.yaml_reader import DocumentPath, Positions, line_for, read_yaml, schema_problems
from ai_glossary_mcp.errors import PackValidationError, Problem, display_path
from ai_glossary_mcp.search.normalize import name_key


class _Hasher(Protocol):
    """What the loader needs of `hashlib.sha256()`: the content hash covers every byte read."""

    def update(self, data: bytes, /) -> None: ...


@dataclass(frozen=True)
class _Located:
    """An entry with where it came from, for cross-file messages."""

    entry: Entry
    pack: str
    path: str
    positions: Positions

    def line(self, *path: str | int) -> int:
        return line_for(self.positions, path)


# `\\` (a line break), `\{` and `\}` (literal braces) are not grouping braces.
_NOT_GROUPING = re.compile(r"\\\\|\\[{}]")


def _latex_problem(latex: str) -> str | None:
    from latex2mathml.converter import convert

    grouping = _NOT_GROUPING.sub("", latex)
    if grouping.count("{") != grouping.count("}"):
        return "formula.latex does not parse: unbalanced braces"
    try:
        convert(latex)
    except Exception as exc:  # latex2mathml raises many types; any of them means "does not parse"
        detail = str(exc).strip()  # latex2mathml's exceptions carry no message
        return f"formula.latex does not parse: {type(exc).__name__}" + (f": {detail}" if detail else "")
    return None


def _check_vocabulary(item: _Located, pack: Pack, problems: list[Problem]) -> None:
    """Validation is per pack: an entry uses its own pack's categories and relation types."""
    e = item.entry
    if e.category is not None and e.category not in pack.categories:
        declared = ", ".join(pack.categories) or "none (add `categories:` to pack.yaml)"
        problems.append(
            Problem(
                item.path,
                item.line("category"),
                f"category '{e.category}' is not declared by pack '{pack.name}'; declared: {declared}",
            )
        )
    allowed = authorable_relations(pack)
    for index, rel in enumerate(e.related):
        if rel.relation not in allowed:
            problems.append(
                Problem(
                    item.path,
                    item.line("related", index, "relation"),
                    f"related[{index}].relation '{rel.relation}' is not a relation type of pack "
                    f"'{pack.name}'; use one of: {', '.join(allowed)}",
                )
            )


def _load_entry(path: Path, pack: Pack, problems: list[Problem], hasher: _Hasher) -> _Located | None:
    shown = display_path(path)
    loaded = read_yaml(path, problems)
    if loaded is None:
        return None
    data, positions, raw = loaded
    hasher.update(path.name.encode() + b"\0" + raw + b"\0")
    return _check_entry(data, path, shown, positions, pack, problems)


def _check_entry(
    data: object, path: Path, shown: str, positions: Positions, pack: Pack, problems: list[Problem]
) -> _Located | None:
    """The per-file rules on one entry's data (schema, id = file name, vocabulary, LaTeX)."""
    if not isinstance(data, dict):
        problems.append(Problem(shown, 1, "an entry file must be a YAML mapping of fields"))
        return None
    try:
        entry = Entry.model_validate(data)
    except ValidationError as exc:
        problems.extend(schema_problems(exc, shown, positions))
        return None
    located = _Located(entry, pack.name, shown, positions)
    _check_vocabulary(located, pack, problems)
    if entry.id != path.stem:
        problems.append(
            Problem(shown, located.line("id"), f"id '{entry.id}' does not match the file name '{path.name}'")
        )
    if entry.formula is not None:
        message = _latex_problem(entry.formula.latex)
        if message:
            problems.append(Problem(shown, located.line("formula", "latex"), message))
    return located


def _load_pack(
    directory: Path, problems: list[Problem], hasher: _Hasher
) -> tuple[PackInfo, list[_Located]] | None:
    shown = display_path(directory)
    if not directory.is_dir():
        problems.append(Problem(shown, 0, "pack directory does not exist or is not a directory"))
        return None
    pack_path = directory / PACK_FILE
    if not pack_path.is_file():
        problems.append(
            Problem(
                display_path(pack_path),
                0,
                "missing pack file (name, title, version, source, license, description)",
            )
        )
        return None
    loaded = read_yaml(pack_path, problems)
    if loaded is None:
        return None
    data, positions, raw = loaded
    hasher.update(b"pack\0" + raw + b"\0")
    if not isinstance(data, dict):
        problems.append(Problem(display_path(pack_path), 1, "a pack file must be a YAML mapping of fields"))
        return None
    try:
        pack = Pack.model_validate(data)
    except ValidationError as exc:
        problems.extend(schema_problems(exc, display_path(pack_path), positions))
        return None
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        problems.append(Problem(shown, 0, f"cannot list directory: {exc.strerror or exc}"))
        return None
    located: list[_Located] = []
    for name in names:
        # Dotfiles are editor locks and OS metadata (".#x.yaml", "._x.yaml"), never entries.
        if name == PACK_FILE or name.startswith(".") or not name.endswith((".yaml", ".yml")):
            continue
        item = _load_entry(directory / name, pack, problems, hasher)
        if item is not None:
            located.append(item)
    return PackInfo(pack=pack, directory=str(directory), entry_count=len(located)), located


def _merge(packs: list[tuple[PackInfo, list[_Located]]], problems: list[Problem]) -> dict[str, _Located]:
    merged: dict[str, _Located] = {}
    pack_names: dict[str, str] = {}
    for info, located in packs:
        if info.pack.name in pack_names:
            problems.append(
                Problem(
                    display_path(Path(info.directory) / PACK_FILE),
                    1,
                    f"pack name '{info.pack.name}' is already used by {pack_names[info.pack.name]}",
                )
            )
        pack_names[info.pack.name] = info.directory
        for item in located:
            earlier = merged.get(item.entry.id)
            if earlier is None:
                if item.entry.overrides:
                    problems.append(
                        Problem(
                            item.path,
                            item.line("overrides"),
                            f"overrides: true, but no earlier pack defines '{item.entry.id}'",
                        )
                    )
                merged[item.entry.id] = item
            elif earlier.pack != item.pack and item.entry.overrides:
                merged[item.entry.id] = item
            else:
                problems.append(
                    Problem(
                        item.path,
                        item.line("id"),
                        f"duplicate id '{item.entry.id}' "
                        f"(already defined in {earlier.path}:{earlier.line('id')}); "
                        "set `overrides: true` in a later pack to replace it",
                    )
                )
    return merged


_LIST_FIELDS = {"alias": "aliases", "misspelling": "misspellings"}  # name field -> the YAML list holding it


def _check_names(merged: dict[str, _Located], problems: list[Problem]) -> None:
    """Every id, term, acronym and alias must normalise to a key owned by one entry only."""
    owners: dict[str, tuple[str, str, _Located, int]] = {}
    for entry_id in sorted(merged):
        item = merged[entry_id]
        e = item.entry
        # The id first (see names.names), then every other name with where it is written in the file.
        located: list[tuple[str, str, DocumentPath]] = [("id", e.id, ("id",))]
        for n in entry_names(e, with_misspellings=True):
            list_field = _LIST_FIELDS.get(n.field)
            located.append((n.field, n.text, (list_field, n.position) if list_field else (n.field,)))
        for field, value, loc in located:
            key = name_key(value)
            line = item.line(*loc)
            if not key:
                problems.append(Problem(item.path, line, f"{field} '{value}' has no letters or digits"))
                continue
            owner = owners.get(key)
            if owner is None:
                owners[key] = (field, value, item, line)
            elif owner[2].entry.id != e.id:
                o_field, o_value, o_item, o_line = owner
                problems.append(
                    Problem(
                        item.path,
                        line,
                        f"{field} '{value}' collides with the {o_field} '{o_value}' "
                        f"of entry '{o_item.entry.id}' "
                        f"({o_item.path}:{o_line})",
                    )
                )


def _edges(
    merged: dict[str, _Located], vocabulary: Vocabulary, problems: list[Problem]
) -> dict[str, tuple[Edge, ...]]:
    authored: dict[str, list[Edge]] = {entry_id: [] for entry_id in merged}
    for entry_id in sorted(merged):
        item = merged[entry_id]
        seen: set[str] = set()
        for index, rel in enumerate(item.entry.related):
            line = item.line("related", index, "id")
            if rel.id == entry_id:
                problems.append(Problem(item.path, line, f"related[{index}] points at the entry itself"))
            elif rel.id not in merged:
                problems.append(Problem(item.path, line, f"related[{index}] points at unknown id '{rel.id}'"))
            elif rel.id in seen:
                problems.append(Problem(item.path, line, f"related[{index}] repeats '{rel.id}'"))
            else:
                seen.add(rel.id)
                authored[entry_id].append(
                    Edge(
                        entry_id,
                        rel.id,
                        rel.relation,
                        rel.note,
                        inferred=False,
                        phrase=vocabulary.phrase(rel.relation),
                    )
                )
    inferred: dict[str, list[Edge]] = {entry_id: [] for entry_id in merged}
    for entry_id, edges in authored.items():
        for edge in edges:
            if any(back.target == entry_id for back in authored[edge.target]):
                continue
            inverse = vocabulary.inverses.get(edge.relation, edge.relation)
            inferred[edge.target].append(
                Edge(
                    edge.target,
                    entry_id,
                    inverse,
                    edge.note,
                    inferred=True,
                    phrase=vocabulary.phrase(inverse),
                )
            )
    return {
        entry_id: tuple(authored[entry_id] + sorted(inferred[entry_id], key=lambda e: e.target))
        for entry_id in merged
    }


def check_pack_data(
    pack_data: dict[str, object], entries: Sequence[dict[str, object]], directory: Path
) -> list[Problem]:
    """Every rule `load_glossary` applies to one pack, on data held in memory that is about to be written
    to `directory` (pack.yaml's mapping, one mapping per entry file): `import` checks what it will write
    without parsing 10,000 files back. Problems name the files to be written; lines are unknown (1)."""
    problems: list[Problem] = []
    try:
        pack = Pack.model_validate(pack_data)
    except ValidationError as exc:
        problems.extend(schema_problems(exc, display_path(directory / PACK_FILE), {}))
        return problems
    located = []
    for data in entries:
        path = directory / f"{data.get('id')}.yaml"
        item = _check_entry(data, path, display_path(path), {}, pack, problems)
        if item is not None:
            located.append(item)
    vocabulary, _ = merge_vocabularies([pack])
    merged = _merge(
        [(PackInfo(pack=pack, directory=str(directory), entry_count=len(located)), located)], problems
    )
    _check_names(merged, problems)
    _edges(merged, vocabulary, problems)
    return problems


def load_glossary(pack_dirs: Sequence[Path | str] | None = None) -> Glossary:
    """Load and validate packs (default: the bundled ai-ml pack). Raises PackValidationError."""
    dirs = [Path(d) for d in pack_dirs] if pack_dirs else [bundled_pack_dir()]
    problems: list[Problem] = []
    hasher = hashlib.sha256()
    packs = []
    for directory in dirs:
        loaded = _load_pack(directory, problems, hasher)
        if loaded is not None:
            packs.append(loaded)
    vocabulary, conflicts = merge_vocabularies(info.pack for info, _ in packs)
    pack_files = {info.pack.name: display_path(Path(info.directory) / PACK_FILE) for info, _ in packs}
    problems += [Problem(pack_files[name], 1, message) for name, message in conflicts]
    merged = _merge(packs, problems)
    _check_names(merged, problems)
    edges = _edges(merged, vocabulary, problems)
    if problems:
        raise PackValidationError(problems)
    entries = tuple(sorted((item.entry for item in merged.values()), key=sort_key))
    pack_infos = tuple(
        PackInfo(info.pack, info.directory, sum(1 for item in merged.values() if item.pack == info.pack.name))
        for info, _ in packs
    )
    return Glossary(
        packs=pack_infos,
        entries=entries,
        entry_pack={entry_id: item.pack for entry_id, item in merged.items()},
        edges=edges,
        content_hash=hasher.hexdigest()[:16],
        vocabulary=vocabulary,
    )
