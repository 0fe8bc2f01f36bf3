"""marshmallow schemas of the JSON API: what requests may carry and what responses hold."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.work import worklists

from ..engine_text import engine_text


ROW_ID = validate.Range(min=1, max=2**31 - 1)     # ids fit the database's INTEGER columns


class Strict(Schema):
    """Request bodies refuse unknown fields (the default), so a typo is an error, not silence."""


class ProcessOut(Schema):
    key = fields.String()
    name = fields.String()
    bundle_version = fields.Integer()
    file_path = fields.String()
    properties = fields.Dict()


class BundleOut(Schema):
    version = fields.Integer()
    content_hash = fields.String()
    created_at = fields.DateTime()
    created_by = fields.String()
    note = fields.String()
    files = fields.List(fields.Dict(), metadata={"description": "path, kind, sha256"})


class CaseStart(Strict):
    process = fields.String(required=True, validate=validate.Length(min=1), metadata={"description": "流程标识"})
    org = fields.String(required=True, validate=validate.Length(min=1), metadata={"description": "受理机构代码"})
    data = fields.Dict(keys=fields.String(), load_default=dict, metadata={"description": "初始数据"})


class CaseQuery(Strict):
    process = fields.String()
    status = fields.String(validate=validate.OneOf(["running", "suspended", "completed", "terminated", "error"]))
    q = fields.String(metadata={"description": "案号、标题或案件字段中的文字"})
    org = fields.String(metadata={"description": "机构代码"})
    since = fields.DateTime()
    until = fields.DateTime()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = fields.String(validate=validate.Length(max=500),
                           metadata={"description": "翻页标记：上一页响应头 X-Next-Cursor 的值（最后一页没有该响应头）"})


class TaskOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    business_number = fields.String(allow_none=True)
    name = fields.String()
    element_id = fields.String()
    lane = fields.String(allow_none=True)
    form = fields.String(allow_none=True)
    status = fields.String()
    assignee = fields.String(allow_none=True)
    owner = fields.String(allow_none=True)
    delegation = fields.String(allow_none=True)
    candidates = fields.List(fields.String())
    created_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    due_provisional = fields.Boolean()
    working_days_left = fields.Integer(allow_none=True)
    legal_basis = fields.String(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    urge_count = fields.Integer()


class TaskDetail(TaskOut):
    form_schema = fields.Dict(allow_none=True)
    draft = fields.Dict(allow_none=True)
    case_version = fields.Integer(metadata={"description": "案件版本号：办理（complete）时作为 expected_version 发回，"
                                                          "案件在此期间被他人修改则返回 409"})


class DocumentOut(Schema):
    id = fields.Integer()
    name = fields.String()
    filename = fields.String()
    status = fields.String()
    created_at = fields.DateTime()
    url = fields.String()


class CaseOut(Schema):
    id = fields.Integer()
    business_number = fields.String(allow_none=True)
    title = fields.String()
    process_key = fields.String()
    bundle_version = fields.Integer()
    status = fields.String()
    org = fields.String(allow_none=True)
    org_name = fields.String(allow_none=True)
    version = fields.Integer()
    meta = fields.Dict()
    error = fields.String(allow_none=True)
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)


class CaseDetail(CaseOut):
    tasks = fields.List(fields.Nested(TaskOut))
    documents = fields.List(fields.Nested(DocumentOut))
    waiting_messages = fields.List(fields.String())


class EventOut(Schema):
    at = fields.DateTime()
    actor = fields.String()
    action = fields.String()
    task_uuid = fields.String(allow_none=True)
    detail = fields.Dict()


class StepOut(Schema):
    element_id = fields.String()
    name = fields.String()
    kind = fields.String()
    finished_at = fields.DateTime()


class MessageIn(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1))
    payload = fields.Raw(load_default=None, allow_none=True)


class CopyIn(Strict):
    to = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    note = fields.String(load_default="")
    task_id = fields.Integer(load_default=None, allow_none=True, validate=ROW_ID)


class CommentIn(Strict):
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    task_id = fields.Integer(load_default=None, allow_none=True, validate=ROW_ID)


class InboxQuery(Strict):
    view = fields.String(load_default="mine", validate=validate.OneOf(worklists.TASK_VIEWS))
    process = fields.String()
    q = fields.String()
    due = fields.String(validate=validate.OneOf(["overdue", "soon"]))
    since = fields.DateTime()
    until = fields.DateTime()
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    sort = fields.String(load_default="due", validate=validate.OneOf(worklists.SORTS))
    cursor = fields.String(validate=validate.Length(max=500),
                           metadata={"description": "翻页标记：上一页响应头 X-Next-Cursor 的值（最后一页没有该响应头）"})


class CompleteIn(Strict):
    data = fields.Dict(keys=fields.String(), required=True)
    expected_version = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=2**31 - 1),
                                      metadata={"description": "案件版本号（任务详情中的 case_version）；与当前不符时返回 409"})


class NextTask(Schema):
    id = fields.Integer()
    name = fields.String()
    lane = fields.String(allow_none=True)


class Completed(Schema):
    id = fields.Integer()
    status = fields.String()
    case_id = fields.Integer()
    case_status = fields.String()
    case_version = fields.Integer()
    next_tasks = fields.List(fields.Nested(NextTask))


class TransferIn(Strict):
    to = fields.String(required=True, validate=validate.Length(min=1))
    reason = fields.String(required=True)


class DelegateIn(Strict):
    to = fields.String(required=True, validate=validate.Length(min=1))
    note = fields.String(load_default="")


class BatchIn(Strict):
    operation = fields.String(required=True, metadata={"description": "claim | transfer | urge"})
    tasks = fields.List(fields.Integer(validate=ROW_ID), required=True)
    to = fields.String(load_default="", metadata={"description": "转办：接收人（用户名）"})
    reason = fields.String(load_default="", metadata={"description": "转办理由"})
    note = fields.String(load_default="", metadata={"description": "催办意见"})


class BatchItemOut(Schema):
    task = fields.Integer(allow_none=True)
    case_id = fields.Integer(allow_none=True)
    business_number = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    ok = fields.Boolean()
    status = fields.Integer(metadata={"description": "the HTTP status the item's refusal stands for (200 when done)"})
    detail = fields.String(allow_none=True)
    errors = fields.List(fields.Dict(), allow_none=True)


class BatchOut(Schema):
    done = fields.Integer()
    failed = fields.Integer()
    items = fields.List(fields.Nested(BatchItemOut))


class NoteIn(Strict):
    note = fields.String(load_default="")


class DraftIn(Strict):
    data = fields.Dict(keys=fields.String(), required=True)


class NotificationOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer(allow_none=True)
    kind = fields.String()
    title = fields.Function(lambda n: engine_text(n.title), metadata={"type": "string"})   # in the caller's language
    body = fields.Function(lambda n: engine_text(n.body), metadata={"type": "string"})
    link = fields.String(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class CopyOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    business_number = fields.String(allow_none=True, attribute="case.business_number")
    title = fields.String(allow_none=True, attribute="case.title")
    task_id = fields.Integer(allow_none=True)
    sent_by = fields.String()
    note = fields.String()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class CopyQuery(Strict):
    unread = fields.Boolean(load_default=False, metadata={"description": "只列未读的抄送"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class ReadIn(Strict):
    ids = fields.List(fields.Integer(validate=ROW_ID), required=True, validate=validate.Length(min=1, max=1000))


class Problem(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    code = fields.String()
    errors = fields.List(fields.Dict(), metadata={"description": "[{field, message, rule}]"})
