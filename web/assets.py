"""Browser assets from npm packages (package.json; `make` installs them), served from node_modules."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, send_from_directory

bp = Blueprint("assets", __name__)
# Which folder of each package the browser may fetch from.
PACKAGES = {"bpmn-js": "dist", "swagger-ui-dist": "", "htmx.org": "dist", "echarts": "dist"}


def init_app(app: Flask) -> None:
    """Serve /assets/<package>/<file> from the configured node_modules folder."""
    app.register_blueprint(bp)


@bp.get("/favicon.ico")
def favicon():
    """The site's icon where browsers and tools look for it first (the pages link the same SVG)."""
    return send_from_directory(Path(current_app.static_folder), "favicon.svg", mimetype="image/svg+xml",
                               max_age=86400)


@bp.get("/assets/<package>/<path:filename>")
def asset(package: str, filename: str):
    """One file of an allowed package (404 for anything else)."""
    if package not in PACKAGES:
        abort(404)
    folder = Path(current_app.config["ASSETS_DIR"]) / package / PACKAGES[package]
    return send_from_directory(folder, filename, max_age=86400)
