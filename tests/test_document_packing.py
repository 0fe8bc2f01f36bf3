"""Filled documents stored compact (issue 23): the parts a filling changed, put back together with the template's
for a download, byte for byte the document the sha256 names."""
from __future__ import annotations

import hashlib
import io
import zipfile

from engine.core import people
from engine.records import document_packing, documents
from engine.runtime import cases

from .conftest import ROOT
from .helpers import only_ready
from .test_documents import APPLY, text_of

TEMPLATE = (ROOT / "forms/sample/approval_notice.docx").read_bytes()


def test_a_compact_document_expands_to_the_filled_document_part_for_part():
    filled = documents.render(TEMPLATE, {"case": {"number": "〔2025〕第7号"}, "title": "购置", "today": "2025-10-13"})
    compact = document_packing.compact(TEMPLATE, filled)
    assert document_packing.is_compact(compact) and not document_packing.is_compact(filled)
    assert len(compact) * 10 < len(filled)              # the styles, theme and fonts stay with the template
    whole = document_packing.expand(TEMPLATE, compact)
    before, after = zipfile.ZipFile(io.BytesIO(filled)), zipfile.ZipFile(io.BytesIO(whole))
    assert after.testzip() is None and before.namelist() == after.namelist()
    assert all(before.read(name) == after.read(name) for name in before.namelist())
    assert "〔2025〕第7号" in text_of(whole)


def test_a_filled_case_document_is_stored_compact_and_downloaded_whole(engine, session, deployed):
    case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
    cases.complete_task(engine, session, only_ready(session, case.id).id, APPLY,
                        user=people.user_by_name(session, "alice"))
    cases.complete_task(engine, session, only_ready(session, case.id).id, {"decision": "approve", "opinion": "同意"},
                        user=people.user_by_name(session, "bob"))
    assert documents.render_pending(session) == 1
    [doc] = documents.case_documents(session, case.id)
    assert document_packing.is_compact(doc.content) and len(doc.content) < 4000 and doc.context == {}
    got = documents.document(session, case.id, doc.id)
    assert hashlib.sha256(got.content).hexdigest() == got.sha256 and case.business_number in text_of(got.content)
    session.expire_all()
    assert document_packing.is_compact(documents.case_documents(session, case.id)[0].content)   # the row unchanged
