"""The `lawflow` commands' one way to refuse: an engine refusal becomes its translated text on stderr (a refused
import's with each wrong row and column) and an exit code, with nothing of the command's own session kept."""
from __future__ import annotations

import sys
from collections.abc import Mapping
from contextlib import contextmanager

import click

from engine.core import EngineError, ImportRefused

from .engine_text import engine_text


@contextmanager
def refusal_exits(code: int = 2, session=None, codes: Mapping[type, int] | None = None):
    """Run the block; on an EngineError roll `session` back (when given), print the error's text (a refused
    import's rows too), exit with the code `codes` gives the error's class (matched along its hierarchy), else
    `code`."""
    try:
        yield
    except EngineError as exc:
        if session is not None:
            session.rollback()
        click.echo(engine_text(exc), err=True)
        for error in exc.errors if isinstance(exc, ImportRefused) else ():
            click.echo(f"  第 {error.row} 行 {error.column}：{engine_text(error)}", err=True)
        codes = codes or {}
        sys.exit(next((codes[cls] for cls in type(exc).__mro__ if cls in codes), code))
