"""Diagrams are written by people and not trusted: whatever their number patterns, code and XML hold, validation
names the file and element, nothing of a refused bundle is stored, and nothing they hold can exhaust the server.
Forms, zips and Word templates are in test_hostile_files.py."""
from __future__ import annotations

from xml.sax.saxutils import escape

import pytest
from sqlalchemy import func, select

from engine.core.errors import BundleInvalid, InvalidState
from engine.core.models import Bundle, BusinessSequence, Case, ProcessDefinition
from engine.definitions import bundles
from engine.records import numbering
from engine.runtime import cases

from .conftest import ROOT, bundle_with
from .helpers import zh

SAMPLE = "processes/sample/sample_review.bpmn"
SAMPLE_XML = (ROOT / SAMPLE).read_text(encoding="utf-8")
SAMPLE_PATTERN = "〔{year}〕样例第{seq:04d}号"


def sample_with(old: str, new: str) -> dict[str, bytes]:
    assert old in SAMPLE_XML, old
    return bundle_with(**{SAMPLE.replace("/", "__"): SAMPLE_XML.replace(old, new, 1).encode()})


def problems_of(engine, session, files):
    """The problems a deploy reports; nothing is stored."""
    with pytest.raises(BundleInvalid) as err:
        bundles.deploy(session, files, engine=engine)
    assert session.scalar(select(func.count()).select_from(Bundle)) == 0
    return err.value.problems


# --- business-number patterns ---------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern, fragment", [
    ("{seq:0999999999d}", "宽度或精度不能超过 20"),
    ("第{seq:.100000f}号", "宽度或精度不能超过 20"),
    ("{seq:{year}}", "格式说明无效"),
    ("案" * 5000 + "{seq}", "不能超过 100 个字符"),
    ("{seq:020d}{seq:020d}{seq:020d}{seq:020d}{seq:020d}{seq}", "超过 100 个字符"),
    ("{seq:s}", "无法生成编号"),
])
def test_a_number_pattern_that_would_build_a_huge_string_is_refused(engine, session, pattern, fragment):
    [problem] = problems_of(engine, session, sample_with(SAMPLE_PATTERN, pattern))
    assert (problem.file, problem.element) == (SAMPLE, "sample_review")
    assert problem.line == SAMPLE_XML[: SAMPLE_XML.index('<bpmn:process id="sample_review"')].count("\n") + 1
    assert "业务编号格式无效" in zh(problem) and fragment in zh(problem)


def test_a_stored_pattern_beyond_the_bounds_starts_no_case(engine, session, deployed):
    definition = bundles.latest_definition(session, "sample_review")
    definition.properties = {**definition.properties, "businessNumberPattern": "{seq:0999999999d}"}
    session.commit()           # as if stored before the bounds existed
    with pytest.raises(InvalidState) as err:
        cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
    assert "业务编号格式无效" in zh(err.value)
    assert session.scalar(select(func.count()).select_from(Case)) == 0
    assert session.scalar(select(func.count()).select_from(BusinessSequence)) == 0


def test_a_pattern_within_the_bounds_still_numbers_cases(engine, session, deployed):
    definition = session.scalar(select(ProcessDefinition).where(ProcessDefinition.process_key == "sample_review"))
    assert definition.properties["businessNumberPattern"] == SAMPLE_PATTERN
    case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
    assert case.business_number.endswith("样例第0001号")
    assert numbering.pattern_problem("{seq:020d}") is None


# --- code too deep or too long for Python's parser -------------------------------------------------------------

APPROVED = 'decision == "approve"'


@pytest.mark.parametrize("condition, fragment", [
    ("(" * 4000 + "1" + ")" * 4000, "too many nested parentheses"),
    ("-" * 5000 + "1", "嵌套过深"),                        # the parser itself gives up: MemoryError
    ("+".join(["1"] * 4000), "嵌套过深"),                  # parses, but compiling would recurse 4000 deep
    ("+".join(["1"] * 100_000), "过长"),
])
def test_a_deep_or_huge_condition_is_a_located_problem(engine, session, condition, fragment):
    [problem] = problems_of(engine, session, sample_with(APPROVED, condition))
    assert (problem.file, problem.element) == (SAMPLE, "Flow_approved")
    assert problem.line == SAMPLE_XML[: SAMPLE_XML.index('id="Flow_approved"')].count("\n") + 1
    assert "条件" in zh(problem) and fragment in zh(problem)


def test_a_deep_script_is_a_located_problem(engine, session):
    script = "<bpmn:script>" + "x = " + "[" * 150 + "]" * 150 + "</bpmn:script>"
    [problem] = problems_of(engine, session, sample_with('<bpmn:script>result = "已通过"</bpmn:script>', script))
    assert (problem.file, problem.element) == (SAMPLE, "Script_archive") and "嵌套过深" in zh(problem)


@pytest.mark.parametrize("prop, label", [("dueExpression", "办理期限表达式"), ("assigneeExpression", "办理人表达式")])
@pytest.mark.parametrize("expression, fragment", [
    ("open('/etc/passwd')", "不允许使用 open"), ("review_deadline +", "语法错误"), ("(" * 300 + "1" + ")" * 300, "nested"),
])
def test_due_and_assignee_expressions_are_compiled_at_publish(engine, session, prop, label, expression, fragment):
    task = '<bpmn:userTask id="Task_review" name="审核">'
    property_xml = f'<spiffworkflow:property name="{prop}" value="{escape(expression)}" />'
    files = sample_with('<spiffworkflow:property name="formJsonSchemaFilename" value="sample/review.schema.json" />',
                        '<spiffworkflow:property name="formJsonSchemaFilename" value="sample/review.schema.json" />'
                        + property_xml)
    [problem] = problems_of(engine, session, files)
    assert (problem.file, problem.element) == (SAMPLE, "Task_review")
    assert problem.line == SAMPLE_XML[: SAMPLE_XML.index(task)].count("\n") + 1
    assert label in zh(problem) and prop in zh(problem) and fragment in zh(problem)


def test_good_due_and_assignee_expressions_pass(engine, session, org_tree):
    prop = '<spiffworkflow:property name="formJsonSchemaFilename" value="sample/review.schema.json" />'
    files = sample_with(prop, prop + '<spiffworkflow:property name="dueExpression" value="add_working_days(now(), 5)" />'
                        '<spiffworkflow:property name="assigneeExpression" value="get_value(&quot;leader&quot;)" />')
    assert bundles.deploy(session, files, engine=engine).created


# --- XML entities ----------------------------------------------------------------------------------------------

LAUGHS = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))


@pytest.mark.parametrize("doctype, use, fragment", [
    (f'<!DOCTYPE lolz [<!ENTITY lol0 "lol">{LAUGHS}]>', "&lol9;", "amplification"),    # a billion laughs
    ('<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;", "DOCTYPE"),    # a local file (XXE)
    ('<!DOCTYPE d SYSTEM "http://127.0.0.1:9/evil.dtd">', "填写申请", "DOCTYPE"),         # a DTD from the network
])
def test_xml_entities_are_refused(engine, session, doctype, use, fragment):
    xml = SAMPLE_XML.replace("<bpmn:definitions", doctype + "\n<bpmn:definitions", 1)
    xml = xml.replace('<bpmn:documentation>', f"<bpmn:documentation>{use}", 1)
    [problem] = problems_of(engine, session, bundle_with(**{SAMPLE.replace("/", "__"): xml.encode()}))
    assert problem.file == SAMPLE and fragment in zh(problem)


def test_a_diagram_nested_ten_thousand_deep_is_a_located_problem(engine, session):
    deep = "<bpmn:documentation>" * 10_000 + "</bpmn:documentation>" * 10_000
    [problem] = problems_of(engine, session, sample_with("<bpmn:documentation>", deep + "<bpmn:documentation>"))
    assert problem.file == SAMPLE and "XML 无法解析" in zh(problem) and problem.line
