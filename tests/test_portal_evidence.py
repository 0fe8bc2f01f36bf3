"""The portal for people: a complainant files evidence with the complaint, and once the case is answered downloads
the 答复书 with the case number and access code (the process's `publicDocuments`)."""
from __future__ import annotations

import io
import re

import pytest
from docx import Document
from sqlalchemy import func, select

from engine.core import people
from engine.core.case_records import Attachment
from engine.core.models import Case, User
from engine.core.errors import BundleInvalid
from engine.definitions import bundles
from engine.records import documents
from engine.runtime import cases
from engine.work import casework
from web.database import session as db_session
from web.workflow import engine

from .complaint_steps import task_named
from .conftest import bundle_with
from .helpers import zh
from .test_portal import COMPLAINT, case_count, text
from .web_helpers import csrf, field_errors, login

PDF = b"%PDF-1.4 evidence: the fee receipt\n"
PHOTO = b"\x89PNG\r\n\x1a\n a photo of the contract"


def file_with(client, files, **changes):
    """Post the complaint form with files: (field, filename, content) each."""
    data = {"csrf_token": csrf(client, "/portal/lawyer_complaint"), **COMPLAINT, **changes}
    data["evidence_files"] = [(io.BytesIO(content), name) for _, name, content in files]
    return client.post("/portal/lawyer_complaint", data=data, content_type="multipart/form-data")


def receipt(response) -> tuple[str, str]:
    page = text(response)
    return (re.search(r'id="case-number">([^<]+)<', page).group(1),
            re.search(r'id="access-code">([A-Z0-9]{8})<', page).group(1))


def attachment_count(app) -> int:
    with app.app_context():
        return db_session().scalar(select(func.count()).select_from(Attachment))


def status(client, number, code):
    return client.post("/portal/status", data={"csrf_token": csrf(client, "/portal/status"), "number": number,
                                               "code": code})


def download(client, document_id, number, code):
    return client.post(f"/portal/status/documents/{document_id}",
                       data={"csrf_token": csrf(client, "/portal/status"), "number": number, "code": code})


def test_evidence_files_land_on_the_case_and_registration_opens_with_them(app, client):
    response = file_with(client, [("evidence_files", "收费收据.pdf", PDF), ("evidence_files", "合同.png", PHOTO)])
    assert response.status_code == 200
    number, _ = receipt(response)
    with app.app_context():
        db = db_session()
        case = db.scalar(select(Case).where(Case.business_number == number))
        kept = [(a.id, a.filename, a.content, a.uploaded_by) for a in
                db.scalars(select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id))]
        assert [k[1:] for k in kept] == [("收费收据.pdf", PDF, "public"), ("合同.png", PHOTO, "public")]
        task_id = task_named(db, case.id, "投诉登记").id
        case_id = case.id
    login(client, "xu")
    form = text(client.get(f"/tasks/{task_id}"))           # registration keeps the portal's files
    for attachment_id, filename, *_ in kept:
        assert re.search(rf'name="evidence_files.keep" value="{attachment_id}" checked> {filename}', form)
    page = text(client.get(f"/cases/{case_id}"))           # and the case page lists them for staff
    listed = page.split('id="attachments"', 1)[1].split("</ul>", 1)[0]
    assert "收费收据.pdf" in listed and "合同.png" in listed
    got = client.get(f"/cases/{case_id}/attachments/{kept[0][0]}")
    assert got.status_code == 200 and got.data == PDF


def test_an_oversized_or_forbidden_file_is_refused_naming_the_field_and_nothing_is_kept(app, client):
    app.config["PORTAL_FILE_MAX_BYTES"] = 1024
    cases_before, files_before = case_count(app), attachment_count(app)
    too_big = file_with(client, [("evidence_files", "录像.pdf", b"%PDF" + b"0" * 2000)])
    assert too_big.status_code == 422
    assert field_errors(text(too_big)) == {"evidence_files": "录像.pdf 超过 0.1 MB"}
    forbidden = file_with(client, [("evidence_files", "收据.pdf", PDF), ("evidence_files", "病毒.exe", b"MZ")])
    assert forbidden.status_code == 422
    assert "不支持 .exe 文件" in field_errors(text(forbidden))["evidence_files"]
    mixed = file_with(client, [("evidence_files", "收据.pdf", PDF)], facts="太短")     # good file, bad text
    assert mixed.status_code == 422 and set(field_errors(text(mixed))) == {"facts"}
    assert 'id="files-again"' in text(mixed)                # the visitor is told to choose the files again
    assert case_count(app) == cases_before and attachment_count(app) == files_before
    for _ in range(5):          # refusals do not count toward the submission limit
        assert file_with(client, [("evidence_files", "收据.pdf", PDF)]).status_code == 200
    assert file_with(client, [("evidence_files", "收据.pdf", PDF)]).status_code == 429


def _walk_to_the_reply(db, case_id: int) -> None:
    """Register, review, accept, investigate and decide the complaint, each step by a candidate of its task."""
    steps = [
        ("投诉登记", {"received_on": "2025-10-13", "channel": "online"}),
        ("初审", {"in_scope": True, "has_jurisdiction": True, "materials_complete": True,
                "repeat_without_new_facts": False, "review_conclusion": "accept", "review_opinion": "经审查"}),
        ("受理审查决定", {"decision": "accepted", "decision_reason": "属于受理范围"}),
        ("告知投诉人", {"notice_method": "post", "notified_on": "2025-10-13"}),
        ("被投诉人书面说明", {"explanation_received_on": "2025-10-13", "explanation_method": "post",
                       "explanation_summary": "因另案开庭冲突未能出庭。"}),
        ("调查核实", {"investigators": ["陈刚", "林涛"], "explanation_received": True,
                  "findings": "经调取庭审记录，律师均按约出庭。", "next_step": "report"}),
        ("处理意见", {"outcome": "no_violation", "outcome_reason": "投诉反映的问题查证不实",
                  "legal_basis": "《律师执业管理办法》第五十条"}),
        ("处理决定审批", {"approved": True, "approval_opinion": "同意"}),
    ]
    for name, values in steps:
        task = task_named(db, case_id, name)
        if name == "投诉登记":
            values = {**_registration(db, task), **values}
        who = db.get(User, task.assignee_id) if task.assignee_id else people.candidates(db, task)[0]
        cases.complete_task(engine(), db, task.id, values, user=who)


def _registration(db, task) -> dict:
    """What the registration form starts with (the portal's data and files)."""
    known = casework.task_data(engine(), db, task)
    return {k: known[k] for k in ("complainant_name", "complainant_type", "complainant_phone", "respondent_id",
                                  "facts", "requests", "evidence_files") if k in known}


def test_the_reply_is_downloadable_with_the_right_code_once_answered_and_not_before(app, client):
    number, code = receipt(file_with(client, [("evidence_files", "收据.pdf", PDF)]))
    before = text(status(client, number, code))
    assert "答复书" not in before and 'id="public-documents"' not in before
    with app.app_context():
        db = db_session()
        case_id = db.scalar(select(Case.id).where(Case.business_number == number))
        _walk_to_the_reply(db, case_id)
        reply = next(d for d in documents.case_documents(db, case_id) if d.name == "答复书")
        private = [d.id for d in documents.case_documents(db, case_id) if d.name != "答复书"]
    assert private            # the acceptance notice and others exist, and stay private
    page = text(status(client, number, code))
    listed = page.split('id="public-documents"', 1)[1].split("</ul>", 1)[0]
    assert "答复书" in listed and "受理通知书" not in listed
    got = download(client, reply.id, number, code)
    assert got.status_code == 200 and got.headers["Content-Disposition"].startswith("attachment")
    body = "\n".join(p.text for p in Document(io.BytesIO(got.data)).paragraphs)
    assert "查证不实或无法查实，不予处理" in body
    assert download(client, reply.id, number, "AAAAAAAA").status_code == 404
    assert download(client, private[0], number, code).status_code == 404      # not a public document
    assert download(client, reply.id, "〔2025〕投诉第9999号", code).status_code == 404


def test_a_wrong_code_for_a_document_counts_toward_the_status_limit(app, client):
    app.config["PORTAL_CHECKS_PER_10_MINUTES"] = 3
    number, code = receipt(file_with(client, []))
    for _ in range(3):
        assert download(client, 1, number, "AAAAAAAA").status_code == 404
    assert status(client, number, code).status_code == 429


def test_public_documents_naming_a_document_the_process_never_makes_is_a_problem(engine, session, org_tree):
    path = "processes/complaint/lawyer_complaint.bpmn"
    shipped = bundle_with()[path].decode()
    declared = "答复书,complaint/non_acceptance_notice.docx"
    assert declared in shipped
    files = bundle_with(**{path.replace("/", "__"): shipped.replace(declared, "答复书,复议决定书,complaint/none.docx").encode()})
    with pytest.raises(BundleInvalid) as err:
        bundles.deploy(session, files, engine=engine)
    [problem] = err.value.problems
    assert problem.msg.code == "validation.public_documents_unknown" and problem.element == "lawyer_complaint"
    assert problem.line == shipped[: shipped.index("publicDocuments")].count("\n") + 1
    assert "complaint/none.docx, 复议决定书" in zh(problem) and "答复书" in problem.msg.params["known"]
