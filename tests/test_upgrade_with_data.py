"""Upgrading a database that holds data from an earlier schema: a running case and people written in the earlier
schema's shape (plain SQL: the models know only the newest) are upgraded with Alembic, and the case goes on: its
timer fires and someone added before the upgrade completes its step."""
from __future__ import annotations

import pytest
import time_machine
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from engine.core import people
from engine.core.db import alembic_config
from engine.runtime import cases
from engine.runtime.engine import Engine
from engine.runtime.timers import fire_due_timers

from .helpers import ready
from .running_case import APPLY, PAST_DUE, assert_files_kept, make_running_case


def _previous_revision() -> str:
    """The revision just before the newest, whatever the newest is when this runs."""
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return scripts.get_revision(scripts.get_current_head()).down_revision


# The revision before the newest, and 0010: before the case search text (0011) and the monthly ledgers (0012).
EARLIER = [_previous_revision(), "0010"]


@pytest.mark.parametrize("earlier", EARLIER)
def test_a_case_started_under_an_earlier_schema_goes_on_after_the_upgrade(engine, session, deployed, db_url,
                                                                          earlier):
    case_id = make_running_case(engine, session)
    session.commit()
    session.close()
    command.downgrade(alembic_config(db_url), earlier)

    # People added while the earlier schema ran, as its tables had them (no `active` organisation flag, no
    # `must_change_password`).
    county = session.execute(text("SELECT id, path FROM organization WHERE code = 'county-a'")).one()
    session.execute(text("INSERT INTO organization (code, name, kind, parent_id, path) "
                         "VALUES ('county-c', 'C县司法局', '', :parent, '/')"), {"parent": county.id})
    session.execute(text("UPDATE organization SET path = :path || CAST(id AS VARCHAR(20)) || '/' "
                         "WHERE code = 'county-c'"), {"path": county.path})
    session.execute(text("INSERT INTO user_account (username, display_name, org_id, active) "
                         "VALUES ('erin', '周九', :org, :yes)"), {"org": county.id, "yes": True})
    session.execute(text("INSERT INTO user_role (user_id, role_id) SELECT u.id, r.id FROM user_account u, role r "
                         "WHERE u.username = 'erin' AND r.code = 'handler'"))
    session.commit()
    session.close()

    command.upgrade(alembic_config(db_url), "head")

    erin = people.user_by_name(session, "erin")
    assert (erin.active, erin.must_change_password) == (True, False)
    assert people.organization(session, "county-c").active is True
    assert_files_kept(session, case_id)
    later = Engine()                       # nothing of the case in memory from before the upgrade
    with time_machine.travel(PAST_DUE, tick=False):
        assert fire_due_timers(later, session) == 1
        fill = next(t for t in ready(session, case_id) if t.name == "填写申请")
        assert "erin" in [u.username for u in people.candidates(session, fill)]
        cases.complete_task(later, session, fill.id, APPLY, user=erin)
        assert sorted(t.name for t in ready(session, case_id)) == ["审核", "督办"]
