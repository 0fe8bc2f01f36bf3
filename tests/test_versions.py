"""Drafts, publishing, rollback, the readable diff between versions, and export/import of a version's files."""
from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from engine.core.errors import BundleInvalid, DataValidationError, InvalidState
from engine.core.models import AuditEvent
from engine.definitions import bundle_diff, bundles, drafts
from engine.runtime import cases
from .helpers import zh

REVIEW_FILE = "processes/complaint/lawyer_complaint.bpmn"
SEVEN = b'review_deadline = limit_due("referral_review", received_at)'   # 7 working days
TEN = b'review_deadline = limit_due("review", received_at)'              # 10 working days (the table)


def validate(session, engine, draft_id: int) -> list:
    """The draft's problems, less the warnings about roles the small catalogue of `org_tree` lacks."""
    return [p for p in drafts.validate(session, engine, draft_id) if p.msg.code != "validation.role_unregistered"]


def edit(content: bytes, old: bytes, new: bytes) -> bytes:
    assert old in content
    return content.replace(old, new)


def test_a_draft_is_validated_published_audited_and_rolled_back(session, engine, deployed):
    draft = drafts.create(session, engine, actor="policy", name="审查期限改为7个工作日")
    content = drafts.files(session, draft.id)
    assert content == bundles.bundle_files(session, deployed.id)
    drafts.put(session, engine, draft.id, REVIEW_FILE, edit(content[REVIEW_FILE], TEN, SEVEN), actor="policy")
    assert validate(session, engine, draft.id) == []
    new = drafts.publish_draft(session, engine, draft.id, actor="policy", note="依据新规")
    assert (new.version, bundles.active_bundle(session).id) == (2, new.id)
    assert bundles.latest_definition(session, "lawyer_complaint").bundle_id == new.id
    published = session.scalars(select(AuditEvent).where(AuditEvent.action == "bundle_published")).all()
    assert [(e.actor, e.detail["version"], e.detail["previous"]) for e in published][-1] == ("policy", 2, 1)
    with pytest.raises(InvalidState):
        drafts.put(session, engine, draft.id, REVIEW_FILE, b"x", actor="policy")     # published drafts are frozen
    drafts.republish(session, engine, 1, actor="policy")
    assert bundles.active_bundle(session).version == 1
    assert bundles.latest_definition(session, "sample_review").bundle.version == 1
    with pytest.raises(InvalidState):
        drafts.republish(session, engine, 1, actor="policy")


def test_a_draft_with_problems_is_refused_and_the_active_version_stays(session, engine, deployed):
    draft = drafts.create(session, engine, actor="policy", name="坏草稿")
    content = drafts.files(session, draft.id)
    drafts.put(session, engine, draft.id, REVIEW_FILE,
               edit(content[REVIEW_FILE], TEN, b"review_deadline = __import__('os').system('id')"), actor="policy")
    drafts.put(session, engine, draft.id, "forms/complaint/decide.schema.json", b"{not json", actor="policy")
    problems = validate(session, engine, draft.id)
    assert {p.file for p in problems} == {REVIEW_FILE, "forms/complaint/decide.schema.json"}
    assert any(p.element for p in problems if p.file == REVIEW_FILE)
    with pytest.raises(BundleInvalid):
        drafts.publish_draft(session, engine, draft.id, actor="policy")
    assert bundles.active_bundle(session).id == deployed.id
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "bundle_published", AuditEvent.actor == "policy")) is None


def test_paths_outside_the_bundle_layout_are_refused(session, engine, deployed):
    draft = drafts.create(session, engine, actor="policy", name="路径")
    for path in ("../etc/passwd", "/abs/x.bpmn", "web/app.py", "processes/run.py", "forms/.hidden.json"):
        with pytest.raises(DataValidationError):
            drafts.put(session, engine, draft.id, path, b"x", actor="policy")


def test_the_diff_names_changed_expressions_and_form_fields(session, engine, deployed):
    before = bundles.bundle_files(session, deployed.id)
    after = dict(before)
    after[REVIEW_FILE] = edit(before[REVIEW_FILE], TEN, SEVEN)
    form = "forms/complaint/decide.schema.json"
    after[form] = edit(before[form], b'"properties": {', b'"properties": {"note_x": {"type": "string", "title": "\xe5\xa4\x87\xe6\xb3\xa8"},')
    after["forms/complaint/new_table.csv"] = b"a,b\n"
    found = {d.path: d for d in bundle_diff.diff(before, after)}
    assert found["forms/complaint/new_table.csv"].status == "added"
    script = next(c for c in found[REVIEW_FILE].changed if any(zh(a[0]) == "脚本" for a in c.aspects))
    name, old, new = next(a for a in script.aspects if zh(a[0]) == "脚本")
    assert '"review", received_at)' in old and '"referral_review", received_at)' in new
    assert [c.key for c in found[form].added] == ["note_x"] and found[form].added[0].label == "备注"
    assert found[REVIEW_FILE].added == found[REVIEW_FILE].removed == []


def test_export_and_import_round_trip_the_files(session, engine, deployed):
    data = drafts.export_zip(session, 1)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert REVIEW_FILE in names and "forms/complaint/register.schema.json" in names
    wrapped = io.BytesIO()
    with zipfile.ZipFile(wrapped, "w") as archive:      # the same files inside a top folder, as a git export has
        for name in names:
            archive.writestr(f"lawflow-v1/{name}", zipfile.ZipFile(io.BytesIO(data)).read(name))
    draft = drafts.import_zip(session, engine, wrapped.getvalue(), actor="policy", name="导入")
    assert drafts.files(session, draft.id) == bundles.bundle_files(session, deployed.id)
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("processes/../../web/x.py", b"x")
    with pytest.raises(DataValidationError):
        drafts.import_zip(session, engine, evil.getvalue(), actor="policy", name="坏包")
    with pytest.raises(DataValidationError):
        drafts.import_zip(session, engine, b"not a zip", actor="policy", name="坏包")


def test_running_cases_stay_on_their_version(session, engine, deployed):
    old = cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
    draft = drafts.create(session, engine, actor="policy", name="v2")
    content = drafts.files(session, draft.id)
    path = "processes/sample/sample_review.bpmn"
    drafts.put(session, engine, draft.id, path, edit(content[path], b'name="\xe5\xa1\xab\xe5\x86\x99\xe7\x94\xb3\xe8\xaf\xb7"', b'name="\xe5\xa1\xab\xe5\x86\x99\xe7\x94\xb3\xe8\xaf\xb7\xe4\xb9\xa6"'), actor="policy")
    drafts.publish_draft(session, engine, draft.id, actor="policy")
    new = cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
    assert [t.name for t in cases.case_tasks(session, old.id)] == ["填写申请"]
    assert [t.name for t in cases.case_tasks(session, new.id)] == ["填写申请书"]
    assert (old.definition.bundle.version, new.definition.bundle.version) == (1, 2)


SAMPLE = "processes/sample/sample_review.bpmn"


@pytest.mark.parametrize("path, old, new, element, fragment", [
    (SAMPLE, b' default="Flow_returned"', b"", "Flow_returned", "缺少条件"),
    (SAMPLE, b'value="sample/apply.schema.json"', b'value="sample/missing.schema.json"', "Task_fill", "missing"),
    (SAMPLE, b"</bpmn:process>", b"</bpmn:proces>", None, "XML"),
    ("forms/sample/apply.schema.json", b'"type": "object"', b'"type": "objekt"', None, "JSON Schema"),
])
def test_bad_drafts_are_refused_with_the_element_named(session, engine, deployed, path, old, new, element, fragment):
    draft = drafts.create(session, engine, actor="policy", name="坏草稿")
    content = drafts.files(session, draft.id)[path]
    assert old in content, old
    drafts.put(session, engine, draft.id, path, content.replace(old, new, 1), actor="policy")
    problems = validate(session, engine, draft.id)
    assert problems and all(p.file == path for p in problems), problems
    assert any(fragment in zh(p) and (element is None or p.element == element) and p.line for p in problems), problems
    with pytest.raises(BundleInvalid):
        drafts.publish_draft(session, engine, draft.id, actor="policy")
    assert bundles.active_bundle(session).id == deployed.id
