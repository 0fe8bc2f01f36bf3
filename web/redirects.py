r"""Where a `next` value may send the browser: only to a path of this site.

Browsers read `/\evil.example` and `//evil.example` as another host, drop tabs and line breaks before they look
(`/\t/evil.example` becomes `//evil.example`), and a value arrives here once percent-decoded, so `/%09/evil.example/`
is such a value too. One check for every redirect that honours a value the request or the database supplied.
"""
from __future__ import annotations

from urllib.parse import unquote, urlsplit


def local_target(value: str | None, default: str) -> str:
    """`value` if it is a path of this site (with its query), else `default`."""
    if isinstance(value, str) and _is_local_path(value) and _is_local_path(unquote(value)):
        return value
    return default


def _is_local_path(value: str) -> bool:
    if not value.startswith("/") or value[1:2] in ("/", "\\"):
        return False
    if "\\" in value or any(ord(c) < 0x21 or ord(c) == 0x7f for c in value):
        return False        # backslashes, spaces and control characters: browsers bend them into other URLs
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc
