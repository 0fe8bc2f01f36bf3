"""Processes and bundle versions."""
from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select

from engine.core import Bundle, BundleFile, NotFound
from engine.definitions import bundles

from ..database import session
from . import Blueprint, authenticate
from .schemas import BundleOut, ProcessOut

blp = Blueprint("api_catalogue", __name__, description="流程与版本")
blp.before_request(authenticate)


@blp.route("/processes")
class Processes(MethodView):
    @blp.response(200, ProcessOut(many=True))
    def get(self):
        """Processes, each in its newest published version."""
        return [{"key": d.process_key, "name": d.name, "bundle_version": d.bundle.version, "file_path": d.file_path,
                 "properties": d.properties or {}} for d in bundles.latest_definitions(session())]


@blp.route("/bundles")
class Bundles(MethodView):
    @blp.response(200, BundleOut(many=True))
    def get(self):
        """Bundle versions, newest first."""
        return [_bundle(b, files=False) for b in session().scalars(select(Bundle).order_by(Bundle.version.desc()))]


@blp.route("/bundles/<int:version>")
class BundleVersion(MethodView):
    @blp.response(200, BundleOut)
    def get(self, version: int):
        """One bundle version with its files."""
        found = session().scalar(select(Bundle).where(Bundle.version == version))
        if found is None:
            raise NotFound("版本不存在", version=version)
        return _bundle(found, files=True)


def _bundle(bundle: Bundle, files: bool) -> dict:
    out = {"version": bundle.version, "content_hash": bundle.content_hash, "created_at": bundle.created_at,
           "created_by": bundle.created_by, "note": bundle.note}
    if files:
        out["files"] = [{"path": p, "kind": k, "sha256": s} for p, k, s in session().execute(
            select(BundleFile.path, BundleFile.kind, BundleFile.sha256)
            .where(BundleFile.bundle_id == bundle.id).order_by(BundleFile.path))]
    return out
