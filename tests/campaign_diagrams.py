"""Small diagrams for campaigns and messages between cases: a campaign, its participant, a watcher and a reporter."""
from __future__ import annotations

from .diagrams import flow, process, script_task, user_task

REVIEW = "sample/review.schema.json"


def _with_messages(xml: bytes, *names: str) -> bytes:
    """The diagram with a message definition for each name (they sit beside the process)."""
    defs = "".join(f'<bpmn:message id="Message_{n}" name="{n}"/>' for n in names)
    return xml.replace(b"<bpmn:process id=", defs.encode() + b"<bpmn:process id=", 1)


def throw(tid: str, name: str, payload: str) -> str:
    """An intermediate throw event sending message `name` with a payload expression."""
    return (f'<bpmn:intermediateThrowEvent id="{tid}" name="{tid}"><bpmn:messageEventDefinition id="Def_{tid}" '
            f'messageRef="Message_{name}"><bpmn:extensionElements><spiffworkflow:messagePayload>{payload}'
            '</spiffworkflow:messagePayload></bpmn:extensionElements></bpmn:messageEventDefinition>'
            '</bpmn:intermediateThrowEvent>')


def catch(tid: str, name: str, variable: str) -> str:
    """An intermediate catch event waiting for message `name`, its payload in `variable`."""
    return (f'<bpmn:intermediateCatchEvent id="{tid}" name="{tid}"><bpmn:messageEventDefinition id="Def_{tid}" '
            f'messageRef="Message_{name}"><bpmn:extensionElements><spiffworkflow:messageVariable>{variable}'
            '</spiffworkflow:messageVariable></bpmn:extensionElements></bpmn:messageEventDefinition>'
            '</bpmn:intermediateCatchEvent>')


def wait(tid: str, duration: str) -> str:
    """An intermediate timer waiting a duration."""
    return (f'<bpmn:intermediateCatchEvent id="{tid}"><bpmn:timerEventDefinition><bpmn:timeDuration>"{duration}"'
            '</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')


def _chain(ids: list[str]) -> list[str]:
    return [flow(f"F{i}", a, b) for i, (a, b) in enumerate(zip(ids, ids[1:]), 1)]


def participant() -> bytes:
    """Apply (the firm), wait for the window to close, a check that fails when told to, review (lane_orgs may
    give it to another organisation), report to the parent."""
    report = ('{"name": "report", "to": "parent", "payload": {"firm_code": firm_code, "decision": decision}}')
    ids = ["StartEvent", "Script_applying", "Task_apply", "Script_waiting", "Catch_close", "Script_check",
           "Task_review", "Throw_report", "EndEvent"]
    xml = process("participant", [
        '<bpmn:startEvent id="StartEvent"/>', script_task("Script_applying", 'stage = "applying"'),
        user_task("Task_apply", name="申报"), script_task("Script_waiting", 'stage = "waiting"'),
        catch("Catch_close", "window_closed", "closing"),
        script_task("Script_check", 'stage = "review"\ncheck = 1 / closing.get("divisor", 1)'),
        user_task("Task_review", REVIEW, name="初审"), throw("Throw_report", "case_message", report),
        '<bpmn:endEvent id="EndEvent"/>',
    ], _chain(ids), lanes={"申报人": ids[:6], "审核人": ids[6:]},
        properties={"businessNumberPattern": "P{seq:05d}", "reportableFields": "firm_code,stage"})
    return _with_messages(xml, "window_closed", "case_message")


def campaign() -> bytes:
    """Starts a participant per organisation of kind `firm` (reviewed by the firm's parent organisation) and per
    item of `extra_items`, waits
    10 days, closes the window for all its participants, then waits for one report."""
    start = ('{"process": "participant", "items": [{"firm_code": o["code"], "case_org": o["code"], '
             '"lane_orgs": {"审核人": o["parent"]}} for o in organizations(kind="firm")] + extra_items}')
    close = ('{"name": "window_closed", "to": "children", "payload": {"note": "申报期结束"}, "key": "firm_code", '
             '"each": divisors}')
    ids = ["StartEvent", "Throw_start", "Wait_window", "Throw_close", "Catch_report", "Task_confirm", "EndEvent"]
    xml = process("campaign", [
        '<bpmn:startEvent id="StartEvent"/>', throw("Throw_start", "start_cases", start),
        wait("Wait_window", "P10D"), throw("Throw_close", "case_message", close),
        catch("Catch_report", "report", "report"), user_task("Task_confirm", REVIEW, name="确认"),
        '<bpmn:endEvent id="EndEvent"/>',
    ], _chain(ids), lanes={"负责人": ids}, properties={"businessNumberPattern": "C{seq:03d}"})
    return _with_messages(xml, "start_cases", "case_message", "report")


def watcher() -> bytes:
    """Waits for a `sanction` message (a check fails when its payload says so), then a task."""
    ids = ["StartEvent", "Catch_sanction", "Script_check", "Task_handle", "EndEvent"]
    xml = process("watcher", [
        '<bpmn:startEvent id="StartEvent"/>', catch("Catch_sanction", "sanction", "sanction"),
        script_task("Script_check", 'check = 1 / sanction.get("divisor", 1)'),
        user_task("Task_handle", REVIEW, name="处理"), '<bpmn:endEvent id="EndEvent"/>',
    ], _chain(ids), lanes={"经办人": ids}, properties={"reportableFields": "firm_code"})
    return _with_messages(xml, "sanction")


def reporter() -> bytes:
    """Sends `sanction` to the running watchers of the firms in `targets`, then a task."""
    send = ('{"name": "sanction", "to": {"process": "watcher", "where": {"firm_code": targets}}, '
            '"payload": {"kind": "penalty"}, "key": "firm_code", "each": divisors}')
    ids = ["StartEvent", "Throw_sanction", "Task_after", "EndEvent"]
    xml = process("reporter", [
        '<bpmn:startEvent id="StartEvent"/>', throw("Throw_sanction", "case_message", send),
        user_task("Task_after", REVIEW, name="后续"), '<bpmn:endEvent id="EndEvent"/>',
    ], _chain(ids), lanes={"经办人": ids})
    return _with_messages(xml, "case_message")


def files() -> dict[str, bytes]:
    """The four diagrams, by bundle path."""
    return {f"processes/test/{name}.bpmn": make() for name, make in
            (("participant", participant), ("campaign", campaign), ("watcher", watcher), ("reporter", reporter))}
