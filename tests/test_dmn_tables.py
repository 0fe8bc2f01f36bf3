"""Decision tables as policy staff edit them: every expression of a table (input expressions, input entries, output
entries) is checked in the sandbox and a bad one is located on its cell, naming the table, the rule and the column;
and the diff of a draft names the rules added, removed and changed instead of XML text."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.core.errors import BundleInvalid
from engine.definitions import bundle_diff, bundles, drafts

from . import diagrams
from .conftest import bundle_with
from .helpers import zh

ROOT = Path(__file__).resolve().parents[1]
GRADE = "processes/test/grade.dmn"
MAJOR = "processes/complaint/major_case.dmn"


def _problems(session, engine, dmn: bytes, *, called: bool = True):
    files = bundle_with({GRADE: dmn, **({"processes/test/graded.bpmn": diagrams.graded()} if called else {})})
    with pytest.raises(BundleInvalid) as err:
        bundles.deploy(session, files, engine=engine)
    return err.value.problems


def _grade(old: str, new: str) -> bytes:
    table = diagrams.decision_table().decode()
    assert old in table
    return table.replace(old, new).encode()


def test_an_input_entry_that_does_not_compile_names_the_table_rule_and_column(engine, session, org_tree):
    [problem] = _problems(session, engine, _grade("&lt; 10000", "&lt; 10000 +"))
    assert (problem.file, problem.element, problem.line) == (GRADE, "In_small", 14)
    assert "决策表「分级」第 2 条规则（Rule_small）「金额」列" in zh(problem) and "无法在沙箱中编译" in zh(problem)
    assert "decision table 分级, rule 2 (Rule_small), column 金额" in str(problem)


def test_an_output_entry_the_sandbox_refuses_is_located_on_its_cell(engine, session, org_tree):
    [problem] = _problems(session, engine, _grade('"重大"', "grade.__class__"))
    assert (problem.file, problem.element, problem.line) == (GRADE, "Out_big", 11)
    assert "第 1 条规则（Rule_big）「级别」列" in zh(problem) and "__class__" in zh(problem)


def test_an_output_python_cannot_parse_is_located_rather_than_left_to_the_parser(engine, session, org_tree):
    [problem] = _problems(session, engine, _grade('"一般"', '"一般'))
    assert (problem.element, problem.line) == ("Out_small", 15)
    assert "第 2 条规则（Rule_small）「级别」列" in zh(problem)


def test_an_input_expression_names_the_table_and_column(engine, session, org_tree):
    [problem] = _problems(session, engine, diagrams.decision_table("amount.__class__"))
    assert (problem.element, problem.line) == ("Input_amount", 5)
    assert "决策表「分级」输入列「金额」的表达式" in zh(problem)


def test_an_input_without_an_expression_is_refused(engine, session, org_tree):
    [problem] = _problems(session, engine, diagrams.decision_table(""))
    assert (problem.element, problem.line) == ("Input_amount", 5)
    assert zh(problem) == "决策表「分级」：输入列「金额」没有输入表达式"


def test_a_spaced_dash_is_code_as_the_engine_reads_it(engine, session, org_tree):
    [problem] = _problems(session, engine, _grade("&lt; 10000", " - "))
    assert problem.element == "In_small" and "第 2 条规则（Rule_small）「金额」列" in zh(problem)


def test_a_table_no_task_calls_is_checked_too(engine, session, org_tree):
    [problem] = _problems(session, engine, _grade("&gt;= 10000", "&gt;= open('x')"), called=False)
    assert problem.element == "In_big" and "第 1 条规则（Rule_big）" in zh(problem)


def test_a_feel_literal_is_refused_with_its_python_spelling(engine, session, org_tree):
    [problem] = _problems(session, engine, _grade('"重大"', "true"))
    assert problem.element == "Out_big"
    assert "true 是 FEEL 写法" in zh(problem) and "请写作 True" in zh(problem)


def test_a_hit_policy_the_engine_does_not_honour_is_refused_on_the_table(engine, session, org_tree):
    [problem] = _problems(session, engine, _grade('hitPolicy="UNIQUE"', 'hitPolicy="PRIORITY"'))
    assert (problem.element, problem.line) == ("Table_grade", 4)
    assert "不支持命中策略 PRIORITY" in zh(problem)
    [summed] = _problems(session, engine, _grade('hitPolicy="UNIQUE"', 'hitPolicy="COLLECT" aggregation="SUM"'))
    assert "COLLECT SUM" in zh(summed)


def test_a_rule_missing_a_cell_is_refused_naming_the_rule(engine, session, org_tree):
    [problem] = _problems(session, engine, _grade('<inputEntry id="In_small"><text>&lt; 10000</text></inputEntry>', ""))
    assert problem.element == "Rule_small"
    assert "第 2 条规则（Rule_small）有 0 个条件单元格" in zh(problem)


@pytest.mark.parametrize("entry", ["5000 &lt; ? &lt; 20000", '"a ? b"', "-", "", "in (1, 2)", "!= 3"])
def test_entries_written_the_ways_the_engine_reads_them_pass(engine, session, org_tree, entry):
    files = bundle_with({GRADE: _grade("&lt; 10000", entry), "processes/test/graded.bpmn": diagrams.graded()})
    assert [p for p in bundles.deploy(session, files, engine=engine).warnings if p.file == GRADE] == []


def test_the_shipped_tables_pass(engine, session, org_tree):
    deployed = bundles.deploy(session, bundles.collect(ROOT), engine=engine)
    assert [p for p in deployed.warnings if p.file.endswith(".dmn")] == []


# ---------------------------------------------------------------- the diff names rules

NEW_RULE = """      <rule id="Rule_amount_50k">
        <inputEntry id="In_50k_1"><text>-</text></inputEntry>
        <inputEntry id="In_50k_2"><text>-</text></inputEntry>
        <inputEntry id="In_50k_3"><text>-</text></inputEntry>
        <inputEntry id="In_50k_4"><text>-</text></inputEntry>
        <inputEntry id="In_50k_5"><text>-</text></inputEntry>
        <inputEntry id="In_50k_6"><text>-</text></inputEntry>
        <inputEntry id="In_50k_7"><text>&gt; 50000</text></inputEntry>
        <inputEntry id="In_50k_8"><text></text></inputEntry>
        <outputEntry id="Out_50k"><text>"涉案金额 5 万元以上"</text></outputEntry>
      </rule>
    </decisionTable>"""


def _draft_diff(session, engine, change):
    draft = drafts.create(session, engine, actor="alice", name="决策表")
    before = drafts.files(session, draft.id)[MAJOR].decode()
    drafts.put(session, engine, draft.id, MAJOR, change(before).encode(), actor="alice")
    base = bundles.bundle_files(session, draft.base_bundle_id)
    [found] = [f for f in bundle_diff.diff(base, drafts.files(session, draft.id)) if f.path == MAJOR]
    return found


def test_the_diff_names_an_added_rule_with_its_conditions_and_outputs(engine, session, deployed):
    found = _draft_diff(session, engine, lambda xml: xml.replace("    </decisionTable>", NEW_RULE))
    assert found.status == "changed" and found.removed == [] and found.changed == []
    [rule] = found.added
    assert (rule.key, rule.kind) == ("Rule_amount_50k", "rule")
    assert rule.label == '11: 涉案金额（元） > 50000 → "涉案金额 5 万元以上"'


def test_the_diff_names_a_changed_rule_and_the_cell_that_changed(engine, session, deployed):
    found = _draft_diff(session, engine, lambda xml: xml.replace(
        '<inputEntry id="In_amount_7"><text>&gt;= 100000', '<inputEntry id="In_amount_7"><text>&gt;= 50000'))
    [rule] = found.changed
    assert (rule.key, rule.kind) == ("Rule_amount", "rule")
    assert rule.label == '8: 涉案金额（元） >= 50000 → "涉案金额 10 万元以上"'
    [(aspect, before, after)] = rule.aspects
    assert zh(aspect) == "条件：涉案金额（元）" and (before, after) == (">= 100000", ">= 50000")


def test_the_diff_names_a_removed_rule_and_a_changed_hit_policy(engine, session, deployed):
    def change(xml: str) -> str:
        start = xml.index('<rule id="Rule_media">')
        end = xml.index("</rule>", start) + len("</rule>")
        return (xml[:start] + xml[end:]).replace('hitPolicy="COLLECT"', 'hitPolicy="FIRST"')
    found = _draft_diff(session, engine, change)
    assert [(r.key, r.label) for r in found.removed] == [("Rule_media", '3: 媒体关注 = True → "引起媒体关注"')]
    [table] = found.changed          # the rules after it move up a row, which alone is no change
    assert table.key == "Table_major_case" and [(zh(a), b, c) for a, b, c in table.aspects] == [
        ("命中策略", "COLLECT", "FIRST")]
