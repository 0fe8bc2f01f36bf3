"""Task data as JSON: what the engine stores, shows and hands to templates."""
from __future__ import annotations

from datetime import date, datetime


def plain(value):
    """A JSON-ready copy of task data: dates become ISO text, other objects their text."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value.isoformat() if isinstance(value, (date, datetime)) else str(value)
