"""Small test diagrams built from a few lines, for behaviour the sample process does not show."""
from __future__ import annotations

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Defs_{pid}" targetNamespace="http://t">
  <bpmn:process id="{pid}" name="{pid}" isExecutable="true">
"""


def _props(properties: dict[str, str]) -> str:
    return "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in properties.items())


def user_task(tid: str, form: str = "sample/apply.schema.json", name: str = "", **properties: str) -> str:
    """A user task naming a form, with optional further properties."""
    props = _props({"formJsonSchemaFilename": form, **properties})
    return (f'<bpmn:userTask id="{tid}" name="{name or tid}"><bpmn:extensionElements><spiffworkflow:properties>'
            f'{props}</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>')


def boundary_timer(tid: str, attached_to: str, expression: str, kind: str = "timeDate",
                   interrupting: bool = False, **properties: str) -> str:
    """A boundary timer event (`kind` is timeDate, timeDuration or timeCycle)."""
    ext = (f"<bpmn:extensionElements><spiffworkflow:properties>{_props(properties)}"
           "</spiffworkflow:properties></bpmn:extensionElements>") if properties else ""
    return (f'<bpmn:boundaryEvent id="{tid}" attachedToRef="{attached_to}" '
            f'cancelActivity="{str(interrupting).lower()}">{ext}<bpmn:timerEventDefinition>'
            f'<bpmn:{kind}>{expression}</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:boundaryEvent>')


def script_task(tid: str, script: str) -> str:
    """A script task."""
    return f'<bpmn:scriptTask id="{tid}" name="{tid}"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>'


def flow(fid: str, source: str, target: str, condition: str | None = None) -> str:
    """A sequence flow, optionally conditional."""
    body = f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>" if condition else ""
    return f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}">{body}</bpmn:sequenceFlow>'


def process(pid: str, elements: list[str], flows: list[str], lanes: dict[str, list[str]] | None = None,
            properties: dict[str, str] | None = None) -> bytes:
    """A whole BPMN file with one process."""
    props = ""
    if properties:
        props = ("<bpmn:extensionElements><spiffworkflow:properties>" + "".join(
            f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in properties.items())
            + "</spiffworkflow:properties></bpmn:extensionElements>")
    lane_xml = ""
    if lanes:
        lane_xml = f'<bpmn:laneSet id="LaneSet_{pid}">' + "".join(
            f'<bpmn:lane id="Lane_{pid}_{i}" name="{name}">'
            + "".join(f"<bpmn:flowNodeRef>{ref}</bpmn:flowNodeRef>" for ref in refs) + "</bpmn:lane>"
            for i, (name, refs) in enumerate(lanes.items())) + "</bpmn:laneSet>"
    xml = HEAD.format(pid=pid) + props + lane_xml + "\n".join(elements) + "\n".join(flows)
    return (xml + "\n  </bpmn:process>\n</bpmn:definitions>\n").encode()


def runaway() -> bytes:
    """A user task followed by a script loop that never waits."""
    return process("runaway", [
        '<bpmn:startEvent id="StartEvent"/>', user_task("Task_go"), script_task("Script_spin", "n = n + 1"),
        '<bpmn:exclusiveGateway id="Gateway_more" default="Flow_again"/>', '<bpmn:endEvent id="EndEvent"/>',
    ], [
        flow("Flow_1", "StartEvent", "Task_go"), flow("Flow_2", "Task_go", "Script_spin"),
        flow("Flow_3", "Script_spin", "Gateway_more"), flow("Flow_done", "Gateway_more", "EndEvent", "n &lt; 0"),
        flow("Flow_again", "Gateway_more", "Script_spin"),
    ], lanes={"经办人": ["StartEvent", "Task_go"]}, properties={"businessNumberPattern": "T{seq}"})


def crash() -> bytes:
    """A user task followed by a script that fails at run time."""
    return process("crash", [
        '<bpmn:startEvent id="StartEvent"/>', user_task("Task_go"), script_task("Script_divide", "ratio = 1 / 0"),
        '<bpmn:endEvent id="EndEvent"/>',
    ], [
        flow("Flow_1", "StartEvent", "Task_go"), flow("Flow_2", "Task_go", "Script_divide"),
        flow("Flow_3", "Script_divide", "EndEvent"),
    ], lanes={"经办人": ["StartEvent", "Task_go"]})


def transfer() -> bytes:
    """A task, a script that moves the case to another organisation, and a task there."""
    return process("transfer", [
        '<bpmn:startEvent id="StartEvent"/>', user_task("Task_first"),
        script_task("Script_move", "case_org = target_org"), user_task("Task_second"), '<bpmn:endEvent id="EndEvent"/>',
    ], [
        flow("Flow_1", "StartEvent", "Task_first"), flow("Flow_2", "Task_first", "Script_move"),
        flow("Flow_3", "Script_move", "Task_second"), flow("Flow_4", "Task_second", "EndEvent"),
    ], lanes={"经办人": ["StartEvent", "Task_first", "Task_second"]})


def timed() -> bytes:
    """A task with a non-interrupting 2-day timer that raises a supervision task for the leader."""
    return process("timed", [
        '<bpmn:startEvent id="StartEvent"/>', user_task("Task_wait", name="办理"),
        '<bpmn:boundaryEvent id="Timer_late" attachedToRef="Task_wait" cancelActivity="false">'
        '<bpmn:timerEventDefinition><bpmn:timeDuration>"P2D"</bpmn:timeDuration></bpmn:timerEventDefinition>'
        '</bpmn:boundaryEvent>',
        user_task("Task_supervise", "sample/review.schema.json", name="督办"),
        '<bpmn:endEvent id="EndEvent"/>', '<bpmn:endEvent id="EndEvent_supervised"/>',
    ], [
        flow("Flow_1", "StartEvent", "Task_wait"), flow("Flow_2", "Task_wait", "EndEvent"),
        flow("Flow_3", "Timer_late", "Task_supervise"), flow("Flow_4", "Task_supervise", "EndEvent_supervised"),
    ], lanes={"经办人": ["StartEvent", "Task_wait", "Timer_late", "EndEvent"],
              "负责人": ["Task_supervise", "EndEvent_supervised"]})


DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="Defs_grade" name="grade" namespace="http://t">
  <decision id="decide_grade" name="分级">
    <decisionTable id="Table_grade" hitPolicy="UNIQUE">
      <input id="Input_amount" label="金额">
        <inputExpression id="Expr_amount" typeRef="number"><text>{input}</text></inputExpression>
      </input>
      <output id="Output_grade" label="级别" name="grade" typeRef="string" />
      <rule id="Rule_big">
        <inputEntry id="In_big"><text>&gt;= 10000</text></inputEntry>
        <outputEntry id="Out_big"><text>"重大"</text></outputEntry>
      </rule>
      <rule id="Rule_small">
        <inputEntry id="In_small"><text>&lt; 10000</text></inputEntry>
        <outputEntry id="Out_small"><text>"一般"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


def decision_table(input_expression: str = "amount") -> bytes:
    """A DMN table grading an amount."""
    return DMN.format(input=input_expression).encode()


def graded() -> bytes:
    """A business rule task using the table, then a task to read the grade."""
    rule = ('<bpmn:businessRuleTask id="Rule_grade" name="分级"><bpmn:extensionElements>'
            '<spiffworkflow:calledDecisionId>decide_grade</spiffworkflow:calledDecisionId>'
            '</bpmn:extensionElements></bpmn:businessRuleTask>')
    return process("graded", [
        '<bpmn:startEvent id="StartEvent"/>', rule, user_task("Task_read"), '<bpmn:endEvent id="EndEvent"/>',
    ], [
        flow("Flow_1", "StartEvent", "Rule_grade"), flow("Flow_2", "Rule_grade", "Task_read"),
        flow("Flow_3", "Task_read", "EndEvent"),
    ], lanes={"经办人": ["StartEvent", "Rule_grade", "Task_read", "EndEvent"]})


def deadlines() -> bytes:
    """One task due by expression, one due by its marked boundary timer (which raises a supervision task)."""
    return process("deadlines", [
        '<bpmn:startEvent id="StartEvent"/>', '<bpmn:parallelGateway id="Split"/>',
        user_task("Task_expr", name="按表达式计时", dueExpression="add_working_days(task_started, 10)"),
        user_task("Task_timer", name="按定时器计时"),
        boundary_timer("Timer_due", "Task_timer", "add_working_days(task_started, 10)", deadline="true"),
        boundary_timer("Timer_remind", "Task_timer", "add_working_days(task_started, 8)"),
        user_task("Task_supervise", "sample/review.schema.json", name="督办"),
        '<bpmn:endEvent id="End_expr"/>', '<bpmn:endEvent id="End_timer"/>', '<bpmn:endEvent id="End_sup"/>',
        '<bpmn:endEvent id="End_remind"/>',
    ], [
        flow("F1", "StartEvent", "Split"), flow("F2", "Split", "Task_expr"), flow("F3", "Split", "Task_timer"),
        flow("F4", "Task_expr", "End_expr"), flow("F5", "Task_timer", "End_timer"),
        flow("F6", "Timer_due", "Task_supervise"), flow("F7", "Task_supervise", "End_sup"),
        flow("F8", "Timer_remind", "End_remind"),
    ], lanes={"经办人": ["StartEvent", "Split", "Task_expr", "Task_timer", "End_expr", "End_timer",
                      "Timer_due", "Timer_remind", "End_remind"],
              "负责人": ["Task_supervise", "End_sup"]})


def broken_timer() -> bytes:
    """A one-day wait, then a timer whose expression fails when it is evaluated (during a sweep)."""
    def wait(tid, kind, expression):
        return (f'<bpmn:intermediateCatchEvent id="{tid}"><bpmn:timerEventDefinition><bpmn:{kind}>{expression}'
                f'</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')
    return process("broken_timer", [
        '<bpmn:startEvent id="StartEvent"/>', wait("Wait_day", "timeDuration", '"P1D"'),
        wait("Wait_bad", "timeDate", "add_working_days(no_such_variable, 2)"), user_task("Task_after"),
        '<bpmn:endEvent id="EndEvent"/>',
    ], [
        flow("F1", "StartEvent", "Wait_day"), flow("F2", "Wait_day", "Wait_bad"), flow("F3", "Wait_bad", "Task_after"),
        flow("F4", "Task_after", "EndEvent"),
    ], lanes={"经办人": ["StartEvent", "Wait_day", "Wait_bad", "Task_after", "EndEvent"]})


def parent_and_child() -> dict[str, bytes]:
    """A parent that calls a child process twice in a loop; the child has a task and its own loop."""
    parent = process("parent_flow", [
        '<bpmn:startEvent id="StartEvent"/>', user_task("Task_prepare", name="准备"),
        '<bpmn:callActivity id="Call_child" name="子流程" calledElement="child_flow"/>',
        '<bpmn:exclusiveGateway id="Gateway_again" default="Flow_done"/>', '<bpmn:endEvent id="EndEvent"/>',
    ], [
        flow("F1", "StartEvent", "Task_prepare"), flow("F2", "Task_prepare", "Call_child"),
        flow("F3", "Call_child", "Gateway_again"), flow("Flow_again", "Gateway_again", "Task_prepare", "rounds &lt; 2"),
        flow("Flow_done", "Gateway_again", "EndEvent"),
    ], lanes={"经办人": ["StartEvent", "Task_prepare", "Call_child", "Gateway_again", "EndEvent"]})
    child = process("child_flow", [
        '<bpmn:startEvent id="Child_start"/>', user_task("Task_child", "sample/review.schema.json", name="子任务"),
        '<bpmn:exclusiveGateway id="Gateway_child" default="Flow_child_done"/>',
        script_task("Script_count", "rounds = rounds + 1 if rounds else 1"), '<bpmn:endEvent id="Child_end"/>',
    ], [
        flow("C1", "Child_start", "Task_child"), flow("C2", "Task_child", "Gateway_child"),
        flow("Flow_child_again", "Gateway_child", "Task_child", 'decision == "return"'),
        flow("Flow_child_done", "Gateway_child", "Script_count"), flow("C3", "Script_count", "Child_end"),
    ], lanes={"负责人": ["Child_start", "Task_child", "Gateway_child", "Script_count", "Child_end"]})
    return {"processes/test/parent_flow.bpmn": parent, "processes/test/child_flow.bpmn": child}


RESPONDENT_FORM = """{
  "type": "object", "title": "被投诉人", "required": ["respondent_id"],
  "properties": {
    "respondent_id": {"type": "string", "title": "被投诉人", "x-directory": "practitioner"},
    "others": {"type": "array", "title": "其他被投诉人",
               "items": {"type": "string", "title": "被投诉人", "x-directory": "practitioner"}}
  }
}""".encode()


def repeats() -> bytes:
    """Counts earlier cases with the same complainant and respondent, then asks for a directory value."""
    script = ("earlier = related_cases(complainant_id=complainant_id, respondent_id=respondent_id)\n"
              "repeat_count = len(earlier)\n"
              "respondent = directory_entry('practitioner', respondent_id)")
    return process("repeats", [
        '<bpmn:startEvent id="StartEvent"/>', script_task("Script_related", script),
        user_task("Task_pick", "test/respondent.schema.json"), '<bpmn:endEvent id="EndEvent"/>',
    ], [
        flow("F1", "StartEvent", "Script_related"), flow("F2", "Script_related", "Task_pick"),
        flow("F3", "Task_pick", "EndEvent"),
    ], lanes={"经办人": ["StartEvent", "Script_related", "Task_pick", "EndEvent"]},
        properties={"reportableFields": "complainant_id,respondent_id"})
