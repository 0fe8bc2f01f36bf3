"""The participants table of a large campaign: rows read as plain columns (the same rows as before), the
organisation filter offered only while the organisations are few, filtering by one still narrowing the table."""
from __future__ import annotations

import time_machine

from engine.core import people
from engine.work import participants

from .test_campaigns import START, add_firms, campaign_bundle, children, start_campaign  # noqa: F401 - a fixture


def _city(session):
    people.add_user(session, "cityman", "市局", "city", ["leader"])
    session.commit()
    return people.user_by_name(session, "cityman")


def test_a_few_organisations_are_offered_as_a_filter(engine, session, campaign_bundle):
    city = _city(session)
    with time_machine.travel(START, tick=False):
        campaign = start_campaign(engine, session)
    table = participants.table(session, city, campaign, START)
    assert table.orgs == [("F-1", "律所F-1"), ("F-2", "律所F-2")] and table.total == 2


def test_a_thousand_firms_campaign_offers_no_list_of_every_firm_but_filters_by_one(engine, session,
                                                                                   campaign_bundle):
    add_firms(session, participants.MAX_CHOICES, first=3)
    city = _city(session)
    with time_machine.travel(START, tick=False):
        campaign = start_campaign(engine, session)
    table = participants.table(session, city, campaign, START, per_page=10)
    assert table.total == participants.MAX_CHOICES + 2 and table.orgs == [] and table.pages == 4
    found = children(session, campaign.id)
    assert [r["id"] for r in participants.table(session, city, campaign, START, per_page=None).rows] == \
        [c.id for c in found]
    seventh = next(c for c in found if c.org.code == "F-7")
    only = participants.table(session, city, campaign, START, filters={"org": "F-7"})
    assert [(r["id"], r["org_name"], r["number"], r["status"]) for r in only.rows] == \
        [(seventh.id, "律所F-7", seventh.business_number, "running")]
