"""Diagrams, forms, templates and zips are written by people and not trusted: whatever they hold, validation
names the file and element, nothing of a refused bundle is stored, and nothing they hold can exhaust the server."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import bundles, cases, numbering
from engine.errors import BundleInvalid, InvalidState
from engine.models import Bundle, BusinessSequence, Case, ProcessDefinition

from .conftest import ROOT, bundle_with

SAMPLE = "processes/sample/sample_review.bpmn"
SAMPLE_XML = (ROOT / SAMPLE).read_text(encoding="utf-8")
SAMPLE_PATTERN = "〔{year}〕样例第{seq:04d}号"


def sample_with(old: str, new: str) -> dict[str, bytes]:
    assert old in SAMPLE_XML, old
    return bundle_with(**{SAMPLE.replace("/", "__"): SAMPLE_XML.replace(old, new, 1).encode()})


def problems_of(engine, session, files):
    """The problems a deploy reports; nothing is stored."""
    with pytest.raises(BundleInvalid) as err:
        bundles.deploy(session, files, engine=engine)
    assert session.scalar(select(func.count()).select_from(Bundle)) == 0
    return err.value.problems


# --- business-number patterns ---------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern, fragment", [
    ("{seq:0999999999d}", "宽度或精度不能超过 20"),
    ("第{seq:.100000f}号", "宽度或精度不能超过 20"),
    ("{seq:{year}}", "格式说明无效"),
    ("案" * 5000 + "{seq}", "不能超过 100 个字符"),
    ("{seq:020d}{seq:020d}{seq:020d}{seq:020d}{seq:020d}{seq}", "超过 100 个字符"),
    ("{seq:s}", "无法生成编号"),
])
def test_a_number_pattern_that_would_build_a_huge_string_is_refused(engine, session, pattern, fragment):
    [problem] = problems_of(engine, session, sample_with(SAMPLE_PATTERN, pattern))
    assert (problem.file, problem.element) == (SAMPLE, "sample_review")
    assert problem.line == SAMPLE_XML[: SAMPLE_XML.index('<bpmn:process id="sample_review"')].count("\n") + 1
    assert "业务编号格式无效" in problem.message and fragment in problem.message


def test_a_stored_pattern_beyond_the_bounds_starts_no_case(engine, session, deployed):
    definition = bundles.latest_definition(session, "sample_review")
    definition.properties = {**definition.properties, "businessNumberPattern": "{seq:0999999999d}"}
    session.commit()           # as if stored before the bounds existed
    with pytest.raises(InvalidState) as err:
        cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
    assert "业务编号格式无效" in err.value.message
    assert session.scalar(select(func.count()).select_from(Case)) == 0
    assert session.scalar(select(func.count()).select_from(BusinessSequence)) == 0


def test_a_pattern_within_the_bounds_still_numbers_cases(engine, session, deployed):
    definition = session.scalar(select(ProcessDefinition).where(ProcessDefinition.process_key == "sample_review"))
    assert definition.properties["businessNumberPattern"] == SAMPLE_PATTERN
    case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
    assert case.business_number.endswith("样例第0001号")
    assert numbering.pattern_problem("{seq:020d}") is None
