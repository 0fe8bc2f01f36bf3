"""The app's request: a JSON body read strictly (refused values are field errors), and a body cut at its limit
refused rather than used in part."""
from __future__ import annotations

import typing as t

import flask
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.wsgi import LimitedStream

from engine.core import DataValidationError, FieldError

from .jsonio import RefusedJSON, read_body


class _BodyJSON:
    """What a request reads its JSON body with."""

    loads = staticmethod(read_body)


class Request(flask.Request):
    """Flask's request with read_body for JSON (web/jsonio.py), and 413 for a body past its limit, said or not."""

    @property
    def json_module(self):
        return _BodyJSON

    @json_module.setter
    def json_module(self, provider) -> None:
        """Flask hands every request the app's provider to read JSON with; bodies are read by read_body instead."""

    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        if isinstance(e, RefusedJSON):
            raise DataValidationError(f"请求中有 {len(e.problems)} 处不允许的值", [
                FieldError(f"json.{path}" if path else "json", message, "json") for path, message in e.problems])
        if e is not None:       # malformed: say where (Flask says nothing outside debug mode); it is the caller's text
            raise BadRequest(f"Failed to decode JSON object: {e}")
        return super().on_json_loading_failed(e)

    def _load_form_data(self) -> None:
        super()._load_form_data()
        self._refuse_cut_body()

    def get_data(self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False):  # type: ignore[override]
        data = super().get_data(cache=cache, as_text=as_text, parse_form_data=parse_form_data)
        self._refuse_cut_body()
        return data

    def _refuse_cut_body(self) -> None:
        """A body that said no length (chunked) is read up to the limit and no further: werkzeug stops there
        without knowing whether more follows, and hands on what it read. Reaching the limit means too large."""
        stream = self.__dict__.get("stream")
        if self.content_length is None and isinstance(stream, LimitedStream) and stream.is_exhausted:
            raise RequestEntityTooLarge()
