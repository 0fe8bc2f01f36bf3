"""Statistics: the reports the caller may open and their figures, the same as the 统计 page shows, counted over
the cases of the caller's subtree; each figure names the cases behind it."""
from __future__ import annotations

import io

from flask import current_app, g, send_file
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from engine.core import Msg, NotFound
from engine.work import bottlenecks, monthly_ledgers, report_tree, reports

from .. import monthly, stats_view
from ..database import session
from ..engine_text import engine_text
from ..workflow import engine
from . import Blueprint, authenticate
from .schemas import Strict

blp = Blueprint("api_stats", __name__, description="统计")
blp.before_request(authenticate)


class StatsPeriodQuery(Strict):
    org = fields.String(validate=validate.Length(max=64), metadata={
        "description": "机构代码：只统计该机构及其下级机构的案件（须在调用者的范围内）"})
    since = fields.Date(metadata={"description": "收到日期起（含，北京时间）"})
    until = fields.Date(metadata={"description": "收到日期止（含）"})


class StatsCasesQuery(StatsPeriodQuery):
    measure = fields.String(validate=validate.Length(max=63), metadata={"description": "指标名"})
    group = fields.String(validate=validate.Length(max=200), metadata={
        "description": "分组的键（机构代码、月份 YYYY-MM、字段值；空串为未填）；不给则为合计"})
    part = fields.String(load_default="hit", validate=validate.OneOf(["hit", "base", "late"]), metadata={
        "description": "hit：计入该数字的案件；base：比率的基数；late：逾期完成任务的案件"})
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=500))


class StatsMeasureOut(Schema):
    name = fields.String()
    label = fields.String()
    kind = fields.String(metadata={"description": "count、rate、on_time、duration、overdue、sum、mean 或 ratio"})


class StatsReportOut(Schema):
    key = fields.String()
    title = fields.String()
    description = fields.String()
    process = fields.String()
    group_by = fields.String(attribute="groupBy", metadata={"description": "统计字段、@org、@month 或 @status"})
    measures = fields.List(fields.Nested(StatsMeasureOut))


class StatsFigureOut(Schema):
    value = fields.Raw(metadata={"description": "计数、比率（0–1，无数据为 null）、各百分位的用时、合计或平均值（无数据为 null）"})
    numerator = fields.Raw(allow_none=True, metadata={"description": "比率的分子（ratio：分子字段之和）"})
    denominator = fields.Raw(allow_none=True, metadata={
        "description": "比率的基数（ratio：分母字段之和；sum、mean：有数值的案件数）"})


class StatsGroupOut(Schema):
    key = fields.String()
    name = fields.String(allow_none=True, metadata={"description": "机构名称（按机构分组时）"})
    figures = fields.Dict(keys=fields.String(), values=fields.Nested(StatsFigureOut))
    score = fields.Float(allow_none=True, metadata={"description": "排名公式算得的得分（报表有考核排名时；缺少所需数字时为 null）"})
    rank = fields.Integer(allow_none=True, metadata={"description": "名次（并列同名次；未排名为 null）"})


class StatsResultOut(Schema):
    report = fields.Nested(StatsReportOut)
    org = fields.String(metadata={"description": "统计范围的机构代码"})
    since = fields.Date(allow_none=True)
    until = fields.Date(allow_none=True)
    groups = fields.List(fields.Nested(StatsGroupOut))
    total = fields.Dict(keys=fields.String(), values=fields.Nested(StatsFigureOut))


class StatsCaseOut(Schema):
    id = fields.Integer()
    business_number = fields.String(allow_none=True)
    title = fields.String()
    status = fields.String()
    org = fields.Function(lambda c: c.org.code if c.org else None)
    created_at = fields.DateTime()


@blp.route("/stats")
class Reports(MethodView):
    @blp.response(200, StatsReportOut(many=True))
    def get(self):
        """The reports of the active version the caller may open."""
        return reports.readable(session(), g.user)


@blp.route("/stats/<key>")
class Report(MethodView):
    @blp.arguments(StatsPeriodQuery, location="query")
    @blp.response(200, StatsResultOut)
    def get(self, args, key: str):
        """A report's figures by group and in total, for an organisation of the caller's subtree and a period."""
        db = session()
        result = reports.compute(db, g.user, reports.report(db, g.user, key), org_code=args.get("org"),
                                 since=args.get("since"), until=args.get("until"),
                                 summary=current_app.config["REPORT_SUMMARY"])
        return {"report": result.report, "org": result.root.code, "since": result.since, "until": result.until,
                "groups": result.groups, "total": result.total}


@blp.route("/stats/<key>/cases")
class ReportCases(MethodView):
    @blp.arguments(StatsCasesQuery, location="query")
    @blp.response(200, StatsCaseOut(many=True))
    def get(self, args, key: str):
        """The cases behind one figure (newest first), with the same filters as the figure."""
        db = session()
        return reports.cases_behind(db, g.user, reports.report(db, g.user, key), measure=args.get("measure"),
                                    group=args.get("group"), part=args["part"], org_code=args.get("org"),
                                    since=args.get("since"), until=args.get("until"), limit=args["limit"])


class StatsTreeNodeOut(Schema):
    code = fields.String(metadata={"description": "机构代码"})
    name = fields.String(metadata={"description": "机构名称"})
    figure = fields.Nested(StatsFigureOut, metadata={"description": "该机构及其下级机构的案件上的该比率"})
    children = fields.List(fields.Nested(lambda: StatsTreeNodeOut()), metadata={
        "description": "下级机构（至多两层；没有案件计入的第二层机构不列出）"})


class StatsTreeOut(Schema):
    report = fields.Nested(StatsReportOut)
    org = fields.String(metadata={"description": "统计范围的机构代码（树根）"})
    since = fields.Date(allow_none=True)
    until = fields.Date(allow_none=True)
    measure = fields.String(allow_none=True, metadata={"description": "着色的比率指标名（报表的 orgTree）"})
    tree = fields.Nested(StatsTreeNodeOut, allow_none=True, metadata={
        "description": "组织机构图：树根为统计范围的机构；报表未设组织机构图（orgTree）时为 null"})


@blp.route("/stats/<key>/tree")
class ReportTree(MethodView):
    @blp.arguments(StatsPeriodQuery, location="query")
    @blp.response(200, StatsTreeOut)
    def get(self, args, key: str):
        """A report's organisation chart (`orgTree`): the organisations of the caller's subtree (or of an
        organisation in it), each with the report's rate over its own subtree, the same figures as the 统计 page's
        chart."""
        db = session()
        definition = reports.report(db, g.user, key)
        root = reports.root_of(db, g.user, args.get("org"))
        tree = report_tree.org_tree(db, root, definition, since=args.get("since"), until=args.get("until"),
                                    summary=current_app.config["REPORT_SUMMARY"])
        return {"report": definition, "org": root.code, "since": args.get("since"), "until": args.get("until"),
                "measure": definition.get("orgTree") if tree else None, "tree": tree}


class MonthlyLedgerOut(Schema):
    id = fields.Integer()
    org = fields.Function(lambda l: l.org.code, metadata={"description": "机构代码"})
    org_name = fields.Function(lambda l: l.org.name)
    month = fields.Function(lambda l: f"{l.month:%Y-%m}", metadata={"description": "月份 YYYY-MM"})
    reports = fields.List(fields.String(), attribute="report_keys", metadata={"description": "台账包含的报表"})
    built_at = fields.DateTime()
    summary_error = fields.Function(lambda l: engine_text(l.error) if l.error else None, metadata={
        "description": "Word 摘要未能生成的原因（摘要已生成时为 null）"})


class MonthlyLedgersQuery(Strict):
    org = fields.String(validate=validate.Length(max=64), metadata={
        "description": "机构代码：只列该机构及其下级机构的台账（须在调用者的范围内，否则 404）"})


@blp.route("/stats/monthly")
class MonthlyLedgers(MethodView):
    @blp.arguments(MonthlyLedgersQuery, location="query")
    @blp.response(200, MonthlyLedgerOut(many=True))
    def get(self, args):
        """The monthly ledgers the scheduler built (on the first working day of each month, for the month before)
        that the caller may download: of the caller's subtree (or of an organisation in it), holding only reports
        the caller may open."""
        return monthly_ledgers.stored(session(), g.user, org_code=args.get("org"))


def _on_demand(args):
    db = session()
    if not reports.readable(db, g.user):
        raise NotFound(Msg("report.not_found", key="*"), report="*")
    return monthly.build(db, g.user, args.get("org"), args.get("since"), args.get("until"))


@blp.route("/stats/monthly/ledger.xlsx")
@blp.arguments(StatsPeriodQuery, location="query")
@blp.response(200, description="月度台账 Excel 工作簿：目录页，然后每个报表一张工作表")
def monthly_workbook(args):
    """The ledger workbook of every report the caller may open, for an organisation of the caller's subtree and
    a period (without one: every period)."""
    ledger = _on_demand(args)
    return send_file(io.BytesIO(ledger.workbook()), mimetype=monthly.XLSX, as_attachment=True,
                     download_name=ledger.filename(".xlsx"))


@blp.route("/stats/monthly/summary.docx")
@blp.arguments(StatsPeriodQuery, location="query")
@blp.response(200, description="月度台账 Word 摘要（由 forms/monthly_summary.docx 填写）")
def monthly_summary(args):
    """The ledger's Word summary: each report's totals and the figures of each group (422 when the template
    fails, with why)."""
    ledger = _on_demand(args)
    content = monthly.summary(session(), ledger, engine().today())
    return send_file(io.BytesIO(content), mimetype=monthly.DOCX, as_attachment=True,
                     download_name=ledger.filename(".docx"))


@blp.route("/stats/monthly/<int:ledger_id>/<part>")
@blp.response(200, description="已生成台账的 Excel 工作簿（ledger.xlsx）或 Word 摘要（summary.docx）")
def stored_monthly(ledger_id: int, part: str):
    """A built monthly ledger's workbook or summary (another organisation's, or one holding a report the caller
    may not open, is 404)."""
    found = monthly_ledgers.stored_one(session(), g.user, ledger_id)
    content = {"ledger.xlsx": found.workbook, "summary.docx": found.summary}.get(part)
    if content is None:
        raise NotFound(Msg("monthly.not_found"), ledger=ledger_id)
    return send_file(io.BytesIO(content), mimetype=monthly.XLSX if part.endswith(".xlsx") else monthly.DOCX,
                     as_attachment=True, download_name=f"{found.org.code}-{found.month:%Y-%m}-{part}")


class BottleneckQuery(StatsPeriodQuery):
    process = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "流程标识（调用者的统计报表所统计的流程之一，如 lawyer_complaint）"})

    @validates_schema
    def _period_in_order(self, data, **_kwargs):
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ValidationError("截止日期不能早于起始日期", field_name="until")


class BottleneckStepOut(Schema):
    id = fields.String(attribute="element_id", metadata={"description": "步骤（用户任务）的元素 id"})
    name = fields.String(metadata={"description": "步骤名称"})
    done = fields.Integer(metadata={"description": "期间内收到的案件中该步骤已办的次数"})
    open = fields.Integer(metadata={"description": "在办（尚未办结）的次数"})
    mean_days = fields.Float(allow_none=True, metadata={"description": "已办的平均用时（日，自任务产生至办结；没有已办为 null）"})
    p90_days = fields.Float(allow_none=True, metadata={"description": "已办用时的第 90 百分位（日，最近秩；没有已办为 null）"})
    overdue = fields.Integer(metadata={"description": "逾期次数：超过期限才办结，或至今在办且已过期限"})


class BottleneckMapOut(Schema):
    process = fields.String()
    process_name = fields.String()
    org = fields.String(metadata={"description": "统计范围的机构代码"})
    since = fields.Date(allow_none=True)
    until = fields.Date(allow_none=True)
    steps = fields.List(fields.Nested(BottleneckStepOut), metadata={"description": "各步骤，按平均用时从慢到快"})


@blp.route("/stats/bottlenecks")
class Bottlenecks(MethodView):
    @blp.arguments(BottleneckQuery, location="query")
    @blp.response(200, BottleneckMapOut)
    def get(self, args):
        """瓶颈图: each step of a process with its done and open counts, mean and 90th-percentile days and overdue
        count, over the cases received in the period in an organisation of the caller's subtree (the 统计 page's
        瓶颈图 and its Excel export show the same figures); a process no report of the caller counts is 404."""
        db = session()
        _processes, process, definition = stats_view.mapped_process(db, g.user, args["process"], strict=True)
        figures = bottlenecks.step_figures(db, g.user, process, org_code=args.get("org"), since=args.get("since"),
                                           until=args.get("until"), summary=current_app.config["REPORT_SUMMARY"])
        return {"process": process, "process_name": definition.name, "org": figures.root.code,
                "since": figures.since, "until": figures.until, "steps": figures.steps}
