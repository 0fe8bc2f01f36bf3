"""A database worth copying: a running sample case waiting at its first step with its timers pending, a file
uploaded into it, a filled document and an API token; and the check that a copy of it goes on running the case."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import time_machine
from sqlalchemy import select

from engine.core import people
from engine.core.case_records import Attachment, CaseDocument
from engine.core.models import ApiToken, Case
from engine.records import attachments
from engine.runtime import cases
from engine.runtime.engine import Engine
from engine.runtime.timers import fire_due_timers
from engine.time.workdays import CHINA_TZ

from .helpers import ready

START = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)          # a Monday; 填写申请 is due 5 working days later
PAST_DUE = START + timedelta(days=8, hours=1)               # Tuesday 10 March, 10:00: past its reminder and due
EVIDENCE = "证据材料 ".encode() + bytes(range(256)) * 40     # not text: bytes must come back as they went
LETTER = b"PK\x03\x04 a filled document" + bytes(range(256))
APPLY = {"title": "购置办公设备", "reason": "现有设备老化，影响办公"}


def make_running_case(engine, session) -> int:
    """Start a sample case at START with a file, a document and a token beside it; return its id."""
    with time_machine.travel(START, tick=False):
        case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a", actor="alice")
        attachments.store(session, case.id, "evidence", "证据.pdf", "application/pdf", EVIDENCE, actor="alice",
                          now=START)
        session.add(CaseDocument(case_id=case.id, bundle_id=case.definition.bundle_id, name="受理通知书",
                                 template="sample/notice.docx", filename="受理通知书.docx", status="ready",
                                 context={"title": "购置办公设备"}, content=LETTER,
                                 sha256=hashlib.sha256(LETTER).hexdigest(), created_at=START, created_by="alice"))
        session.add(ApiToken(user_id=people.user_by_name(session, "alice").id, name="integration",
                             token_hash="0" * 64, created_at=START))
        session.commit()
        assert cases.get_case(session, case.id).next_timer_at is not None
        return case.id


def assert_files_kept(session, case_id: int) -> None:
    """The case's uploaded file and document hold the bytes they were stored with."""
    session.expire_all()
    attachment = session.scalar(select(Attachment).where(Attachment.case_id == case_id))
    assert attachment.content == EVIDENCE and attachment.filename == "证据.pdf"
    document = session.scalar(select(CaseDocument).where(CaseDocument.case_id == case_id))
    assert (document.content, document.context) == (LETTER, {"title": "购置办公设备"})


def assert_case_goes_on(session, case_id: int) -> None:
    """With an engine that never saw the case: its timers fire when due (督办 opens), a step is completed (审核
    opens), and a new case takes the next business number and fresh ids."""
    engine = Engine()
    with time_machine.travel(PAST_DUE, tick=False):
        assert [t.name for t in ready(session, case_id)] == ["填写申请"]
        assert fire_due_timers(engine, session) == 1
        assert sorted(t.name for t in ready(session, case_id)) == ["填写申请", "督办"]
        assert fire_due_timers(engine, session) == 0
        fill = next(t for t in ready(session, case_id) if t.name == "填写申请")
        cases.complete_task(engine, session, fill.id, APPLY, user=people.user_by_name(session, "alice"))
        assert sorted(t.name for t in ready(session, case_id)) == ["审核", "督办"]
        newer = cases.start_case(engine, session, "sample_review", {}, org_code="county-a", actor="alice")
        attachments.store(session, newer.id, "evidence", "补充.txt", "text/plain", b"more", actor="alice",
                          now=PAST_DUE)
        session.commit()
        first = session.get(Case, case_id)
        assert newer.id > case_id and newer.business_number == first.business_number.replace("0001", "0002")
