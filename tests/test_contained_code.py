"""Diagram code is contained: no run changes another, and every runaway ends in a clean case error.

Each diagram here is deployed through the real validation path and run by the real engine on both databases.
"""
from __future__ import annotations

import re
from xml.sax.saxutils import escape

import pytest

from engine.core import people
from engine.core.errors import CaseFailed
from engine.definitions import bundles
from engine.records import history
from engine.runtime import cases
from engine.runtime.engine import Engine
from engine.sandbox.limits import Limits

from . import diagrams
from .conftest import ROOT
from .helpers import only_ready, roundtrip, zh

APPLY = {"title": "测试事项", "reason": "测试用的理由"}
# Small budgets keep the runaways short; the defaults are the same code with larger numbers.
LIMITS = Limits(cpu_seconds=0.2, run_cpu_seconds=1.0, memory_bytes=64 << 20, max_items=100_000,
                max_int_bits=10_000, max_instances=50, max_case_bytes=1 << 20)


def _step_then(pid: str, script: str, *, tail: list[str] | None = None, flows: list[str] | None = None,
               properties: dict[str, str] | None = None, lane: tuple[str, ...] = ()) -> bytes:
    """A user task, then a script task `Script_bad` running `script`, then the end (or `tail`)."""
    return diagrams.process(pid, [
        '<bpmn:startEvent id="StartEvent"/>', diagrams.user_task("Task_go", name="申请"),
        diagrams.script_task("Script_bad", escape(script)), *(tail or ['<bpmn:endEvent id="EndEvent"/>']),
    ], [
        diagrams.flow("Flow_1", "StartEvent", "Task_go"), diagrams.flow("Flow_2", "Task_go", "Script_bad"),
        *(flows or [diagrams.flow("Flow_3", "Script_bad", "EndEvent")]),
    ], lanes={"经办人": ["StartEvent", "Task_go", *lane]}, properties=properties)


def _deploy(session, engine, extra: dict[str, bytes]):
    # the sample's form names rows of its limits table, whose bases are checked against the register
    files = {path: (ROOT / path).read_bytes() for path in (
        "forms/sample/apply.schema.json", "forms/sample/limits.json", "forms/legal_sources.json")}
    files.update(extra)
    return bundles.deploy(session, files, engine=engine).bundle


@pytest.fixture
def limited():
    return Engine(limits=LIMITS)


def _fail_at_step(engine, session, process: str, data: dict | None = None) -> CaseFailed:
    """Start a case, complete its first task and return how the run failed, after checking the case is in error
    at its last good state, its task open again."""
    case = cases.start_case(engine, session, process, data or {}, org_code="county-a")
    task = only_ready(session, case.id)
    good_state = cases.stored_state(session, case.id)
    with pytest.raises(CaseFailed) as err:
        cases.complete_task(engine, session, task.id, APPLY, user=people.user_by_name(session, "alice"))
    session.expire_all()
    failed = cases.get_case(session, case.id)
    assert failed.status == "error" and zh(failed.error) == zh(err.value)
    assert cases.stored_state(session, case.id) == good_state
    roundtrip(engine, session, case.id)
    assert only_ready(session, case.id).id == task.id
    assert history.case_history(session, case.id)[-1].action == "case_failed"
    return err.value


HOSTILE = """
reached = []
for name in ['__builtins__', '_getattr_', '_tick_', '_binop_', 'get_value', 'len', 'now']:
    found = get_value(name)
    if found is not None and not callable(found):
        reached.append(name)
    try:
        found['len'] = lambda value: 99
        reached.append('wrote ' + name)
    except Exception:
        pass
try:
    stolen = get_value('__builtins__')['stash']
except Exception:
    stolen = None
"""
VICTIM = "count = len(items)\nlast = max(items)"


def test_a_script_cannot_change_what_another_organisations_case_computes(engine, session, org_tree):
    _deploy(session, engine, {"processes/test/hostile.bpmn": _step_then("hostile", HOSTILE),
                              "processes/test/victim.bpmn": _step_then("victim", VICTIM)})
    carl, alice = people.user_by_name(session, "carl"), people.user_by_name(session, "alice")
    victim = cases.start_case(engine, session, "victim", {"items": [3, 1, 2]}, org_code="county-b")
    hostile = cases.start_case(engine, session, "hostile", {}, org_code="county-a")
    cases.complete_task(engine, session, only_ready(session, hostile.id).id, APPLY, user=alice)
    cases.complete_task(engine, session, only_ready(session, victim.id).id, APPLY, user=carl)
    hostile_data = engine.load_workflow(session, cases.get_case(session, hostile.id)).data
    assert hostile_data["reached"] == [] and hostile_data["stolen"] is None
    victim_data = engine.load_workflow(session, cases.get_case(session, victim.id)).data
    assert (victim_data["count"], victim_data["last"]) == (3, 3)


@pytest.mark.parametrize("script, reason", [
    ("while True:\n    pass", "CPU 时间限制"),
    ("n = 0\nwhile True:\n    try:\n        while True:\n            n += 1\n    except Exception:\n        pass",
     "CPU 时间限制"),
    ("total = sum(range(10 ** 12))", "range 长度"),
    ("big = 10 ** 10 ** 10", "整数过大"),
    ("text = 'x' * 10 ** 10", "生成的数据长度"),
    ("text = 'x'\nfor i in range(64):\n    text = text + text", "生成的数据长度"),
    ("table = {i: i for i in range(10 ** 8)}", "range 长度"),
    # Memory, or CPU time first where the worker's allocator hands out memory freed by earlier tests without the
    # process growing (test_sandbox shows the memory budget itself in a fresh interpreter).
    ("rows = []\nwhile True:\n    rows.append('x' * 90000)", "内存|CPU 时间限制"),
    ("def f(n):\n    return f(n - 1) + f(n - 1) if n else 1\nvalue = f(200)", "CPU 时间限制"),
    ("raise SystemExit(3)", "NameError"),
], ids=["while", "swallowed", "range", "power", "repeat", "doubling", "dict", "memory", "recursion", "exit"])
def test_runaway_code_ends_in_a_case_error_naming_its_element(limited, session, org_tree, script, reason):
    _deploy(session, limited, {"processes/test/bad.bpmn": _step_then("bad", script)})
    failure = _fail_at_step(limited, session, "bad")
    assert re.search(reason, zh(failure)) and "Script_bad" in zh(failure)


def test_base_exceptions_from_diagram_helpers_fail_only_the_case(session, org_tree):
    def leave():
        raise SystemExit(0)

    engine = Engine(helpers={"leave": leave, "interrupt": lambda: (_ for _ in ()).throw(KeyboardInterrupt())})
    _deploy(session, engine, {"processes/test/leave.bpmn": _step_then("leave", "x = leave()"),
                              "processes/test/interrupt.bpmn": _step_then("interrupt", "x = interrupt()")})
    assert "SystemExit" in zh(_fail_at_step(engine, session, "leave"))
    assert "KeyboardInterrupt" in zh(_fail_at_step(engine, session, "interrupt"))


def test_a_condition_that_never_ends_fails_the_case(limited, session, org_tree):
    spin = "len([i for i in range(99999) for j in range(99999)]) &gt; 0"
    xml = _step_then("cond", "x = 1", tail=['<bpmn:exclusiveGateway id="Gateway_check" default="Flow_no"/>',
                                            '<bpmn:endEvent id="EndEvent"/>', '<bpmn:endEvent id="EndEvent_no"/>'],
                     flows=[diagrams.flow("Flow_3", "Script_bad", "Gateway_check"),
                            diagrams.flow("Flow_yes", "Gateway_check", "EndEvent", spin),
                            diagrams.flow("Flow_no", "Gateway_check", "EndEvent_no")])
    _deploy(session, limited, {"processes/test/cond.bpmn": xml})
    assert "CPU 时间限制" in zh(_fail_at_step(limited, session, "cond"))


def test_a_multi_instance_of_a_million_fails_the_case(limited, session, org_tree):
    many = ('<bpmn:scriptTask id="Task_many" name="逐一处理"><bpmn:multiInstanceLoopCharacteristics>'
            '<bpmn:loopCardinality>count</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>'
            '<bpmn:script>done = True</bpmn:script></bpmn:scriptTask>')
    xml = _step_then("many", "count = 1000000", tail=[many, '<bpmn:endEvent id="EndEvent"/>'],
                     flows=[diagrams.flow("Flow_3", "Script_bad", "Task_many"),
                            diagrams.flow("Flow_4", "Task_many", "EndEvent")])
    _deploy(session, limited, {"processes/test/many.bpmn": xml})
    failure = _fail_at_step(limited, session, "many")
    assert "多实例数量 1000000" in zh(failure) and "Task_many" in zh(failure)


def test_case_data_past_its_size_limit_fails_the_case(limited, session, org_tree):
    script = "a = 'x' * 90000\nrows = [a + str(i) for i in range(15)]"
    _deploy(session, limited, {"processes/test/fat.bpmn": _step_then("fat", script)})
    assert "案件数据" in zh(_fail_at_step(limited, session, "fat"))


@pytest.mark.parametrize("prop, expression, wanted", [
    ("dueExpression", "{'when': 'tomorrow'}", "不是时间"),
    ("dueExpression", "'next week'", "不是时间"),
    ("assigneeExpression", "['alice', 'amy']", "不是用户名"),
])
def test_an_expression_of_the_wrong_type_is_a_case_error(engine, session, org_tree, prop, expression, wanted):
    xml = diagrams.process("typed", [
        '<bpmn:startEvent id="StartEvent"/>', diagrams.user_task("Task_go", name="申请"),
        diagrams.user_task("Task_next", name="审核", **{prop: escape(expression, {"'": "&apos;"})}),
        '<bpmn:endEvent id="EndEvent"/>',
    ], [diagrams.flow("Flow_1", "StartEvent", "Task_go"), diagrams.flow("Flow_2", "Task_go", "Task_next"),
        diagrams.flow("Flow_3", "Task_next", "EndEvent")], lanes={"经办人": ["StartEvent", "Task_go", "Task_next"]})
    _deploy(session, engine, {"processes/test/typed.bpmn": xml})
    failure = _fail_at_step(engine, session, "typed")
    assert wanted in zh(failure) and "Task_next" in zh(failure) and prop in zh(failure)


SPIN = "len([1 for i in range(99999) for j in range(99999)])"


def test_a_timer_expression_that_never_ends_fails_the_case(limited, session, org_tree):
    wait = [diagrams.user_task("Task_wait", name="办理"),
            diagrams.boundary_timer("Timer_spin", "Task_wait", SPIN, kind="timeDate"), '<bpmn:endEvent id="EndEvent"/>',
            '<bpmn:endEvent id="EndEvent_late"/>']
    xml = _step_then("timer", "x = 1", tail=wait, flows=[
        diagrams.flow("Flow_3", "Script_bad", "Task_wait"), diagrams.flow("Flow_4", "Task_wait", "EndEvent"),
        diagrams.flow("Flow_5", "Timer_spin", "EndEvent_late")], lane=("Task_wait",))
    _deploy(session, limited, {"processes/test/timer.bpmn": xml})
    failure = _fail_at_step(limited, session, "timer")
    assert "CPU 时间限制" in zh(failure) and "Timer_spin" in zh(failure)


def test_a_decision_table_cell_that_never_ends_fails_the_case(limited, session, org_tree):
    rule = ('<bpmn:businessRuleTask id="Task_rule" name="分级"><bpmn:extensionElements><spiffworkflow:calledDecisionId>'
            'decide_grade</spiffworkflow:calledDecisionId></bpmn:extensionElements></bpmn:businessRuleTask>')
    xml = _step_then("ruled", "amount = 5", tail=[rule, '<bpmn:endEvent id="EndEvent"/>'],
                     flows=[diagrams.flow("Flow_3", "Script_bad", "Task_rule"),
                            diagrams.flow("Flow_4", "Task_rule", "EndEvent")])
    _deploy(session, limited, {"processes/test/ruled.bpmn": xml,
                               "processes/test/grade.dmn": diagrams.decision_table(escape(SPIN))})
    failure = _fail_at_step(limited, session, "ruled")
    assert "CPU 时间限制" in zh(failure) and "Task_rule" in zh(failure)
