"""Every bad bundle is refused with file, element and line; nothing of it is stored."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.core.errors import BundleInvalid
from engine.core.models import Bundle
from engine.definitions import bundles

from . import diagrams
from .conftest import ROOT, bundle_with
from .helpers import zh

SAMPLE = "processes/sample/sample_review.bpmn"
SAMPLE_XML = (ROOT / SAMPLE).read_text(encoding="utf-8")


def sample_with(old: str, new: str) -> dict[str, bytes]:
    assert old in SAMPLE_XML, old
    return bundle_with(**{SAMPLE.replace("/", "__"): SAMPLE_XML.replace(old, new, 1).encode()})


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def problems_of(engine, session, files):
    with pytest.raises(BundleInvalid) as err:
        bundles.deploy(session, files, engine=engine)
    assert session.scalar(select(func.count()).select_from(Bundle)) == 0
    return err.value.problems


def test_unparsable_xml(engine, session):
    [problem] = problems_of(engine, session, sample_with('<bpmn:endEvent id="EndEvent_approved" name="办结">',
                                                         '<bpmn:endEvent id="EndEvent_approved" name="办结"'))
    assert problem.file == SAMPLE and "XML 无法解析" in zh(problem)
    assert problem.line == line_of(SAMPLE_XML, '<bpmn:endEvent id="EndEvent_approved"') + 1


def test_user_task_without_lane(engine, session):
    [problem] = problems_of(engine, session, sample_with("<bpmn:flowNodeRef>Task_review</bpmn:flowNodeRef>", ""))
    assert (problem.file, problem.element) == (SAMPLE, "Task_review")
    assert "泳道" in zh(problem)
    assert problem.line == line_of(SAMPLE_XML, '<bpmn:userTask id="Task_review"')  # the removed ref leaves a blank line


def test_missing_form(engine, session):
    files = bundle_with()
    del files["forms/sample/review.schema.json"]
    [problem] = problems_of(engine, session, files)
    assert (problem.element, problem.file) == ("Task_review", SAMPLE)
    assert "forms/sample/review.schema.json 不存在" in zh(problem)


def test_user_task_without_form(engine, session):
    [problem] = problems_of(engine, session, sample_with(
        '<spiffworkflow:property name="formJsonSchemaFilename" value="sample/review.schema.json" />', ""))
    assert problem.element == "Task_review" and "没有指定表单" in zh(problem)


@pytest.mark.parametrize("content, expected", [
    (b'{"type": "object", "properties": {"a": {"type": "strin"}}}', "不是有效的 JSON Schema（properties/a/type）"),
    (b'{"type": "object",\n "properties": }', "不是有效的 JSON"),
])
def test_invalid_form_schema(engine, session, content, expected):
    [problem] = problems_of(engine, session, _with_form(content))
    assert problem.file == "forms/sample/review.schema.json"
    assert expected in zh(problem)


def test_a_date_bound_other_than_today_is_named(engine, session):
    form = (b'{"type": "object", "properties": {"decision": {"type": "string"}, "opinion": {"type": "string"},\n'
            b' "on": {"type": "string", "format": "date", "x-notAfter": "tomorrow"}}}')
    [problem] = problems_of(engine, session, _with_form(form))
    assert (problem.file, problem.element, problem.line) == ("forms/sample/review.schema.json", "properties/on", 2)
    assert "x-notAfter" in zh(problem) and "tomorrow" in zh(problem)


def _with_form(content: bytes) -> dict[str, bytes]:
    files = bundle_with()
    files["forms/sample/review.schema.json"] = content
    return files


@pytest.mark.parametrize("old, new, element, fragment", [
    ('decision == "approve"', "__import__('os').system('id')", "Flow_approved", "条件"),
    ('decision == "approve"', "decision.__class__.__mro__", "Flow_approved", "__class__"),
    ('<bpmn:script>result = "已通过"</bpmn:script>', "<bpmn:script>import os\nresult = os.getcwd()</bpmn:script>",
     "Script_archive", "不允许导入模块"),
    ('<bpmn:script>result = "已通过"</bpmn:script>', "<bpmn:script>data = open('/etc/passwd').read()</bpmn:script>",
     "Script_archive", "不允许使用 open"),
])
def test_expression_that_escapes_the_sandbox(engine, session, old, new, element, fragment):
    [problem] = problems_of(engine, session, sample_with(old, new))
    assert problem.element == element and problem.file == SAMPLE
    assert fragment in zh(problem) and "沙箱" in zh(problem)
    assert problem.line is not None


def test_timer_expression_is_checked(engine, session):
    timer = ('<bpmn:boundaryEvent id="Boundary_late" attachedToRef="Task_review" cancelActivity="false">'
             '<bpmn:timerEventDefinition><bpmn:timeDuration>getattr(x, "y")</bpmn:timeDuration>'
             '</bpmn:timerEventDefinition></bpmn:boundaryEvent>')
    files = sample_with('<bpmn:endEvent id="EndEvent_approved"', timer + '<bpmn:endEvent id="EndEvent_approved"')
    problems = problems_of(engine, session, files)
    assert [(p.element, "定时器表达式" in zh(p)) for p in problems] == [("Boundary_late", True)]


def test_exclusive_gateway_that_can_dead_end(engine, session):
    xml = SAMPLE_XML.replace(' default="Flow_returned"', "").replace(
        'sourceRef="Gateway_decision" targetRef="Task_fill" />',
        'sourceRef="Gateway_decision" targetRef="Task_fill"><bpmn:conditionExpression>'
        'decision == "return"</bpmn:conditionExpression></bpmn:sequenceFlow>')
    [problem] = problems_of(engine, session, bundle_with(**{SAMPLE.replace("/", "__"): xml.encode()}))
    assert problem.element == "Gateway_decision" and "默认流向" in zh(problem)
    assert problem.line == line_of(xml, '<bpmn:exclusiveGateway id="Gateway_decision"')


def test_complementary_conditions_need_no_default(engine, session):
    xml = SAMPLE_XML.replace(' default="Flow_returned"', "").replace(
        'sourceRef="Gateway_decision" targetRef="Task_fill" />',
        'sourceRef="Gateway_decision" targetRef="Task_fill"><bpmn:conditionExpression>'
        'not (decision == "approve")</bpmn:conditionExpression></bpmn:sequenceFlow>')
    result = bundles.deploy(session, bundle_with(**{SAMPLE.replace("/", "__"): xml.encode()}), engine=engine)
    assert result.created


def test_call_activity_to_missing_process(engine, session):
    caller = diagrams.process("caller", [
        '<bpmn:startEvent id="StartEvent"/>', '<bpmn:callActivity id="Call_missing" calledElement="nowhere"/>',
        '<bpmn:endEvent id="EndEvent"/>'],
        [diagrams.flow("F1", "StartEvent", "Call_missing"), diagrams.flow("F2", "Call_missing", "EndEvent")])
    problems = problems_of(engine, session, bundle_with({"processes/test/caller.bpmn": caller}))
    assert [(p.file, p.element) for p in problems] == [("processes/test/caller.bpmn", "Call_missing")]
    assert "nowhere" in zh(problems[0])


def test_business_number_pattern_may_not_reach_attributes(engine, session):
    [problem] = problems_of(engine, session, sample_with("〔{year}〕样例第{seq:04d}号", "{seq.__class__}"))
    assert problem.element == "sample_review" and "业务编号格式" in zh(problem)


def test_every_problem_is_reported_at_once(engine, session):
    files = sample_with("<bpmn:flowNodeRef>Task_review</bpmn:flowNodeRef>", "")
    files["processes/sample/sample_review.bpmn"] = files[SAMPLE].replace(
        b'decision == "approve"', b"open('x')")
    del files["forms/sample/apply.schema.json"]
    problems = problems_of(engine, session, files)
    assert sorted(p.element for p in problems) == ["Flow_approved", "Task_fill", "Task_review"]


@pytest.mark.parametrize("kind, expression", [
    ("timeDuration", '"P2X"'), ("timeDate", '"2026-13-45"'), ("timeCycle", '"R/every day"'), ("timeDuration", "42"),
])
def test_unparsable_timer_constant(engine, session, kind, expression):
    timer = diagrams.boundary_timer("Timer_bad", "Task_review", expression, kind=kind)
    files = sample_with('<bpmn:endEvent id="EndEvent_approved"', timer + '<bpmn:endEvent id="EndEvent_approved"')
    [problem] = problems_of(engine, session, files)
    assert problem.element == "Timer_bad" and "定时器" in zh(problem)


def test_computed_timer_expressions_pass_validation(engine, session):
    assert bundles.deploy(session, bundle_with({"processes/test/deadlines.bpmn": diagrams.deadlines()}),
                          engine=engine).created


def test_missing_document_template(engine, session):
    files = bundle_with()
    del files["forms/sample/approval_notice.docx"]
    [problem] = problems_of(engine, session, files)
    assert problem.element == "Throw_notice" and "forms/sample/approval_notice.docx 不存在" in zh(problem)


def test_scripts_inside_event_subprocesses_are_checked(engine, session):
    path = "processes/complaint/lawyer_complaint.bpmn"
    files = bundle_with()
    assert b'lead_leader = takeover["leader"]' in files[path]
    files[path] = files[path].replace(b'lead_leader = takeover["leader"]', b"lead_leader = __import__('os')")
    [problem] = problems_of(engine, session, files)
    assert (problem.file, problem.element) == (path, "Script_takeover") and "__import__" in zh(problem)


def test_a_bad_form_does_not_hide_problems_in_diagrams(engine, session):
    files = sample_with('decision == "approve"', "open('x')")
    files["forms/sample/apply.schema.json"] = b"{broken"
    problems = problems_of(engine, session, files)
    assert {(p.file, p.element) for p in problems} == {
        ("forms/sample/apply.schema.json", None), (SAMPLE, "Flow_approved")}


def test_an_offer_condition_is_checked_like_any_expression(engine, session):
    path = "processes/complaint/lawyer_complaint.bpmn"
    files = bundle_with()
    good = b'name="offerWhen" value="get_value(&quot;lead_leader&quot;) != sender"'
    assert good in files[path]
    files[path] = files[path].replace(good, b'name="offerWhen" value="sender.__class__"')
    [problem] = problems_of(engine, session, files)
    assert (problem.file, problem.element) == (path, "Start_takeover") and "offerWhen" in zh(problem)


def test_compensation_is_refused_where_it_is_drawn(engine, session):
    """Compaction cuts finished tasks after every step, so nothing is left to compensate: deploy refuses it."""
    xml = diagrams.process("refund", [
        '<bpmn:startEvent id="StartEvent"/>', diagrams.user_task("Task_pay", name="收费"),
        '<bpmn:boundaryEvent id="Undo_pay" attachedToRef="Task_pay">\n'
        '<bpmn:compensateEventDefinition id="CompDef_1"/></bpmn:boundaryEvent>',
        '<bpmn:scriptTask id="Task_refund" name="退费" isForCompensation="true"><bpmn:script>x = 1</bpmn:script>'
        '</bpmn:scriptTask>', '<bpmn:endEvent id="EndEvent"/>',
    ], [diagrams.flow("F1", "StartEvent", "Task_pay"), diagrams.flow("F2", "Task_pay", "EndEvent")],
        lanes={"经办人": ["StartEvent", "Task_pay", "Undo_pay", "Task_refund", "EndEvent"]})
    text = xml.decode()
    problems = problems_of(engine, session, bundle_with({"processes/test/refund.bpmn": xml}))
    found = {(p.file, p.element, p.line) for p in problems}
    assert ("processes/test/refund.bpmn", "Undo_pay", line_of(text, "<bpmn:compensateEventDefinition")) in found
    assert ("processes/test/refund.bpmn", "Task_refund", line_of(text, '<bpmn:scriptTask id="Task_refund"')) in found
    assert all("补偿" in zh(p) for p in problems if p.element in ("Undo_pay", "Task_refund"))


@pytest.mark.parametrize("old, new, element, fragment", [
    ('id="MessageEventDefinition_remind" messageRef="Message_notify"', 'id="MessageEventDefinition_remind"',
     "Throw_remind", "没有指定消息"),
    ('id="MessageEventDefinition_withdraw" messageRef="Message_withdraw"', 'id="MessageEventDefinition_withdraw"',
     "Boundary_withdraw", "没有指定消息"),
    ('id="MessageEventDefinition_remind" messageRef="Message_notify"',
     'id="MessageEventDefinition_remind" messageRef="Message_nowhere"', "Throw_remind", "Message_nowhere"),
])
def test_a_message_event_without_a_declared_message_is_refused_on_its_element(engine, session, old, new, element,
                                                                             fragment):
    """SpiffWorkflow lets a message event with no message through (it would never be thrown or caught as meant)."""
    [problem] = problems_of(engine, session, sample_with(old, new))
    assert (problem.file, problem.element) == (SAMPLE, element) and fragment in zh(problem)
    assert problem.line == line_of(SAMPLE_XML, new.split('"')[1]) and problem.severity == "error"


def test_a_message_without_a_name_is_refused(engine, session):
    [problem] = problems_of(engine, session, sample_with('<bpmn:message id="Message_notify" name="notify"',
                                                         '<bpmn:message id="Message_notify" name=""'))
    assert problem.element == "Message_notify" and "没有名称" in zh(problem)
