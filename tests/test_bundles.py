"""Bundle versions: content-hashed, immutable; running cases stay on theirs, new cases take the newest."""
from __future__ import annotations

import json

import pytest

from engine.core import people
from engine.core.errors import DataValidationError
from engine.definitions import bundles
from engine.runtime import cases

from .conftest import ROOT, bundle_with
from .helpers import only_ready, roundtrip, zh

APPLY = {"title": "购置办公设备", "reason": "现有设备老化，影响办公"}


def with_required_phone() -> dict[str, bytes]:
    schema = json.loads((ROOT / "forms/sample/apply.schema.json").read_text(encoding="utf-8"))
    schema["required"].append("phone")
    schema["properties"]["phone"] = {"type": "string", "title": "联系电话", "minLength": 7}
    files = bundle_with()
    files["forms/sample/apply.schema.json"] = json.dumps(schema, ensure_ascii=False).encode()
    return files


def test_same_content_makes_no_new_version(engine, session, org_tree):
    first = bundles.deploy(session, bundle_with(), engine=engine)
    again = bundles.deploy(session, bundle_with(), engine=engine)
    assert first.created and not again.created
    assert again.bundle.id == first.bundle.id and first.bundle.version == 1
    assert {f.path for f in first.bundle.files} >= {"processes/sample/sample_review.bpmn",
                                                   "forms/sample/apply.schema.json"}


def test_running_cases_keep_their_version_and_its_forms(engine, session, org_tree):
    bundles.deploy(session, bundle_with(), engine=engine)
    old = cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
    second = bundles.deploy(session, with_required_phone(), engine=engine)
    assert second.created and second.bundle.version == 2
    new = cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
    roundtrip(engine, session, old.id)
    assert old.definition.bundle.version == 1 and new.definition.bundle.version == 2
    alice = people.user_by_name(session, "alice")

    cases.complete_task(engine, session, only_ready(session, old.id).id, APPLY, user=alice)
    with pytest.raises(DataValidationError) as err:
        cases.complete_task(engine, session, only_ready(session, new.id).id, APPLY, user=alice)
    assert [(e.field, zh(e)) for e in err.value.errors] == [("phone", "联系电话为必填项")]
    cases.complete_task(engine, session, only_ready(session, new.id).id, {**APPLY, "phone": "0571-1234567"},
                        user=alice)
    assert {d.bundle.version for d in bundles.latest_definitions(session)} == {2}
