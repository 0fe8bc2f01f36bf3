"""The law-firm acceptance procedure as shipped: it deploys with its forms and templates, every time limit names
its basis (a source of the domain report's register by its exact title, or 本地设定), complaints record the
respondent's firm, and a firm's account sees its own cases only."""
from __future__ import annotations

import json
import re

from lxml import etree
from sqlalchemy import select

from engine.core.models import Case, ProcessDefinition
from engine.definitions import bundles
from engine.runtime import cases
from web.database import session as db_session

from .complaint_steps import register
from .conftest import ROOT
from .web_helpers import login

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
# The titles of /work/shared/domain/procedures.md §1 (the source register) that the procedure may cite, exactly.
REGISTER_TITLES = {
    "《中华人民共和国律师法》", "《律师执业管理办法》", "《律师和律师事务所违法行为处罚办法》",
    "《关于县级司法行政机关加强律师日常监督管理工作的意见》", "《中华人民共和国行政处罚法》",
    "《全国优秀律师事务所评定标准》", "《信阳市律师事务所星级评定办法(试行)》", "《合川区律师事务所星级评定办法(讨论稿)》",
    "《关于加强律师事务所管理的规定》",
}
LOCAL = "本地设定"
DIAGRAMS = sorted((ROOT / "processes" / "law_firm").glob("*.bpmn"))
FORMS = sorted((ROOT / "forms" / "law_firm").glob("*.schema.json"))
TEMPLATES = ("application_form", "review_opinion", "score_sheet", "rectification_notice", "recheck_opinion",
             "publicity_notice", "naming_decision", "certificate", "revocation_decision")


def _documentation(path) -> list[tuple[str, str, str]]:
    """(element id, element kind, documentation) of every documented element of a diagram."""
    tree = etree.parse(str(path))
    return [(doc.getparent().get("id"), etree.QName(doc.getparent()).localname, doc.text or "")
            for doc in tree.iter(f"{BPMN}documentation")]


def _form_texts(path) -> list[str]:
    """Every title and description of a form, nested ones included."""
    found, stack = [], [json.loads(path.read_text(encoding="utf-8"))]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found += [node[k] for k in ("title", "description") if isinstance(node.get(k), str)]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def test_the_procedure_deploys_with_its_forms_and_templates(session, engine, org_tree):
    result = bundles.deploy(session, bundles.collect(ROOT), engine=engine)
    assert result.warnings == []
    keys = set(session.scalars(select(ProcessDefinition.process_key).where(ProcessDefinition.bundle_id == result.bundle.id)))
    assert {"law_firm_campaign", "law_firm_application"} <= keys
    files = bundles.collect(ROOT)
    assert all(f"forms/law_firm/{name}.docx" in files for name in TEMPLATES)
    diagram = (ROOT / "processes/law_firm/law_firm_application.bpmn").read_text(encoding="utf-8")
    assert all(f"law_firm/{name}.docx" in diagram for name in TEMPLATES)


def test_every_cited_title_is_in_the_source_register():
    cited = {(path.name, title) for path in DIAGRAMS for _, _, text in _documentation(path)
             for title in re.findall(r"《[^》]+》", text)}
    cited |= {(path.name, title) for path in FORMS for text in _form_texts(path)
              for title in re.findall(r"《[^》]+》", text)}
    assert cited, "the procedure cites no source at all"
    assert sorted((where, title) for where, title in cited if title not in REGISTER_TITLES) == []


def test_every_time_limit_names_its_basis():
    """Each timer, each task with a due time and each step that sets a limit says where the limit comes from."""
    unfounded, timers = [], 0
    for path in DIAGRAMS:
        tree = etree.parse(str(path))
        documented = {element_id: text for element_id, _, text in _documentation(path)}
        limited = [t.getparent().getparent() for t in tree.iter(f"{BPMN}timeDate")]
        timers += len(limited)
        limited += [task for task in tree.iter(f"{BPMN}userTask")
                    if task.find(".//*[@name='dueExpression']") is not None]
        limited += [step for step in tree.iter(f"{BPMN}scriptTask")
                    if re.search(r"add_(working_|calendar_)?days", step.findtext(f"{BPMN}script") or "")]
        for element in limited:
            text = documented.get(element.get("id"), "")
            if LOCAL not in text and not any(title in text for title in REGISTER_TITLES):
                unfounded.append((path.name, element.get("id")))
    assert timers >= 10
    assert unfounded == []


def test_rectification_limit_cites_the_county_supervision_opinion():
    docs = {element_id: text for element_id, _, text in
            _documentation(ROOT / "processes/law_firm/law_firm_application.bpmn")}
    assert "1 个月" in docs["Script_rectify"]
    assert "《关于县级司法行政机关加强律师日常监督管理工作的意见》" in docs["Script_rectify"]
    assert "本地设定" in docs["Timer_publicity_over"]


def test_a_complaint_records_the_respondents_firm(engine, session, complaint_setup):
    from engine.records import directory

    directory.add_entry(session, "respondent", "L-0002", "赵某某律师", org_code="county-a",
                        data={"type": "lawyer", "firm": "F-0001"})
    session.commit()
    by_lawyer = register(engine, session, respondent_id="L-0002")
    by_firm = register(engine, session, respondent_id="F-0001")
    assert by_lawyer.meta["respondent_firm"] == "F-0001"
    assert by_firm.meta["respondent_firm"] == "F-0001"


def _case_in(app, org: str) -> int:
    """A sample case started in an organisation of the demo tree."""
    with app.app_context():
        from web.workflow import engine as web_engine

        return cases.start_case(web_engine(), db_session(), "sample_review", {}, org_code=org, actor="admin").id


def test_a_firm_account_sees_its_own_cases_only(app, client):
    own, other_firm, county = _case_in(app, "F-0001"), _case_in(app, "F-0004"), _case_in(app, "county-a")
    login(client, "mingde")
    assert client.get(f"/cases/{own}").status_code == 200
    assert client.get(f"/cases/{other_firm}").status_code == 404       # a sibling firm under the same county
    assert client.get(f"/cases/{county}").status_code == 404           # its county bureau's own cases
    listed = client.get("/cases").get_data(as_text=True)
    with app.app_context():
        numbers = {c.id: c.business_number for c in db_session().scalars(select(Case))}
    assert numbers[own] in listed and numbers[other_firm] not in listed and numbers[county] not in listed
    login(client, "zhang")                                            # the county bureau sees its firms' cases
    assert client.get(f"/cases/{own}").status_code == 200
    login(client, "wang")                                             # another county does not
    assert client.get(f"/cases/{own}").status_code == 404
