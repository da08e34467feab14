"""Read one glossary YAML file safely, and place every problem in it at `file:line`.

The loader's first step, kept apart from the rules on what an entry may say: this module knows
files, bytes, YAML and line numbers, and nothing about packs, vocabularies or relations.

Why it is shaped this way:
- YAML is composed to a node tree first (with `SafeLoader`), which gives line numbers for every
  key and item, lets us refuse anchors/aliases (the "billion laughs" expansion) and absurd nesting
  before anything is built, and only then is the tree constructed into plain Python data.
- Failures are appended to the caller's problem list instead of raised, so one bad file never
  hides the problems of the next one.
- `Positions` maps a path into the document (keys and list indexes) to its line; the same paths
  are what pydantic reports as an error's `loc`, so schema errors land on the right line too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml
from pydantic import ValidationError

from ai_glossary_mcp.errors import Problem, display_path

# libyaml's parser when PyYAML was built with it (about 10x faster), the pure-Python one otherwise.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_FILE_BYTES = 256 * 1024
MAX_NESTING = 24

DocumentPath = tuple[str | int, ...]
"""Where a value sits in a YAML document: mapping keys and list indexes, outermost first."""

Positions = dict[DocumentPath, int]
"""Line (1-based) of every key and list item, by its document path; `()` is the document itself."""


def line_for(positions: Positions, path: Sequence[str | int]) -> int:
    """The line of `path`, or of its nearest written ancestor (a missing field is reported at its parent)."""
    path = tuple(path)
    while path:
        if path in positions:
            return positions[path]
        path = path[:-1]
    return positions.get((), 1)


def _walk_nodes(root: yaml.Node, path_str: str, problems: list[Problem]) -> Positions | None:
    """Map every key/item path to its line; refuse aliases and deep nesting."""
    positions: Positions = {(): root.start_mark.line + 1}
    seen: set[int] = set()
    duplicates = False
    stack: list[tuple[yaml.Node, DocumentPath]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            problems.append(
                Problem(
                    path_str,
                    node.start_mark.line + 1,
                    "YAML anchors and aliases are not allowed in glossary files",
                )
            )
            return None
        seen.add(id(node))
        if len(path) > MAX_NESTING:
            problems.append(
                Problem(path_str, node.start_mark.line + 1, f"nesting deeper than {MAX_NESTING} levels")
            )
            return None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else repr(key_node)
                if path + (key,) in positions:  # YAML would silently keep the last one
                    problems.append(
                        Problem(
                            path_str,
                            key_node.start_mark.line + 1,
                            f"duplicate key '{key}' (first at line {positions[path + (key,)]})",
                        )
                    )
                    duplicates = True
                    continue
                positions[path + (key,)] = key_node.start_mark.line + 1
                stack.append((value_node, path + (key,)))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                positions[path + (index,)] = item.start_mark.line + 1
                stack.append((item, path + (index,)))
    return None if duplicates else positions


def read_yaml(path: Path, problems: list[Problem]) -> tuple[object, Positions, bytes] | None:
    """Read one YAML file safely: (data, positions, raw bytes); on failure append problems and return None."""
    shown = display_path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        problems.append(Problem(shown, 0, f"cannot read file: {exc.strerror or exc}"))
        return None
    if len(raw) > MAX_FILE_BYTES:
        problems.append(Problem(shown, 1, f"file is larger than {MAX_FILE_BYTES // 1024} KiB"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(Problem(shown, line, f"file is not UTF-8 (invalid byte 0x{raw[exc.start]:02x})"))
        return None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        problems.append(Problem(shown, line, "file contains NUL bytes (binary data, not YAML text)"))
        return None
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            problems.append(Problem(shown, 1, "file is empty"))
            return None
        positions = _walk_nodes(node, shown, problems)
        if positions is None:
            return None
        data: object = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        detail = "; ".join(part for part in (exc.context, exc.problem) if part)
        problems.append(Problem(shown, line, f"YAML syntax error: {detail}"))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(shown, 1, f"YAML error: {exc}"))
        return None
    except RecursionError:  # only the pure-Python parser recurses; report where it had got to
        problems.append(
            Problem(shown, getattr(loader, "line", 0) + 1, f"nesting deeper than {MAX_NESTING} levels")
        )
        return None
    finally:
        loader.dispose()
    return data, positions, raw


def schema_problems(exc: ValidationError, shown: str, positions: Positions) -> Iterable[Problem]:
    """pydantic's errors as curator-facing problems, each at the line of the field it names."""
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        dotted = ".".join(str(part) for part in loc) or "(file)"
        kind = err["type"]
        if kind == "extra_forbidden":
            message = f"unknown field '{dotted}'"
        elif kind == "missing":
            message = f"missing required field '{dotted}'"
        else:
            message = f"{dotted}: {err['msg']}"
        yield Problem(shown, line_for(positions, loc), message)
