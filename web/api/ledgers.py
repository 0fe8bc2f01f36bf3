"""Ledgers of imported records (台账): a ledger's rows the caller may see, and the import of a file."""
from __future__ import annotations

import io

from flask import g, request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from engine.records import ledger_import, ledgers

from ..database import session
from ..workflow import engine
from . import Blueprint, authenticate
from .schemas import Strict

blp = Blueprint("api_ledgers", __name__, description="台账")
blp.before_request(authenticate)


class RowQuery(Strict):
    org = fields.String(metadata={"description": "机构代码：该机构及其下级机构的记录"})
    period_from = fields.Date(metadata={"description": "期间起（含），按台账的期间列"})
    period_to = fields.Date(metadata={"description": "期间止（含）"})
    measure = fields.String(metadata={"description": "指标名：只列该指标为真的记录"})
    after = fields.Integer(validate=validate.Range(min=0, max=2**31 - 1),
                           metadata={"description": "上一页最后一条记录的 id"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class RowOut(Schema):
    id = fields.Integer()
    key = fields.String(metadata={"description": "记录的键（如案号）"})
    org = fields.String(metadata={"description": "机构代码"})
    org_name = fields.String()
    period_on = fields.String(metadata={"description": "期间日期"})
    data = fields.Dict(metadata={"description": "各列的值与导入时计算的指标"})
    import_id = fields.Integer()
    imported_at = fields.String()


class ImportQuery(Strict):
    filename = fields.String(load_default="ledger.csv", validate=validate.Length(min=1, max=300),
                             metadata={"description": "请求体为文件本身时的文件名"})


class ImportOut(Schema):
    id = fields.Integer()
    ledger_key = fields.String()
    filename = fields.String()
    actor = fields.String()
    imported_at = fields.DateTime()
    rows_added = fields.Integer()
    rows_unchanged = fields.Integer()


@blp.route("/ledgers/<key>/rows")
class Rows(MethodView):
    @blp.arguments(RowQuery, location="query")
    @blp.response(200, RowOut(many=True))
    def get(self, args, key: str):
        """A page of the ledger's rows the caller may see (keyset: pass the last id as `after`)."""
        db = session()
        ledgers.definition(db, key)
        return ledgers.rows(db, g.user, key, org=args.get("org"), measure=args.get("measure"),
                            period=(args.get("period_from"), args.get("period_to")), after=args.get("after"),
                            limit=args["limit"])


@blp.route("/ledgers/<key>/imports")
class Imports(MethodView):
    @blp.arguments(ImportQuery, location="query")
    @blp.response(201, ImportOut)
    def post(self, args, key: str):
        """Import an xlsx or csv file (a multipart `file`, or the body itself): all its rows, or none and a 422
        whose `errors` name each wrong row and column. The caller needs one of the ledger's import roles and may
        name organisations of their subtree only."""
        upload = request.files.get("file")
        name, stream = (upload.filename or args["filename"], upload.stream) if upload is not None \
            else (args["filename"], io.BytesIO(request.get_data()))
        db = session()
        done = ledger_import.import_file(db, engine(), g.user, key, name, stream)
        db.commit()
        return done
