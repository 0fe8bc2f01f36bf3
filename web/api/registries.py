"""Registries (名录): the active version's registries, their entries searched and paged by key, one entry, and for
the registry's editors creating, changing, deactivating and importing entries; every change audited."""
from __future__ import annotations

import io

from flask import g, request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from engine.records import registries, registry_import

from ..database import session
from ..workflow import engine
from . import Blueprint, authenticate
from .schemas import Strict

blp = Blueprint("api_registries", __name__, description="名录")
blp.before_request(authenticate)


class RegistryOut(Schema):
    key = fields.String(metadata={"description": "名录标识（表单 x-directory 的取值）"})
    title = fields.String()
    description = fields.String()
    keyHeader = fields.String(metadata={"description": "编号列的表头"})
    nameHeader = fields.String()
    orgHeader = fields.String()
    editRoles = fields.List(fields.String(), metadata={"description": "可编辑条目的角色"})
    fields_ = fields.List(fields.Dict(), data_key="fields",
                          metadata={"description": "字段：name、header、type、required、values、labels、pattern 等"})


class EntryQuery(Strict):
    q = fields.String(validate=validate.Length(max=100), metadata={"description": "编号、名称或字段内容包含的文字"})
    status = fields.String(validate=validate.OneOf(["active", "inactive"]),
                           metadata={"description": "active：仅有效条目；inactive：仅已停用条目"})
    after = fields.String(validate=validate.Length(max=100), metadata={"description": "上一页最后一个条目的编号"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class EntryOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "名录标识"})
    key = fields.String(metadata={"description": "编号（如执业证号、统一社会信用代码）"})
    name = fields.String()
    org = fields.String(metadata={"description": "所属机构代码"})
    org_name = fields.String()
    active = fields.Boolean(metadata={"description": "停用的条目在旧案件中仍可查看，新案件不再可选"})
    data = fields.Dict(metadata={"description": "名录定义的各字段的值"})


class EntryChange(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    org = fields.String(load_default="", metadata={"description": "所属机构的代码或名称"})
    data = fields.Dict(load_default=dict, metadata={"description": "各字段的值；未在名录中定义的数据保留不变"})


class EntryIn(EntryChange):
    key = fields.String(required=True, validate=validate.Length(min=1, max=100))


class RegistryImportQuery(Strict):
    filename = fields.String(load_default="registry.xlsx", validate=validate.Length(min=1, max=300),
                             metadata={"description": "请求体为文件本身时的文件名"})


class RegistryImportOut(Schema):
    added = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()


@blp.route("/registries")
class Registries(MethodView):
    @blp.response(200, RegistryOut(many=True))
    def get(self):
        """The registries of the active version, with their fields."""
        return list(registries.definitions(session()).values())


@blp.route("/registries/<registry>/entries")
class Entries(MethodView):
    @blp.arguments(EntryQuery, location="query")
    @blp.response(200, EntryOut(many=True))
    def get(self, args, registry: str):
        """A page of the registry's entries by key (keyset: pass the last key as `after`), searched by `q`."""
        db = session()
        registries.definition(db, registry)
        return registries.entries(db, registry, q=args.get("q"), status=args.get("status"), after=args.get("after"),
                                  limit=args["limit"])

    @blp.arguments(EntryIn)
    @blp.response(201, EntryOut)
    def post(self, body, registry: str):
        """Add an entry (the caller needs one of the registry's edit roles); 422 names each wrong field."""
        db = session()
        created = registries.create(db, engine(), g.user, registry, body)
        db.commit()
        return created


@blp.route("/registries/<registry>/entries/<entry>")
class Entry(MethodView):
    @blp.response(200, EntryOut)
    def get(self, registry: str, entry: str):
        """One entry, active or deactivated."""
        db = session()
        registries.definition(db, registry)
        return registries.entry(db, registry, entry)

    @blp.arguments(EntryChange)
    @blp.response(200, EntryOut)
    def put(self, body, registry: str, entry: str):
        """Change the entry's name, organisation and fields (audited with before and after)."""
        db = session()
        changed = registries.update(db, engine(), g.user, registry, entry, body)
        db.commit()
        return changed


@blp.route("/registries/<registry>/entries/<entry>/deactivate")
class Deactivate(MethodView):
    @blp.response(200, EntryOut)
    def post(self, registry: str, entry: str):
        """Deactivate the entry: kept and readable on old cases, offered in no new choice."""
        db = session()
        changed = registries.set_active(db, engine(), g.user, registry, entry, False)
        db.commit()
        return changed


@blp.route("/registries/<registry>/entries/<entry>/reactivate")
class Reactivate(MethodView):
    @blp.response(200, EntryOut)
    def post(self, registry: str, entry: str):
        """Make a deactivated entry active again."""
        db = session()
        changed = registries.set_active(db, engine(), g.user, registry, entry, True)
        db.commit()
        return changed


@blp.route("/registries/<registry>/imports")
class Imports(MethodView):
    @blp.arguments(RegistryImportQuery, location="query")
    @blp.response(201, RegistryImportOut)
    def post(self, args, registry: str):
        """Import an xlsx or csv file (a multipart `file`, or the body itself) matched to entries by key: all its
        rows, or none and a 422 whose `errors` name each wrong row and column; importing it again changes nothing."""
        upload = request.files.get("file")
        name, stream = (upload.filename or args["filename"], upload.stream) if upload is not None \
            else (args["filename"], io.BytesIO(request.get_data()))
        db = session()
        done = registry_import.import_file(db, engine(), g.user, registry, name, stream)
        db.commit()
        return done
