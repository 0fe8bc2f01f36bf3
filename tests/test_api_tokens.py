"""Bearer tokens: the token, the user's being active and organisation count at once; roles within a few seconds."""
from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import delete, update

from engine.core import people
from engine.core.models import ApiToken, Role, User, UserRole
from web.database import session as db_session
from web.tokens import user_for_token

from .web_helpers import token_for


def _acting(app, headers):
    """Who the token acts as, read as an API request would: (username, organisation code, role codes) or None."""
    with app.test_request_context():
        user = user_for_token(headers["Authorization"].split(" ", 1)[1])
        return None if user is None else (user.username, user.org.code, sorted(r.code for r in user.roles))


def _change(app, statement):
    with app.app_context():
        db = db_session()
        db.execute(statement)
        db.commit()


def test_a_revoked_token_is_refused_on_the_next_request(app, client):
    headers = token_for(app, "zhang")
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    _change(app, update(ApiToken).values(revoked_at=ApiToken.created_at))
    assert client.get("/api/v1/cases", headers=headers).status_code == 401


def test_a_deactivated_user_is_refused_on_the_next_request(app):
    headers = token_for(app, "zhang")
    assert _acting(app, headers) == ("zhang", "county-a", ["handler"])
    _change(app, update(User).where(User.username == "zhang").values(active=False))
    assert _acting(app, headers) is None


def test_a_user_moved_to_another_organisation_acts_there_at_once(app):
    headers = token_for(app, "zhang")
    assert _acting(app, headers)[1] == "county-a"
    with app.app_context():
        db = db_session()
        db.execute(update(User).where(User.username == "zhang")
                   .values(org_id=people.organization(db, "county-b").id))
        db.commit()
    assert _acting(app, headers)[1] == "county-b"


def test_a_change_of_roles_reaches_the_api_within_the_configured_seconds(app):
    headers = token_for(app, "zhang")
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as clock:
        assert _acting(app, headers)[2] == ["handler"]
        with app.app_context():
            db = db_session()
            leader = db.query(Role).filter_by(code="leader").one()
            zhang = people.user_by_name(db, "zhang")
            db.execute(delete(UserRole).where(UserRole.user_id == zhang.id))
            db.add(UserRole(user_id=zhang.id, role_id=leader.id))
            db.commit()
        clock.shift(timedelta(seconds=app.config["API_USER_CACHE_SECONDS"] - 1))
        assert _acting(app, headers)[2] == ["handler"]          # the loaded roles, still within the limit
        clock.shift(timedelta(seconds=1))
        assert _acting(app, headers)[2] == ["leader"]
