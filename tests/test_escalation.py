"""The reminder → 督办 → escalation pattern of the sample diagram, on a controlled clock, with real e-mail."""
from __future__ import annotations

import email
import email.policy
import socket
from datetime import datetime

import pytest
import time_machine
from aiosmtpd.controller import Controller

from engine.core import people
from engine.records import notifications
from engine.runtime import cases
from engine.runtime.timers import fire_due_timers
from engine.work import tasks
from engine.time.workdays import CHINA_TZ

from .helpers import ready, roundtrip, zh

APPLY = {"title": "购置办公设备", "reason": "现有设备老化，影响办公"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ)


class Sink:
    """An SMTP server on loopback that keeps what it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def smtp_sink():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def open_names(session, case_id):
    return sorted(t.name for t in ready(session, case_id))


def test_reminder_then_supervision_then_escalation(engine, session, deployed, smtp_sink):
    sink, port = smtp_sink
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:       # a Monday
        case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a", actor="alice")
        fill = ready(session, case.id)[0]
        assert fill.due_at == at("2025-10-21T00:00") and not fill.due_provisional   # 5 working days
        assert cases.get_case(session, case.id).next_timer_at == at("2025-10-17T00:00")

        clock.move_to(at("2025-10-16T23:59"))
        assert fire_due_timers(engine, session) == 0
        clock.move_to(at("2025-10-17T00:00:01"))                                  # 2 working days before
        assert fire_due_timers(engine, session) == 1
        roundtrip(engine, session, case.id)
        for username in ("alice", "amy"):
            [note] = notifications.unread(session, people.user_by_name(session, username).id)
            assert note.kind == "reminder" and note.title.startswith("临期提醒：〔2025〕样例第0001号")
        assert notifications.unread(session, people.user_by_name(session, "bob").id) == []
        assert open_names(session, case.id) == ["填写申请"]

        clock.move_to(at("2025-10-21T00:00:01"))                                  # the deadline
        assert fire_due_timers(engine, session) == 1
        assert open_names(session, case.id) == ["填写申请", "督办"]
        supervise = next(t for t in ready(session, case.id) if t.name == "督办")
        assert [u.username for u in people.candidates(session, supervise)] == ["bob"]

        clock.move_to(at("2025-10-24T00:00:01"))                                  # 3 working days overdue
        assert fire_due_timers(engine, session) == 1
        escalate = next(t for t in ready(session, case.id) if t.name == "领导督办")
        assert [u.username for u in people.candidates(session, escalate)] == ["dora"]

        cases.complete_task(engine, session, fill.id, APPLY, user=people.user_by_name(session, "alice"))
        assert open_names(session, case.id) == ["审核", "督办", "领导督办"]
        assert cases.get_case(session, case.id).next_timer_at is None
        done = next(t for t in cases.case_tasks(session, case.id) if t.name == "填写申请")
        assert done.completed_at > done.due_at                                    # late: not on time
        assert fire_due_timers(engine, session) == 0

        settings = notifications.SmtpSettings(host="127.0.0.1", port=port, sender="lawflow@bureau.example")
        assert notifications.send_pending_email(session, settings, engine.now()) == 1   # only alice has an address
        assert notifications.send_pending_email(session, settings, engine.now()) == 0
    [(to, content)] = sink.messages
    assert to == ["alice@county-a.example"] and "/cases/" in content


def test_a_notice_the_engine_wrote_is_mailed_in_the_readers_language(engine, session, deployed, smtp_sink):
    sink, port = smtp_sink
    case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a", actor="alice")
    tasks.urge(engine, session, ready(session, case.id)[0].id, people.user_by_name(session, "bob"), note="今日办结")
    settings = notifications.SmtpSettings(host="127.0.0.1", port=port, sender="lawflow@bureau.example")
    assert notifications.send_pending_email(session, settings, engine.now(), text=zh) == 1   # the web's renderer
    [(to, content)] = sink.messages
    mail = email.message_from_bytes(content.encode("utf-8"), policy=email.policy.default)
    alice, bob = people.user_by_name(session, "alice"), people.user_by_name(session, "bob")
    assert to == ["alice@county-a.example"] and mail["Subject"] == "催办：填写申请"
    body = mail.get_content().replace("\r\n", "\n")
    assert body.startswith(f"{alice.display_name}：\n\n{bob.display_name} 催办此任务。今日办结\n\n/tasks/")


def test_reminder_is_not_sent_when_the_task_is_done_in_time(engine, session, deployed):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
        cases.complete_task(engine, session, ready(session, case.id)[0].id, APPLY,
                            user=people.user_by_name(session, "alice"))
        clock.move_to(at("2025-10-30T09:00"))
        assert fire_due_timers(engine, session) == 0
        assert notifications.unread(session, people.user_by_name(session, "alice").id) == []
        assert open_names(session, case.id) == ["审核"]


def test_on_time_rate_counts_completions_at_or_before_due(engine, session, deployed):
    from engine.work.stats import on_time

    alice = people.user_by_name(session, "alice")
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        early = cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
        late = cases.start_case(engine, session, "sample_review", {}, org_code="county-b")
        cases.complete_task(engine, session, ready(session, early.id)[0].id, APPLY, user=alice)
        clock.move_to(at("2025-10-22T09:00"))
        fire_due_timers(engine, session)
        fill = next(t for t in ready(session, late.id) if t.name == "填写申请")
        cases.complete_task(engine, session, fill.id, APPLY, user=people.user_by_name(session, "carl"))
    everywhere = on_time(session)
    assert (everywhere.completed, everywhere.on_time, everywhere.rate) == (2, 1, 0.5)
    county_a = session.get(type(alice.org), alice.org_id).path
    assert on_time(session, org_path=county_a).rate == 1.0
    assert on_time(session, process_key="no_such_process").rate is None


def test_notifications_are_marked_read_only_by_their_owner(engine, session, deployed):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
        clock.move_to(at("2025-10-17T00:00:01"))
        fire_due_timers(engine, session)
        alice, amy = people.user_by_name(session, "alice"), people.user_by_name(session, "amy")
        [note] = notifications.unread(session, alice.id)
        assert notifications.mark_read(session, amy.id, [note.id], engine.now()) == 0     # not hers
        assert notifications.mark_read(session, alice.id, [note.id], engine.now()) == 1
        assert notifications.unread(session, alice.id) == [] and len(notifications.unread(session, amy.id)) == 1
