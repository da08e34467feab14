"""Our error tree.

    GlossaryError                 base of everything this package raises on purpose
    ├── PackValidationError       one or more problems in glossary data (each a Problem: file:line: message)
    ├── ConfigError               a bad setting (names the key) or an unreadable config file
    └── InvalidArgument           a caller sent something we cannot answer; the message says what to send

The MCP layer turns InvalidArgument into a tool error (`isError: true`) and
the CLI turns any GlossaryError into one line on stderr and a non-zero exit.
Anything else escaping is a bug.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


class GlossaryError(Exception):
    """Base class for anticipated failures."""


@dataclass(frozen=True, order=True)
class Problem:
    """One validation problem, located in a file."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        # Line 0 marks a problem with a whole file or directory (missing, unreadable).
        if self.line == 0:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


class PackValidationError(GlossaryError):
    """Glossary data failed validation; `problems` holds every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in glossary data"
        super().__init__(head + ":\n" + "\n".join(str(p) for p in self.problems))


class ConfigError(GlossaryError):
    """A configuration value or file was rejected."""


class InvalidArgument(GlossaryError):
    """A request argument was invalid; the message tells the caller what to send instead."""


@lru_cache(maxsize=256)
def _resolved(directory: str, cwd: str) -> Path:
    # A loader shows every file of a pack (10,000 files: 20,000 calls), all in a few directories; the
    # working directory is part of the key because `directory` may be relative to it.
    return (Path(cwd) / directory).resolve()


def display_path(path: Path) -> str:
    """A path as we print it in messages: relative to the working directory when under it."""
    # Resolve the directories, not the file itself: a symlinked entry keeps its own name.
    cwd = os.getcwd()
    resolved = (
        path.resolve() if path.name in ("", ".", "..") else _resolved(str(path.parent), cwd) / path.name
    )
    try:
        return str(resolved.relative_to(_resolved(".", cwd)))
    except ValueError:
        return str(path)
