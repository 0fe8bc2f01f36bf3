"""Scoring standards as data: located problems at deploy, scoring by the server, the workbook and the diff."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from engine.core.errors import BundleInvalid, DataValidationError
from engine.core.models import Bundle, BundleFile
from engine.definitions import bundle_diff, bundles
from engine.definitions.scoring import score_sheet
from engine.definitions.standard_workbook import standard_from_workbook, standard_to_workbook
from engine.definitions.standards import read_standard

from .conftest import ROOT
from .helpers import zh
from .standards_data import MINI, bundle, encoded, mini

LAW_FIRM_PATH = "forms/law_firm/standard.json"
LAW_FIRM = json.loads((ROOT / LAW_FIRM_PATH).read_bytes())
FREE_ITEMS = [item for dim in LAW_FIRM["dimensions"] for item in dim["items"] if "deduction" not in item]


def problems_of(standard: dict) -> list[tuple[str, int | None, str]]:
    content = encoded(standard)
    _, problems = read_standard("forms/test/mini.standard.json", content)
    return [(p.element, p.line, zh(p)) for p in problems]


def line_of(standard: dict, text: str, nth: int = 0) -> int:
    content = encoded(standard).decode()
    at = -1
    for _ in range(nth + 1):
        at = content.index(text, at + 1)
    return content.count("\n", 0, at) + 1


def test_the_shipped_standard_is_valid_and_an_untouched_sheet_scores_full_points():
    standard, problems = read_standard(LAW_FIRM_PATH, (ROOT / LAW_FIRM_PATH).read_bytes())
    assert problems == []
    assert [(d["code"], d["points"], len(d["items"])) for d in standard["dimensions"]] == [
        ("D1", 15, 4), ("D2", 25, 6), ("D3", 20, 5), ("D4", 20, 5), ("D5", 10, 3), ("D6", 10, 3)]
    assert [v["code"] for v in standard["vetoes"]] == ["V1", "V2", "V3", "V4"] and "auto" in standard["vetoes"][0]
    sheet = score_sheet(standard, {}, path="law_firm/standard.json")
    assert (sheet["total"], sheet["band"], sheet["band_label"], sheet["passed"]) == (100, "exemplary", "规范化（示范）", True)
    assert sheet["subtotals"] == {"D1": 15, "D2": 25, "D3": 20, "D4": 20, "D5": 10, "D6": 10}


def test_points_that_do_not_add_up_are_named_with_their_place_and_line():
    broken = mini()
    broken["dimensions"][0]["items"][0]["points"] = 7             # A1 above its dimension A (6), A sums to 9
    assert problems_of(broken) == [
        ("/dimensions/0/items/0", line_of(broken, '"A1"'), "评分项 A1 组织设置 的分值 7 超过所属维度 A 的分值 6"),
        ("/dimensions/0", line_of(broken, '"A"'), "维度 A 制度 下各评分项分值合计 9，与维度分值 6 不符"),
    ]
    broken = mini(scale=12)
    assert problems_of(broken) == [("/scale", line_of(broken, '"scale"'), "各维度分值合计 10，与满分 12 不符")]


def test_a_duplicate_code_and_a_deduction_beyond_its_item_are_named():
    broken = mini()
    broken["dimensions"][1]["items"][0]["code"] = "A2"
    broken["dimensions"][0]["items"][1]["deduction"].update(points=3, cap=5)
    assert problems_of(broken) == [
        ("/dimensions/1/items/0", line_of(broken, '"A2"', 1), "编码 A2 重复使用"),
        ("/dimensions/0/items/1/deduction/points", line_of(broken, '"A2"'),
         "评分项 A2 无查实事件：每次扣分 3 超过该项分值 2"),
        ("/dimensions/0/items/1/deduction/cap", line_of(broken, '"A2"'),
         "评分项 A2 无查实事件：扣分上限 5 超过该项分值 2"),
    ]


@pytest.mark.parametrize("bands, found", [
    ([{"code": "hi", "label": "高", "min": 8}, {"code": "lo", "label": "低", "max": 7}],
     [("/bands/0", "hi", "总分 7 至 8 之间没有对应的等次")]),
    ([{"code": "hi", "label": "高", "min": 6}, {"code": "lo", "label": "低", "max": 7}],
     [("/bands/0", "hi", "等次 lo 与 hi 的分数区间重叠")]),
    ([{"code": "hi", "label": "高", "min": 5, "max": 12}, {"code": "lo", "label": "低", "min": 0, "max": 5}],
     [("/bands/0", "hi", "等次 hi 的上限没有覆盖最高总分 12")]),
    ([{"code": "hi", "label": "高", "min": 5}, {"code": "lo", "label": "低", "min": 1, "max": 5}],
     [("/bands/1", "lo", "等次 lo 从 1 分起，更低的总分没有对应的等次")]),
])
def test_bands_with_a_gap_an_overlap_or_short_of_the_range_are_named(bands, found):
    broken = mini(bands=bands, veto_band="lo")
    assert problems_of(broken) == [(where, line_of(broken, f'"{code}"'), text) for where, code, text in found]


def test_a_veto_band_naming_no_band_and_an_auto_rule_of_the_wrong_shape_are_named():
    broken = mini(veto_band="gone")
    assert problems_of(broken) == [("/veto_band", line_of(broken, '"gone"'), "否决时的等次 gone 不存在")]
    broken = mini()
    broken["vetoes"][0]["auto"]["match"] = "party_code"
    [(where, line, text)] = problems_of(broken)
    assert where == "/vetoes/0/auto/match" and line == line_of(broken, '"match"')
    assert text.startswith("评分标准格式不符（/vetoes/0/auto/match）：")


def test_deploy_refuses_a_broken_standard_and_a_form_naming_a_missing_one(engine, session):
    broken = mini(scale=12)
    with pytest.raises(BundleInvalid) as refused:
        bundles.deploy(session, bundle(broken, {"forms/test/other.schema.json": encoded(
            {"type": "object", "properties": {"s": {"type": "object", "x-standard": "test/none.standard.json"}}})}),
            engine=engine)
    assert [(p.file, p.element, zh(p)) for p in refused.value.problems] == [
        ("forms/test/mini.standard.json", "/scale", "各维度分值合计 10，与满分 12 不符"),
        ("forms/test/other.schema.json", "s", "x-standard 引用的 forms/test/none.standard.json 不是本版本中的评分标准"),
    ]
    assert session.scalar(select(Bundle.id)) is None
    result = bundles.deploy(session, bundle(), engine=engine)
    files = dict(session.execute(select(BundleFile.path, BundleFile.kind)
                                 .where(BundleFile.bundle_id == result.bundle.id)).all())
    assert files["forms/test/mini.standard.json"] == "standard" and result.warnings == []


# --- scoring


def test_each_rule_kind_caps_bonus_and_a_veto_item():
    sheet = score_sheet(MINI, {
        "items": {"A1": {"deductions": [{"reason": "未设", "count": 1}]},
                  "A2": {"deductions": [{"reason": "甲", "count": 2}, {"reason": "乙", "count": 1}]},
                  "B1": {"score": 3.5, "reason": "未全部公示"}},
        "bonus": {"X1": {"points": 1.5, "reason": "有创新"}}, "notes": "好"})
    assert sheet["item_scores"] == {"A1": 0, "A2": 0, "B1": 3.5}               # A2: 3 occurrences, capped at 2
    assert (sheet["subtotals"], sheet["bonus_total"], sheet["total"]) == ({"A": 0, "B": 3.5}, 1.5, 5)
    assert (sheet["veto"], sheet["band"], sheet["passed"]) == (False, "failed", False)
    vetoed = score_sheet(MINI, {"vetoes": {"B1": {"hit": True, "grounds": "虚假公示"}}})
    assert (vetoed["total"], vetoed["veto"], vetoed["veto_items"], vetoed["band"], vetoed["passed"]) == (
        10, True, ["B1"], "failed", False)


@pytest.mark.parametrize("total, band, passed", [
    (69.5, "failed", False), (70, "rectify", False), (79.99, "rectify", False), (80, "standard", True),
    (90, "exemplary", True)])
def test_bands_at_their_boundaries(total, band, passed):
    sheet = score_sheet(LAW_FIRM, {"items": _losing(100 - total)})
    assert (sheet["total"], sheet["band"], sheet["passed"]) == (total, band, passed)


def _losing(points: float) -> dict:
    """Entries for items without a deduction rule that lose exactly `points` in all."""
    entries = {}
    for item in FREE_ITEMS:
        lost = round(min(points, item["points"]), 2)
        if lost <= 0:
            break
        entries[item["code"]] = {"score": round(item["points"] - lost, 2), "reason": "不足"}
        points = round(points - lost, 2)
    return entries


def test_a_veto_fails_whatever_the_score():
    sheet = score_sheet(LAW_FIRM, {"vetoes": {"V4": {"hit": True, "grounds": "申报材料虚假"}}})
    assert (sheet["total"], sheet["veto"], sheet["band"], sheet["band_label"], sheet["passed"]) == (
        100, True, "failed", "不达标", False)


@pytest.mark.parametrize("entry, field, text", [
    ({"items": {"B1": {"score": 5}}}, "s.items.B1.score", "B1 公示：得分应为 0 至 4 之间的数"),
    ({"items": {"A2": {"deductions": [{"reason": " ", "count": 1}]}}}, "s.items.A2.deductions.0.reason",
     "A2 无查实事件：每项扣分须写明理由"),
    ({"vetoes": {"V2": {"hit": True}}}, "s.vetoes.V2.grounds", "V2 弄虚作假：一票否决须写明依据"),
    ({"items": {"Z9": {"score": 1}}}, "s.items.Z9", "Z9 不是本评分标准的评分项"),
    ({"items": {"A2": {"deductions": [{"reason": "甲", "count": 0}]}}}, "s.items.A2.deductions.0.count",
     "A2 无查实事件：次数应为不小于 1 的整数"),
    ({"items": {"A1": {"deductions": [{"reason": "甲", "count": 2}]}}}, "s.items.A1.deductions.0.count",
     "A1 组织设置：本项为一次性扣分，次数只能为 1"),
    ({"items": {"B1": {"score": 3}}}, "s.items.B1.reason", "B1 公示：得分低于满分须写明理由"),
    ({"bonus": {"X1": {"points": 3, "reason": "多"}}}, "s.bonus.X1.points", "X1 创新：得分应为 0 至 2 之间的数"),
])
def test_bad_entries_are_refused_naming_the_item(entry, field, text):
    with pytest.raises(DataValidationError) as refused:
        score_sheet(MINI, entry, field="s")
    assert [(e.field, zh(e)) for e in refused.value.errors] == [(field, text)]


def test_an_auto_item_changed_without_a_reason_is_refused_and_left_out_takes_the_findings():
    found = {"A2": {"cases": [{"id": 7, "number": "I7"}], "count": 1}, "V1": {"cases": [], "count": 0}}
    with pytest.raises(DataValidationError) as refused:
        score_sheet(MINI, {"items": {"A2": {"deductions": []}}}, found, field="s")
    assert [(e.field, zh(e)) for e in refused.value.errors] == [
        ("s.items.A2.override_reason", "A2 无查实事件：系统记录为 1，填写为 0，更改须写明理由")]
    sheet = score_sheet(MINI, {}, found)
    assert sheet["item_scores"]["A2"] == 1 and sheet["items"]["A2"]["deductions"][0]["reason"] == "I7"
    assert sheet["findings"] == found


def test_totals_a_client_sends_are_replaced():
    sheet = score_sheet(MINI, {"items": {"A1": {"deductions": [{"reason": "未设"}]}}, "total": 10, "band": "top",
                               "passed": True, "item_scores": {"A1": 4}}, path="test/mini.standard.json")
    assert (sheet["total"], sheet["band"], sheet["passed"], sheet["item_scores"]["A1"]) == (6, "failed", False, 0)
    assert sheet["standard"] == "test/mini.standard.json"


# --- workbooks


@pytest.mark.parametrize("standard", [LAW_FIRM, MINI], ids=["law_firm", "mini"])
def test_a_workbook_round_trip_gives_the_same_standard(standard):
    content = standard_to_workbook(standard, zh)
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["标准", "维度与评分项", "加分项", "否决项", "等次"]
    assert [c.value for c in book["维度与评分项"][1]] == [
        "维度编码", "维度", "维度分值", "编码", "评分项", "分值", "检查内容", "扣分方式", "扣分值", "扣分上限",
        "计量单位", "扣分说明", "一票否决", "自动规则(JSON)", "比例步长（百分点）"]
    assert standard_from_workbook(content, zh) == standard


def test_a_broken_workbook_is_refused_naming_sheet_row_and_column():
    book = load_workbook(io.BytesIO(standard_to_workbook(MINI, zh)))
    items = book["维度与评分项"]
    items["F3"] = "两分"                       # the points of A2
    items["N4"] = "{not json"                 # the auto rule of B1
    book["等次"]["C2"] = "九十"
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(BundleInvalid) as refused:
        standard_from_workbook(out.getvalue(), zh)
    assert [(p.element, zh(p)) for p in refused.value.problems] == [
        ("维度与评分项!F3", "工作表「维度与评分项」第 3 行 F 列：应填数字，实为：两分"),
        ("维度与评分项!N4", "工作表「维度与评分项」第 4 行 N 列：自动规则不是有效的 JSON："
                           "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        ("等次!C2", "工作表「等次」第 2 行 C 列：应填数字，实为：九十"),
    ]


def test_a_workbook_whose_standard_does_not_add_up_names_the_row():
    book = load_workbook(io.BytesIO(standard_to_workbook(MINI, zh)))
    book["维度与评分项"]["F2"] = 5                # A1 5 points: dimension A sums to 7
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(BundleInvalid) as refused:
        standard_from_workbook(out.getvalue(), zh)
    assert [zh(p) for p in refused.value.problems] == [
        "工作表「维度与评分项」第 2 行 - 列：维度 A 制度 下各评分项分值合计 7，与维度分值 6 不符"]


def test_a_file_that_is_no_workbook_or_inflates_too_far_is_refused():
    with pytest.raises(BundleInvalid) as refused:
        standard_from_workbook(b"not a zip", zh)
    assert zh(refused.value.problems[0]).startswith("文件不是 Excel 工作簿（.xlsx）")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b" " * (60 * 1024 * 1024))
    with pytest.raises(BundleInvalid) as refused:
        standard_from_workbook(bomb.getvalue(), zh)
    assert zh(refused.value.problems[0]) == "工作簿解压后过大（1 个部件，60.0 MB），不予读取"


# --- the diff


def test_the_diff_names_changed_points_and_thresholds():
    after = mini()
    after["dimensions"][0]["items"][1]["deduction"]["points"] = 2
    after["bands"][1]["min"], after["bands"][2]["max"] = 7.5, 7.5
    after["pass"]["min_total"] = 7.5
    [found] = bundle_diff.diff({"forms/x.standard.json": encoded(MINI)}, {"forms/x.standard.json": encoded(after)})
    changes = {(c.key, zh(name), before, now) for c in found.changed for name, before, now in c.aspects}
    assert changes == {("(standard)", "合格分", "8", "7.5"), ("A2", "扣分值", "1", "2"),
                       ("good", "等次下限（含）", "8", "7.5"), ("fix", "等次上限（不含）", "8", "7.5")}


def test_an_auto_item_with_a_fixed_rule_takes_one_deduction_however_many_cases_are_found():
    fixed = mini()
    fixed["dimensions"][0]["items"][1]["deduction"] = {"kind": "fixed", "points": 2}
    found = {"A2": {"cases": [{"id": 1, "number": "I1"}, {"id": 2, "number": "I2"}], "count": 2}}
    sheet = score_sheet(fixed, {"items": {"A2": {"deductions": [{"reason": "I1, I2", "count": 1}]}}}, found)
    assert sheet["item_scores"]["A2"] == 0
    assert score_sheet(fixed, {}, found)["items"]["A2"]["deductions"][0]["count"] == 1


def _parsed_problems(files: dict[str, bytes]) -> list[tuple[str, str | None, int | None, str, bool]]:
    from engine.definitions.validation import parse_bundle
    from engine.runtime.engine import Engine

    _, problems = parse_bundle(files, Engine().sandbox)
    return [(p.file, p.element, p.line, zh(p), p.blocking) for p in problems]


def test_standard_keywords_belong_on_a_top_level_object_field():
    form = {"type": "object", "properties": {
        "group": {"type": "object", "properties": {"inner": {"type": "object", "x-standard": "test/mini.standard.json"}}},
        "flat": {"type": "string", "x-standard": "test/mini.standard.json"},
        "alone": {"type": "object", "x-standard-compare": "self_score"}}}
    content = encoded(form)
    found = _parsed_problems(bundle(extra={"forms/test/other.schema.json": content}))
    assert content.decode().splitlines()[8].strip().startswith('"x-standard"')        # encoded() indents by 2
    assert sorted(found) == sorted([
        ("forms/test/other.schema.json", "group/inner", 9, "x-standard 只能用于类型为 object 的顶层字段", True),
        ("forms/test/other.schema.json", "flat", 15, "x-standard 只能用于类型为 object 的顶层字段", True),
        ("forms/test/other.schema.json", "alone", 19, "x-standard-compare 必须与 x-standard 一起使用", True),
    ])


def test_an_auto_rule_that_would_find_nothing_is_a_warning_with_its_line():
    standard = mini()
    standard["vetoes"][0]["auto"]["where"] = [{"verdict": "severe"}]
    standard["dimensions"][0]["items"][1]["auto"]["process"] = "nowhere"
    assert _parsed_problems(bundle(standard)) == [
        ("forms/test/mini.standard.json", "/dimensions/0/items/1/auto", line_of(standard, '"A2"'),
         "A2：自动规则引用的流程 nowhere 不在本版本中", False),
        ("forms/test/mini.standard.json", "/vetoes/0/auto", line_of(standard, '"V1"'),
         "V1：verdict 不是流程 incident 的可统计字段，该规则查不到案件", False),
    ]
