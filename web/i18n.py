"""Interface languages: Simplified Chinese (the source text, default) and English (web/translations).

Message catalogues are kept as .po files and compiled when the first app of a process starts, so no build step is
needed; every later app of the process reuses them, and the process removes them when it exits."""
from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Blueprint, Flask, redirect, request, session
from flask_babel import Babel, get_locale

from .redirects import local_target

bp = Blueprint("i18n", __name__)
SOURCE = Path(__file__).with_name("translations")
LANGUAGES = ("zh", "en")
# Compiled catalogues by (process id, digest of the .po files): a forked child compiles its own rather than
# lean on a folder its parent removes when it exits; an edited .po file is compiled afresh.
_compiled: dict[tuple[int, str], Path] = {}


def init_app(app: Flask) -> None:
    """Use the compiled catalogues, choose each request's language, and offer /lang/<code>."""
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled_catalogues())
    app.config["BABEL_DEFAULT_LOCALE"] = "zh"
    Babel(app, locale_selector=_locale)
    app.context_processor(lambda: {"current_locale": str(get_locale())})
    app.register_blueprint(bp)


def compiled_catalogues() -> Path:
    """The folder of .mo files for the current .po files, compiled once per process."""
    sources = sorted(SOURCE.glob("*/LC_MESSAGES/messages.po"))
    digest = hashlib.sha256()
    for po in sources:
        digest.update(po.relative_to(SOURCE).as_posix().encode() + b"\0" + po.read_bytes() + b"\0")
    key = (os.getpid(), digest.hexdigest())
    if key not in _compiled:
        _compiled[key] = _compile(sources)
    return _compiled[key]


def _compile(sources: list[Path]) -> Path:
    """Compile the catalogues into a new folder that this process removes when it exits."""
    folder = Path(tempfile.mkdtemp(prefix="lawflow-i18n-"))
    atexit.register(_remove, folder, os.getpid())
    for po in sources:
        target = folder / po.relative_to(SOURCE).with_suffix(".mo")
        target.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as source, target.open("wb") as out:
            write_mo(out, read_po(source))
    return folder


def _remove(folder: Path, owner: int) -> None:
    """Remove the process's compiled catalogues (a forked child inherits the registration but not the ownership)."""
    if os.getpid() == owner:
        shutil.rmtree(folder, ignore_errors=True)


def _locale() -> str:
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else "zh"


@bp.get("/lang/<code>")
def choose(code: str):
    """Switch the interface language and go back."""
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(local_target(request.args.get("next"), "/"))
