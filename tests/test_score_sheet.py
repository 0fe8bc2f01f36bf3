"""A score sheet's posted inputs → the sheet's JSON, the page's preview of its result, and errors placed beside
their items (no database needed)."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from engine.core import DataValidationError
from web import score_sheet

from .scoring_setup import STANDARD


def test_posted_inputs_become_the_nested_sheet_and_empty_rows_are_left_out():
    form = MultiDict([
        ("s.items[D1.2].deductions[0].reason", "缺第二季度记录"), ("s.items[D1.2].deductions[0].count", "2"),
        ("s.items[D1.2].deductions[1].reason", ""), ("s.items[D1.2].deductions[1].count", ""),
        ("s.items[D1.2].note", " 抽查 3 卷 "), ("s.items[D1.2].evidence.keep", "7"),
        ("s.items[D2.1].score", "5"), ("s.items[D2.1].reason", "制度未公示"),
        ("s.vetoes[D2.1].hit", "false"), ("s.vetoes[D2.1].hit", "true"), ("s.vetoes[D2.1].grounds", "乱收费"),
        ("s.items[D2.2].found", "1"),
        ("s.items[D1.1].score", ""), ("s.bonus[B1].points", "1.5"), ("s.bonus[B1].reason", "公益服务"),
        ("s.vetoes[V1].hit", "false"), ("s.vetoes[V1].found", "1"), ("s.vetoes[V1].override_reason", "处罚已撤销"),
        ("s.vetoes[V4].hit", "false"), ("s.notes", "总体良好"), ("other", "x")])
    uploaded = {"s.items[D1.2].evidence": [{"attachment_id": 9, "filename": "记录.pdf", "size": 3}],
                "s.items[D1.2].evidence.previous": [{"attachment_id": 7, "filename": "旧.pdf", "size": 1}]}
    assert score_sheet.parse(form, "s", uploaded) == {
        "items": {"D1.2": {"deductions": [{"reason": "缺第二季度记录", "count": 2}], "note": "抽查 3 卷",
                           "evidence": [7, 9]},
                  "D2.1": {"score": 5, "reason": "制度未公示"}, "D2.2": {"deductions": []}},
        "bonus": {"B1": {"points": 1.5, "reason": "公益服务"}},
        "vetoes": {"D2.1": {"hit": True, "grounds": "乱收费"}, "V1": {"hit": False, "override_reason": "处罚已撤销"}},
        "notes": "总体良好"}


def test_a_score_that_is_no_number_stays_text_for_the_check_to_name():
    form = MultiDict([("s.items[D2.1].score", "七"), ("s.items[D1.2].deductions[0].count", "1e999")])
    assert score_sheet.parse(form, "s") == {"items": {"D2.1": {"score": "七"},
                                                      "D1.2": {"deductions": [{"reason": "", "count": "1e999"}]}}}


def test_the_preview_caps_deductions_adds_bonus_and_finds_the_band():
    sheet = {"items": {"D1.1": {"deductions": [{"reason": "未设", "count": 1}, {"reason": "again", "count": 1}]},
                       "D1.2": {"deductions": [{"reason": "缺", "count": 9}]}, "D2.1": {"score": 6}},
             "bonus": {"B1": {"points": 5}}}
    found = score_sheet.preview(STANDARD, sheet)
    assert found["item_scores"] == {"D1.1": 0, "D1.2": 0, "D2.1": 6, "D2.2": 5}
    assert found["subtotals"] == {"D1": 0, "D2": 11} and found["bonus_total"] == 2 and found["total"] == 13
    assert (found["band"], found["band_label"], found["passed"], found["veto"]) == ("failed", "不达标", False, False)
    assert score_sheet.preview(STANDARD, {})["band_label"] == "示范"


def test_a_veto_puts_any_total_in_the_veto_band():
    found = score_sheet.preview(STANDARD, {"vetoes": {"V4": {"hit": True, "grounds": "材料造假"}}})
    assert (found["total"], found["veto"], found["veto_items"], found["band"], found["passed"]) == \
        (20, True, ["V4"], "failed", False)


def test_the_preview_scores_as_the_engine_does():
    from engine.definitions.scoring import score_sheet as engine_score

    found = {"D2.2": {"cases": [{"id": 1, "number": "评001"}], "count": 2}}
    for entries in ({}, {"items": {"D2.1": {"score": 9}}}, {"vetoes": {"D2.1": {"hit": True, "grounds": "乱收费"}}},
                    {"items": {"D1.1": {"deductions": [{"reason": "未设", "count": 1}, {"reason": "又", "count": 1}]},
                               "D1.2": {"deductions": [{"reason": "缺", "count": 3}]}},
                     "bonus": {"B1": {"points": 1.5, "reason": "公益"}}}):
        page = score_sheet.preview(STANDARD, entries, found)
        try:
            engine = engine_score(STANDARD, entries, found)
        except DataValidationError:     # the engine refuses out-of-range scores; the page shows 0 for them
            assert page["item_scores"]["D2.1"] == 0
            continue
        assert {k: page[k] for k in ("item_scores", "subtotals", "bonus_total", "total", "veto", "veto_items",
                                     "band", "passed")} == \
            {k: engine[k] for k in ("item_scores", "subtotals", "bonus_total", "total", "veto", "veto_items",
                                    "band", "passed")}, entries


def test_the_engines_stored_result_wins_over_the_preview():
    stored = {"items": {}, "item_scores": {"D1.1": 4, "D1.2": 4, "D2.1": 7, "D2.2": 1}, "subtotals": {"D1": 8, "D2": 8},
              "total": 16, "band": "standard", "band_label": "达标"}
    assert score_sheet.result(STANDARD, stored)["item_scores"]["D2.2"] == 1
    assert score_sheet.result(STANDARD, stored)["band_label"] == "达标"


def test_errors_are_placed_beside_the_item_whose_code_starts_their_path():
    sheet = score_sheet.view(STANDARD, {}, {"s.items.D1.2.deductions.0.reason": "D1.2 三会一课记录：每项扣分须写明理由",
                                            "s.vetoes.V4": "V4 申报弄虚作假：须写明否决依据",
                                            "s.total": "不应提交", "t.items.D1.1": "another field"}, "s")
    items = {e.code: e.errors for d in sheet.dimensions for e in d.items}
    assert items["D1.2"] == ["D1.2 三会一课记录：每项扣分须写明理由"] and items["D1.1"] == []
    assert [v.errors for v in sheet.vetoes] == [[], ["V4 申报弄虚作假：须写明否决依据"]]
    assert sheet.errors == ["不应提交"]


def test_the_earlier_sheets_scores_are_shown_and_differences_marked():
    earlier = {"item_scores": {"D1.1": 4, "D1.2": 2, "D2.1": 7, "D2.2": 5}}
    sheet = score_sheet.view(STANDARD, {"items": {"D1.2": {"deductions": [{"reason": "缺", "count": 1}]}}}, {}, "s",
                             earlier=earlier, compare=True)
    shown = {e.code: (e.score, e.earlier, e.differs) for d in sheet.dimensions for e in d.items}
    assert shown == {"D1.1": (4, 4, False), "D1.2": (3, 2, True), "D2.1": (7, 7, False), "D2.2": (5, 5, False)}


def test_a_field_naming_a_standard_is_a_sheet_widget_drawn_from_its_context():
    from web import formfields

    schema = {"type": "object", "properties": {"score": {"type": "object", "x-standard": "t/standard.json"},
                                               "other": {"type": "object"}}}
    bare = formfields.build(schema, {}, {}, {})
    assert [(f.widget, f.sheet) for f in bare][0] == ("sheet", None) and bare[1].widget != "sheet"
    drawn = formfields.build(schema, {"score": {"notes": "好"}}, {"score.items.D1.1": "太多"}, {},
                             sheets={"score": {"standard": STANDARD, "case_id": 3}})[0].sheet
    assert drawn.notes == "好" and drawn.case_id == 3 and drawn.dimensions[0].items[0].errors == ["太多"]
