"""JSON for responses, request bodies and templates: orjson, writing what Flask's provider writes, with Chinese as it is.

Flask's provider escapes every non-ASCII character (`\\u6295\\u8bc9`), so an integration reading the API with curl
sees escapes instead of Chinese; it is also the json module, a good part of a small API request's cost. This one
writes the same values with the same rules (keys sorted, dates as HTTP dates, UUIDs and decimals as text,
dataclasses as dicts, objects with `__html__` as their markup) in UTF-8. What orjson refuses (integers past 64
bits, lone surrogates) and other formatting (indented, unsorted) go to Flask's own provider, which escapes
non-ASCII characters as it always has.
"""
from __future__ import annotations

import typing as t

import orjson
from flask.json.provider import DefaultJSONProvider, _default

_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
            | orjson.OPT_PASSTHROUGH_DATACLASS)
_COMPACT = (",", ":")


class JSONProvider(DefaultJSONProvider):
    """Flask's provider, with orjson for compact, sorted output and for reading."""

    def _encode(self, obj: t.Any) -> bytes | None:
        """The UTF-8 JSON of `obj`, or None where orjson refuses it."""
        try:
            return orjson.dumps(obj, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return None

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        # Compact, sorted output is orjson's; any other formatting (indent, unsorted keys) is the json module's.
        if kwargs.get("separators", _COMPACT) == _COMPACT and kwargs.get("sort_keys", True) \
                and not set(kwargs) - {"separators", "sort_keys"}:
            encoded = self._encode(obj)
            if encoded is not None:
                return encoded.decode()
            kwargs = {"separators": _COMPACT, **kwargs}     # compact as orjson would have written it
        return super().dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        if not kwargs:
            try:
                return orjson.loads(s)
            except orjson.JSONDecodeError:
                pass    # NaN, huge integers, lone surrogates: the json module reads (or refuses) them
        return super().loads(s, **kwargs)

    def response(self, *args: t.Any, **kwargs: t.Any):
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(*args, **kwargs)
        encoded = self._encode(self._prepare_response_obj(args, kwargs))
        if encoded is None:
            return super().response(*args, **kwargs)
        return self._app.response_class(encoded + b"\n", mimetype=self.mimetype)
