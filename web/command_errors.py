"""The `lawflow` commands' one way to refuse: an engine refusal becomes its translated text on stderr and an exit
code, with nothing of the command's own session kept."""
from __future__ import annotations

import sys
from contextlib import contextmanager

import click

from engine.core import EngineError

from .engine_text import engine_text


@contextmanager
def refusal_exits(code: int = 2, session=None):
    """Run the block; on an EngineError roll `session` back (when given), print the error's text, exit `code`."""
    try:
        yield
    except EngineError as exc:
        if session is not None:
            session.rollback()
        click.echo(engine_text(exc), err=True)
        sys.exit(code)
