"""Issue 21, values copied out of the limits table: element names carry no period, form texts and option titles,
the question asked before submitting, Word templates and derived periods (延期后 …) read the table, so changing a
limit is one cell."""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import docx
import pytest
from lxml import etree

from engine.definitions import bundles, limit_references, limit_tables
from engine.records.document_worker import render


ROOT = Path(__file__).resolve().parents[1]
TABLE = "forms/complaint/limits.json"
# A number with a unit of time: 7 日, 5 个工作日, 六十日, 2 年 … (Arabic or Chinese numerals).
PERIOD = re.compile(r"(\d+|[一二三四五六七八九十百两]+)\s*(个工作日|工作日|个月|小时|天|周|年|日)")
UNIT_WORDS = {"个工作日": "working_days", "工作日": "working_days", "日": "days", "天": "days", "小时": "hours",
              "个月": "months", "年": "years"}



def _files() -> dict[str, bytes]:
    return bundles.collect(ROOT)


def _rows(files: dict[str, bytes], path: str) -> dict[str, dict]:
    return limit_tables.rows_beside(files, path)


def test_no_element_name_carries_a_number_with_a_time_unit():
    """A name is drawn on the diagram and cannot hold {limit:…}: the period goes in the element's documentation."""
    found = set()
    for path in sorted(ROOT.glob("processes/**/*.bpmn")):
        for node in etree.parse(str(path)).iter():
            if isinstance(node.tag, str) and node.get("name") and node.get("id") and PERIOD.search(node.get("name")):
                found.add((path.relative_to(ROOT).as_posix(), node.get("id")))
    assert sorted(found) == []


def _texts(value, pointer=""):
    """Every text a reader sees in a form or report, with its JSON pointer: not stored values (`enum`, `const`,
    `default`), patterns or comments."""
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in ("enum", "const", "default", "examples", "pattern", "$comment", "$schema", "$id"):
                yield from _texts(item, f"{pointer}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, f"{pointer}/{index}")


def test_no_form_text_repeats_a_value_of_its_limits_table():
    """The rule: a form's or report's text (title, description, option titles, messages) writes no period in
    Arabic numerals whose value and unit are those of a row of the limits table beside it — such a text writes
    {limit:…}. A period in Chinese numerals (七日, 九十日) is left alone: it is a statute quoted in its own words
    (《中华人民共和国行政处罚法》第六十条 …九十日内…), which a local table cannot change."""
    files = _files()
    found = []
    for path in sorted(p for p in files if p.startswith("forms/") and p.endswith((".schema.json", ".report.json"))):
        values = {(row["value"], row["unit"]) for row in _rows(files, path).values()}
        for pointer, text in _texts(json.loads(files[path])):
            for match in PERIOD.finditer(text):
                if match.group(1).isdigit() and (int(match.group(1)), UNIT_WORDS.get(match.group(2))) in values:
                    found.append((path, pointer, match.group(0)))
    assert found == []


def test_option_titles_and_descriptions_follow_the_table():
    files = _files()
    table = json.loads(files[TABLE])
    for row in table["limits"]:
        row["value"] = {"extension": 20, "suspension_watch": 45, "petition_extension": 25, "reply": 4,
                        "feedback": 6}.get(row["name"], row["value"])
    files[TABLE] = limit_tables.table_bytes(table)

    def form(name):
        path = f"forms/complaint/{name}.schema.json"
        return limit_tables.fill_placeholders(json.loads(files[path]), _rows(files, path))

    investigate = form("investigate")["properties"]
    assert investigate["next_step"]["enum"][2] == "extend"                  # the stored value stays
    assert investigate["next_step"]["enumNames"][2] == "申请延期 20日"
    assert investigate["termination_ground"]["enumNames"][4] == "中止满 45日中止原因仍未消除"
    assert form("petition_handle")["properties"]["petition_next"]["enumNames"][1] == "申请延长办理期限（25日）"
    assert "案件中止已满 45日。" in form("suspension_review")["description"]
    assert "作出处理决定后 4个工作日内书面答复" in form("reply_service")["description"]
    assert "作出办理决定后 6个工作日内将反馈函" in form("referral_feedback")["description"]


def test_a_derived_period_adds_the_rows_it_names():
    rows = limit_tables.rows_by_name(json.loads(_files()[TABLE]))
    assert limit_tables.fill_placeholders("延期后 {limit:handling+extension.text}", rows) == "延期后 90日"
    rows["extension"] = {**rows["extension"], "value": 45}
    assert limit_tables.fill_placeholders("延期后 {limit:handling+extension.text}", rows) == "延期后 105日"
    assert limit_tables.fill_placeholders({"default": "{limit:handling+extension}"}, rows) == {"default": 105}


def test_the_shipped_derived_periods_follow_both_rows():
    files = _files()
    table = json.loads(files[TABLE])
    for row in table["limits"]:
        row["value"] = {"petition_extension": 20, "extension": 15}.get(row["name"], row["value"])
    rows = limit_tables.rows_by_name(table)
    for path, element, expected in (("processes/complaint/petition.bpmn", "Task_petition_reply_service", "延期后 80日"),
                                    ("processes/complaint/lawyer_complaint.bpmn", "Timer_handling_remind",
                                     "延期后 75日")):
        tree = etree.fromstring(files[path])
        node = next(n for n in tree.iter() if isinstance(n.tag, str) and n.get("id") == element)
        documentation = next(c.text for c in node if isinstance(c.tag, str) and c.tag.endswith("documentation"))
        assert expected in limit_tables.fill_placeholders(documentation, rows)


def _complaint_problems(change) -> list:
    files = _files()
    path = "processes/complaint/lawyer_complaint.bpmn"
    files[path] = change(files[path].decode()).encode()
    table = json.loads(files[TABLE])
    trees = {path: etree.fromstring(files[path])}
    return limit_references.reference_problems(files, {TABLE: table}, trees)


def test_a_derived_period_naming_no_row_or_rows_of_two_units_is_refused_where_it_is_written():
    found = _complaint_problems(lambda xml: xml.replace("{limit:handling+extension.text}；湖南省",
                                                        "{limit:handling+extensions.text}；湖南省", 1))
    assert [(p.element, p.msg.code, p.msg.params["name"]) for p in found] == [
        ("Timer_handling_remind", "limits.unknown_name", "extensions")]
    found = _complaint_problems(lambda xml: xml.replace("{limit:handling+extension.text}；湖南省",
                                                        "{limit:handling+review.text}；湖南省", 1))
    assert [(p.element, p.msg.code, p.msg.params["names"]) for p in found] == [
        ("Timer_handling_remind", "limits.sum_units", "handling+review")]
    assert found[0].line


def test_the_question_before_submitting_names_a_row_checked_at_validation():
    found = _complaint_problems(lambda xml: xml.replace("延长办理期限 {limit:extension.text}并生成",
                                                        "延长办理期限 {limit:extend.text}并生成"))
    assert [(p.element, p.msg.params["name"]) for p in found] == [("Task_approve_extension", "extend")]


def test_the_question_before_submitting_follows_the_table(app, client):
    from .test_prefill import accepted_complaint, complete, task_id
    from .test_work_pages import text
    from .web_helpers import login

    case_id, _ = accepted_complaint(app)
    complete(app, case_id, "调查核实", "chen", {"investigators": ["陈刚", "林涛"], "next_step": "extend",
                                            "findings": "需异地调取代理合同原件及庭审记录。",
                                            "extension_reason": "案情复杂，需异地调取证据"})
    approval = task_id(app, case_id, "延期审批")
    login(client, "sun")
    page = text(client.get(f"/tasks/{approval}"))
    assert "同意即延长办理期限 30日并生成延期告知书" in page and "{limit:" not in page


TEMPLATES = [
    ("forms/complaint/penalty_decision.docx", {"penalty_sanctions": ["fine"]},
     {"fine_payment": 20, "administrative_review_window": 90},
     ["之日起15日内缴纳罚款", "之日起60日内依法申请行政复议"], ["之日起20日内缴纳罚款", "之日起90日内依法申请行政复议"]),
    ("forms/complaint/reply.docx", {}, {"administrative_review_window": 90},
     ["之日起60日内依法申请行政复议"], ["之日起90日内依法申请行政复议"]),
    ("forms/complaint/referral_feedback_letter.docx", {"decision": "accepted"},
     {"organ_notice": 10, "referral_review": 5, "feedback": 6},
     ["作出处理决定后7日内将处理结果", "7个工作日内办理，作出办理决定后 7个工作日内反馈"],
     ["作出处理决定后10日内将处理结果", "5个工作日内办理，作出办理决定后 6个工作日内反馈"]),
    ("forms/complaint/decision_notice_letter.docx", {}, {"organ_notice": 10},
     ["作出处理决定后7日内告知"], ["作出处理决定后10日内告知"]),
    ("forms/complaint/fine_reminder.docx", {}, {"fine_payment": 20}, ["之日起15日内缴纳罚款"], ["之日起20日内缴纳罚款"]),
    ("forms/legal_aid/audit_plan_notice.docx", {}, {"rectification": 2}, ["未达标的限期1个月整改后复查"],
     ["未达标的限期2个月整改后复查"]),
    ("forms/legal_aid/quality_result_notice.docx", {"grade": "failed", "lawyer_flagged": True}, {"failure_lookback": 3},
     ["你2年内已有评查不合格案卷"], ["你3年内已有评查不合格案卷"]),
]


BASE = {"case": {"number": "〔2025〕投诉第0001号", "title": "", "organization": "市司法局"}, "today": "2025-11-12"}


def _filled(template: bytes, data: dict, rows: dict[str, dict]) -> str:
    """The text of a template filled by the document renderer with `data`, the table's `limits`, and every other
    name it reads empty."""
    from docxtpl import DocxTemplate

    from engine.records.document_worker import _environment
    names = DocxTemplate(io.BytesIO(template)).get_undeclared_template_variables(_environment())
    context = {**{name: "" for name in names}, **BASE, **data, "limits": limit_tables.template_context(rows)}
    return _document_text(render(template, context))


def _document_text(content: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)


@pytest.mark.parametrize("template, data, changed, before, after", TEMPLATES, ids=[t[0] for t in TEMPLATES])
def test_a_word_template_writes_the_rows_text_and_follows_a_changed_row(template, data, changed, before, after):
    files = _files()
    rows = _rows(files, template)
    shown = _filled(files[template], data, rows)
    assert all(text in shown for text in before), shown
    rows = {name: {**row, "value": changed.get(name, row["value"])} for name, row in rows.items()}
    shown = _filled(files[template], data, rows)
    assert all(text in shown for text in after), shown


def test_a_draft_whose_table_loses_the_hearing_row_is_refused_where_the_form_rule_names_it(engine, session, deployed):
    from engine.core.errors import BundleInvalid
    from engine.definitions import drafts

    draft = drafts.create(session, engine, actor="policy", name="删除听证通知期限")
    table = json.loads(drafts.files(session, draft.id)[TABLE])
    table["limits"] = [row for row in table["limits"] if row["name"] != "hearing_notice"]
    drafts.put(session, engine, draft.id, TABLE, limit_tables.table_bytes(table), actor="policy")
    with pytest.raises(BundleInvalid) as refused:
        drafts.publish_draft(session, engine, draft.id, actor="policy")
    form = "forms/complaint/hearing_notice_service.schema.json"
    found = [(p.element, p.line) for p in refused.value.problems if p.file == form]
    text = drafts.files(session, draft.id)[form].decode()
    assert ("/x-workingDaysAfter/0/limit", text[:text.index('"limit": "hearing_notice"')].count("\n") + 1) in found


# Diagram texts (issue 21, audit point 3b): a diagram's documentation, a DMN's description, a property's value, and
# the strings its code writes (a notification's body, a letter's sentence set by a script) follow the same rule as
# a form's text — a period of a row is written {limit:…} (documentation, properties) or limit_text("…") (code).
CODE = {"script", "messagePayload", "timeDate", "timeCycle", "timeDuration", "conditionExpression", "preScript",
        "postScript"}


def _literals(source: str) -> list[str]:
    """The string constants a piece of code writes (its whole text when it does not parse as Python)."""
    import ast
    import textwrap
    for mode, text in (("eval", source.strip()), ("exec", textwrap.dedent(source))):
        try:
            tree = ast.parse(text, mode=mode)
            break
        except (SyntaxError, ValueError):
            continue
    else:
        return [source]
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def _owner(node) -> str:
    """The element a text belongs to: the event, not its event definition."""
    while node is not None:
        if isinstance(node.tag, str) and node.get("id") and not node.tag.endswith("EventDefinition"):
            return node.get("id")
        node = node.getparent()
    return "?"


def _diagram_texts(content: bytes):
    """(element id, where, text) of each text a diagram writes besides its elements' names (checked above)."""
    for node in etree.fromstring(content).iter():
        if not isinstance(node.tag, str):
            continue
        local = etree.QName(node).localname
        if node.text and node.text.strip():
            texts = _literals(node.text) if local in CODE else [node.text]
            yield from ((_owner(node), local, text) for text in texts)
        for key, value in node.attrib.items():
            if key not in ("id", "name") and not key.endswith("Ref"):
                yield _owner(node), f"{local}@{key}", value


def _diagram_copies(files: dict[str, bytes]) -> list[tuple]:
    found = []
    for path in sorted(p for p in files if p.startswith("processes/") and p.endswith((".bpmn", ".dmn"))):
        rows = _rows(files, limit_tables.table_path(path))
        values = {(row["value"], row["unit"]) for row in rows.values()}
        for element, where, text in _diagram_texts(files[path]):
            for match in PERIOD.finditer(text):
                if match.group(1).isdigit() and (int(match.group(1)), UNIT_WORDS.get(match.group(2))) in values:
                    found.append((path, element, where, match.group(0)))
    return found


def test_no_diagram_text_repeats_a_value_of_its_limits_table():
    """Documentation, descriptions, property values and the strings of scripts and message payloads of every
    shipped BPMN and DMN file: no period in Arabic numerals equal to a row of the diagram's table
    (forms/<folder>/limits.json). Chinese numerals quote a statute in its own words and are left alone."""
    assert _diagram_copies(_files()) == []


@pytest.mark.parametrize("where, text", [
    ("documentation", "<bpmn:documentation>收到处理结果后 3 个工作日内答复</bpmn:documentation>"),
    ("messagePayload", '<bpmn:messageEventDefinition id="M"><bpmn:extensionElements><spiffworkflow:messagePayload>'
                       '{"to": "task:Task_x", "body": "距办理期限还有 5 个工作日。"}</spiffworkflow:messagePayload>'
                       '</bpmn:extensionElements></bpmn:messageEventDefinition>'),
    ("script", '<bpmn:script>remedy = "可以自收到本意见书之日起 30 日内请求复查"</bpmn:script>'),
    ("property@value", '<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property '
                       'name="confirmSubmit" value="同意即延长办理期限 30 日" /></spiffworkflow:properties>'
                       '</bpmn:extensionElements>'),
])
def test_the_diagram_scan_finds_a_copied_value_wherever_it_is_written(where, text):
    """The scan is not blind: a value of a row written back into each kind of text is found, named by its element."""
    files = _files()
    path = "processes/complaint/petition.bpmn"
    xml = files[path].decode()
    anchor = '<bpmn:userTask id="Task_petition_register" name="信访登记">'
    extra = ('<bpmn:scriptTask id="Task_copy_probe" name="探针">' + text + '</bpmn:scriptTask>'
             if where in ("script", "messagePayload") else
             '<bpmn:task id="Task_copy_probe" name="探针">' + text + '</bpmn:task>')
    files[path] = xml.replace(anchor, extra + anchor, 1).encode()
    found = _diagram_copies(files)
    assert [(p, e, w) for p, e, w, _ in found] == [(path, "Task_copy_probe", where)]


def test_a_chinese_numeral_period_is_a_quote_and_not_a_copy():
    files = _files()
    path = "processes/complaint/lawyer_complaint.bpmn"
    xml = files[path].decode()
    assert "行政复议机关六十日（可延长三十日）" in xml                 # the statutes' own periods, left alone
    files[path] = xml.replace("行政复议机关六十日（可延长三十日）", "行政复议机关 60 日（可延长 30 日）", 1).encode()
    assert [(e, m) for _, e, _, m in _diagram_copies(files)] == [("lawyer_complaint", "60 日"),
                                                                  ("lawyer_complaint", "30 日")]
