"""Interface languages: Simplified Chinese (the source text, default) and English (web/translations).

Message catalogues are kept as .po files and compiled when the app starts, so no build step is needed."""
from __future__ import annotations

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


def init_app(app: Flask) -> None:
    """Compile the catalogues, choose each request's language, and offer /lang/<code>."""
    compiled = Path(tempfile.mkdtemp(prefix="lawflow-i18n-"))
    for po in SOURCE.glob("*/LC_MESSAGES/messages.po"):
        target = compiled / po.relative_to(SOURCE).with_suffix(".mo")
        target.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as source, target.open("wb") as out:
            write_mo(out, read_po(source))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled)
    app.config["BABEL_DEFAULT_LOCALE"] = "zh"
    Babel(app, locale_selector=_locale)
    app.context_processor(lambda: {"current_locale": str(get_locale())})
    app.register_blueprint(bp)


def _locale() -> str:
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else "zh"


@bp.get("/lang/<code>")
def choose(code: str):
    """Switch the interface language and go back."""
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(local_target(request.args.get("next"), "/"))
