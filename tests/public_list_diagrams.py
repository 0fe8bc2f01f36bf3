"""A small process with public lists: a case in 公示中 is on the notice list, where the public may lodge an objection
(异议) that interrupts the notice and opens a check; after the notice it is named and on the register."""
from __future__ import annotations

from engine.definitions import bundles
from engine.runtime import cases

from .conftest import bundle_with
from .diagrams import flow, script_task, user_task

PROPERTIES = {
    "businessNumberPattern": "GS{seq:04d}",
    "reportableFields": "stage,firm_name,director,valid_until,applicant_phone",
    "titleField": "firm_name",
    "publicFields": "director:主任,valid_until:有效期至",
    "publicLists": "notice=stage=公示中:拟命名公示,register=stage=已命名:名录",
    "publicMessages": "异议=notice:提出异议",
}
OK_FORM = b'{"type": "object", "title": "\xe7\xa1\xae\xe8\xae\xa4", "properties": {"note": {"type": "string"}}}'


def listed(properties: dict[str, str] | None = None, message: str = "异议") -> bytes:
    """The process, with its properties replaced or left out (a value of None) as a test needs."""
    props = {k: v for k, v in {**PROPERTIES, **(properties or {})}.items() if v is not None}
    prop_xml = "\n".join(f'      <spiffworkflow:property name="{k}" value="{v}"/>' for k, v in props.items())
    elements = [
        '<bpmn:startEvent id="StartEvent"/>',
        user_task("Task_publish", "test/ok.schema.json", name="公示期满确认"),
        f'<bpmn:boundaryEvent id="Objection" name="异议" attachedToRef="Task_publish" cancelActivity="true">'
        f'<bpmn:messageEventDefinition id="Def_objection" messageRef="Message_objection"><bpmn:extensionElements>'
        f'<spiffworkflow:messageVariable>objection</spiffworkflow:messageVariable></bpmn:extensionElements>'
        f'</bpmn:messageEventDefinition></bpmn:boundaryEvent>',
        script_task("Script_count", 'objection_count = 1 if objection["text"] != "让流程出错" else 1 / 0'),
        user_task("Task_check", "test/ok.schema.json", name="异议核查"),
        script_task("Script_name", 'stage = "已命名"\nvalid_until = "2027-10-12"'),
        user_task("Task_keep", "test/ok.schema.json", name="动态管理"),
        '<bpmn:endEvent id="EndEvent"/>',
    ]
    flows = [flow("F1", "StartEvent", "Task_publish"), flow("F2", "Objection", "Script_count"),
             flow("F2b", "Script_count", "Task_check"),
             flow("F3", "Task_check", "Task_publish"), flow("F4", "Task_publish", "Script_name"),
             flow("F5", "Script_name", "Task_keep"), flow("F6", "Task_keep", "EndEvent")]
    lane = ("<bpmn:laneSet id=\"Lanes\"><bpmn:lane id=\"Lane_handler\" name=\"经办人\">"
            + "".join(f"<bpmn:flowNodeRef>{e}</bpmn:flowNodeRef>" for e in (
                "StartEvent", "Task_publish", "Script_count", "Task_check", "Script_name", "Task_keep", "EndEvent"))
            + "</bpmn:lane></bpmn:laneSet>")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Defs_listed" targetNamespace="http://t">
  <bpmn:message id="Message_objection" name="{message}"/>
  <bpmn:process id="listed" name="拟命名公示测试" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
{prop_xml}
    </spiffworkflow:properties></bpmn:extensionElements>
    {lane}
    {chr(10).join(elements)}
    {chr(10).join(flows)}
  </bpmn:process>
</bpmn:definitions>
""".encode()


def listed_files(**kwargs) -> dict[str, bytes]:
    """The project's bundle plus the listed process and its form."""
    return bundle_with({"processes/test/listed.bpmn": listed(**kwargs), "forms/test/ok.schema.json": OK_FORM})


def deploy_listed(session, engine):
    """Deploy the project with the listed process."""
    return bundles.deploy(session, listed_files(), engine=engine).bundle


def start_listed(session, engine, firm: str, stage: str = "公示中", org: str = "county-a"):
    """A case of the listed process, at the notice."""
    return cases.start_case(engine, session, "listed", {"firm_name": firm, "director": "李明", "stage": stage,
                                                        "applicant_phone": "13900000001", "private_note": "内部意见"}, org_code=org)
