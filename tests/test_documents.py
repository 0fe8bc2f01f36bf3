"""Documents filled from Word templates of the bundle, attached to the case, readable back."""
from __future__ import annotations

import io

import pytest
from docx import Document

from engine.core import people
from engine.records import documents, history
from engine.runtime import cases

from .helpers import only_ready, zh

APPLY = {"title": "购置办公设备", "reason": "现有设备老化，影响办公"}


def text_of(content: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)


def test_approval_generates_the_notice_with_case_data(engine, session, deployed):
    case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
    cases.complete_task(engine, session, only_ready(session, case.id).id, APPLY,
                        user=people.user_by_name(session, "alice"))
    cases.complete_task(engine, session, only_ready(session, case.id).id,
                        {"decision": "approve", "opinion": "同意购置，按程序采购"}, user=people.user_by_name(session, "bob"))
    [doc] = documents.case_documents(session, case.id)
    assert doc.name == "审批通知书" and doc.filename == f"{case.business_number}-审批通知书.docx"
    assert doc.status == "pending"                        # filled after the step commits
    assert documents.render_pending(session) == 1 and documents.render_pending(session) == 0
    [doc] = documents.case_documents(session, case.id)
    assert doc.status == "ready" and doc.sha256
    text = text_of(documents.document(session, case.id, doc.id).content)
    for expected in ("A区司法局", case.business_number, "购置办公设备", "现有设备老化，影响办公", "同意购置，按程序采购"):
        assert expected in text
    assert "{{" not in text and "年" in text.splitlines()[-1]
    assert history.case_history(session, case.id)[-2].action == "document_requested"


def test_templates_cannot_reach_python_internals():
    template = io.BytesIO()
    doc = Document()
    doc.add_paragraph("{{ title.__class__.__mro__ }}")
    doc.save(template)
    from jinja2.exceptions import SecurityError

    with pytest.raises(SecurityError):
        documents.render(template.getvalue(), {"title": "x"})


def test_a_broken_template_fails_the_document_not_the_case(engine, session, deployed):
    from engine.core.models import BundleFile

    case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
    cases.complete_task(engine, session, only_ready(session, case.id).id, APPLY,
                        user=people.user_by_name(session, "alice"))
    cases.complete_task(engine, session, only_ready(session, case.id).id, {"decision": "approve", "opinion": "同意"},
                        user=people.user_by_name(session, "bob"))
    template = session.query(BundleFile).filter_by(path="forms/sample/approval_notice.docx").one()
    template.content = b"not a word file"          # as if the stored template were damaged
    session.commit()
    documents.render_pending(session)
    [doc] = documents.case_documents(session, case.id)
    assert doc.status == "failed" and "BadZipFile" in zh(doc.error)
    assert cases.get_case(session, case.id).status == "completed"


def test_the_child_fills_a_template_without_importing_the_database_layer_or_seeing_its_settings(
        tmp_path, monkeypatch):
    """The child imports docxtpl, the messages and the calendar, not what the engine's packages pull in (the
    database layer: a second more for every document), and is handed no database URL or secret key."""
    import sys

    from engine.records import document_worker

    log = tmp_path / "imports.log"
    python = tmp_path / "python"
    python.write_text(f'#!/bin/sh\nenv > "{tmp_path}/env.log"\nexec "{sys.executable}" -X importtime "$@" '
                      f'2>> "{log}"\n')
    python.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(python))
    monkeypatch.setenv("LAWFLOW_DATABASE_URL", "postgresql://secret@db/lawflow")
    template = io.BytesIO()
    doc = Document()
    doc.add_paragraph("{{ name }}，{{ day | cn_date }}")
    doc.save(template)
    filled = document_worker.fill_in_child(template.getvalue(), {"name": "张三", "day": "2025-10-13"},
                                           document_worker.Limits(10, 512 << 20, 20 << 20, 30))
    assert text_of(filled) == "张三，2025年10月13日"
    imported = {line.split("|")[-1].strip() for line in log.read_text().splitlines() if "|" in line}
    assert {"docxtpl", "engine.records.document_worker", "engine.time.workdays"} <= imported
    assert not {name for name in imported if name.split(".")[0] in ("sqlalchemy", "alembic", "openpyxl", "flask")}
    assert "LAWFLOW_DATABASE_URL" not in (tmp_path / "env.log").read_text()
