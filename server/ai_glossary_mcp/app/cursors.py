"""Opaque page cursors for list_terms and resources/list.

A cursor is the page offset and a signature of the listing's filters, in
URL-safe base64 JSON: opaque to clients (the spec's rule) but stateless for
the server, so any replica can serve the next page. A cursor of another
listing is refused with a message that says how to start again.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ai_glossary_mcp.errors import InvalidArgument


def encode_cursor(offset: int, signature: str) -> str:
    """An opaque cursor for page offset `offset` of the listing named by `signature`."""
    raw = json.dumps({"o": offset, "f": signature}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: Any, signature: str) -> int:
    """The offset in a cursor from encode_cursor for the same listing, or InvalidArgument."""
    if cursor in ("", None):
        return 0
    bad = InvalidArgument(
        "`cursor` is not one this server issued; pass the `next_cursor` of the previous "
        "page unchanged, or '' to start from the beginning"
    )
    if not isinstance(cursor, str) or len(cursor) > 200:
        raise bad
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset, sig = data["o"], data["f"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0 or offset > 10_000_000:
        raise bad
    if sig != signature:
        raise InvalidArgument(
            "`cursor` belongs to a listing with other filters (letter/category); "
            "keep the same filters or start again with cursor ''"
        )
    return offset
