"""Declared-field criteria (related cases, find_cases, messages to cases): on PostgreSQL one containment test the
GIN index of lawflow_meta_fields(meta) answers (0017), finding exactly what `meta ->> name = text` finds."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from engine.core.meta_fields import fields_equal
from engine.core.models import Case
from engine.definitions import bundles
from engine.runtime import cases

from . import diagrams
from .conftest import bundle_with

METAS = {
    "text": {"complainant_id": "P-9", "respondent_id": "L-001"},
    "number": {"complainant_id": 9, "respondent_id": "L-001"},
    "number as text": {"complainant_id": "9", "respondent_id": "L-001"},
    "other respondent": {"complainant_id": "P-9", "respondent_id": "L-002"},
    "nested and empty": {"complainant_id": "P-9", "respondent_id": None, "extra": {"a": [1, "二"]}},
    "chinese": {"complainant_id": "张三", "respondent_id": "L-001", "note": "引号\"与\\反斜杠"},
}


@pytest.fixture
def stored(session, engine, org_tree):
    """One case per entry of METAS, its meta written as given (the text the engine writes)."""
    bundles.deploy(session, bundle_with({"processes/test/repeats.bpmn": diagrams.repeats(),
                                         "forms/test/respondent.schema.json": diagrams.RESPONDENT_FORM}),
                   engine=engine)
    ids = {}
    for name, meta in METAS.items():
        case = cases.start_case(engine, session, "repeats", {"complainant_id": "X", "respondent_id": "L-001"},
                                org_code="county-a")
        ids[name] = case.id
        session.execute(text(f"UPDATE case_instance SET meta = {_json(session)} WHERE id = :id"),
                        {"meta": json.dumps(meta, ensure_ascii=False), "id": case.id})
    session.commit()
    return ids


def _json(session) -> str:
    return "CAST(:meta AS JSON)" if session.get_bind().dialect.name == "postgresql" else ":meta"


def _found(session, ids, criteria) -> set[str]:
    names = {v: k for k, v in ids.items()}
    return {names[i] for i in session.scalars(select(Case.id).where(Case.id.in_(ids.values()),
                                                                     fields_equal(Case.meta, criteria)))}


def _by_reading_each(session, ids, criteria) -> set[str]:
    query = select(Case.id).where(Case.id.in_(ids.values()))
    for name, value in criteria.items():
        query = query.where(Case.meta[name].as_string() == str(value))
    names = {v: k for k, v in ids.items()}
    return {names[i] for i in session.scalars(query)}


@pytest.mark.parametrize("criteria", [
    {"complainant_id": "P-9", "respondent_id": "L-001"}, {"complainant_id": 9}, {"complainant_id": "9"},
    {"respondent_id": "L-001"}, {"complainant_id": "张三"}, {"note": "引号\"与\\反斜杠"},
    {"extra": '{"a": [1, "二"]}'}, {"complainant_id": "P-9", "respondent_id": "None"}, {"missing": "x"},
])
def test_declared_field_criteria_find_what_reading_each_field_finds(session, stored, criteria):
    assert _found(session, stored, criteria) == _by_reading_each(session, stored, criteria)


def test_declared_field_criteria_find_equal_texts_of_numbers_and_strings(session, stored):
    assert _found(session, stored, {"complainant_id": "9", "respondent_id": "L-001"}) == {"number", "number as text"}
    assert _found(session, stored, {"complainant_id": "P-9"}) == {"text", "other respondent", "nested and empty"}


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_case_holding_a_lone_surrogate_escape_neither_fails_the_index_nor_the_related_query(session, stored):
    odd = '{"complainant_id": "P-9", "respondent_id": "L-001", "note": "\\ud800"}'     # old data, as stored
    session.execute(text("UPDATE case_instance SET meta = CAST(:meta AS JSON) WHERE id = :id"),
                    {"meta": odd, "id": stored["chinese"]})
    session.commit()
    assert _found(session, stored, {"complainant_id": "P-9", "respondent_id": "L-001"}) == {"text"}


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_on_postgresql_the_criteria_are_answered_by_the_declared_fields_index(session, stored):
    query = select(Case.id).where(fields_equal(Case.meta, {"complainant_id": "P-9"}))
    compiled = query.compile(session.get_bind())
    session.execute(text("SET LOCAL enable_seqscan = off"))      # a table of six rows would be read whole
    plan = "\n".join(session.connection().exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).scalars())
    assert "ix_case_instance_meta_fields" in plan


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_where_postgresql_reads_the_rows_it_runs_the_declared_fields_function_only_on_those_the_fields_let_through(
        session, stored):
    """A table the planner believes small (cases written in the same transaction, as a campaign's 部署 step writes a
    thousand applications that each look for related cases) is read row by row: the costly function comes last."""
    query = select(Case.id).where(Case.process_key == "repeats", fields_equal(Case.meta, {"complainant_id": "P-9"}))
    compiled = query.compile(session.get_bind())
    session.execute(text("SET LOCAL enable_bitmapscan = off"))
    plan = "\n".join(session.connection().exec_driver_sql("EXPLAIN (VERBOSE) " + str(compiled),
                                                           compiled.params).scalars())
    quals = next(line for line in plan.splitlines() if "Filter:" in line)
    assert quals.index("->>") < quals.index("lawflow_meta_fields"), plan


def test_criteria_asked_one_after_another_each_find_their_own_cases(session, stored):
    """The statement is compiled once per shape and reused: each lookup still binds its own names and texts."""
    for criteria in ({"complainant_id": "P-9"}, {"complainant_id": "9"}, {"respondent_id": "L-002"},
                     {"complainant_id": "P-9", "respondent_id": "L-001"}, {"respondent_id": "L-001", "note": "x"},
                     {"complainant_id": "张三"}):
        assert _found(session, stored, criteria) == _by_reading_each(session, stored, criteria), criteria
