"""Write the Word templates of the legal-aid case-quality check (forms/legal_aid/quality_*.docx) with python-docx.

Run `python scripts/legal_aid_quality_templates.py` after changing a text here; staff may equally edit the .docx
files in Word afterwards. Placeholders are docxtpl/Jinja: the case data, `case.number`, `case.organization`,
`today` and the `cn_date` filter (engine/records/document_worker.py).
"""
from __future__ import annotations

from pathlib import Path

from docx_writer import write_all      # scripts/docx_writer.py, beside this file

FORMS = Path(__file__).resolve().parent.parent / "forms" / "legal_aid"
L59 = "《中华人民共和国法律援助法》第五十九条"
SHEET = ("{% for code, points in (SHEET.item_scores or {}).items() %}{{ code }} {{ points }}；{% endfor %}"
         "{% if SHEET.veto %}否决情形：{{ SHEET.veto_items | join('、') }}；{% endif %}合计 {{ SHEET.total }} 分"
         "（{{ SHEET.band_label }}）。{{ SHEET.notes or '' }}")

# Each template: (file name, [(kind, text)]) where kind is h1 (issuer), h2 (title), c (centred), p, r (right).
TEMPLATES = {
    "quality_result_notice.docx": [
        ("h1", "{{ institution_name }}"), ("h2", "法律援助案件质量评查结果通知"), ("c", "{{ case.number }}"),
        ("p", "{{ lawyer_name }}律师（{{ firm_name or '' }}）："),
        ("p", "你承办的法律援助案件 {{ case_number }}（{{ case_type }}，{{ closed_on | cn_date }}结案）经同行评查，评查得分"
              " {{ final_total }} 分，等次为{{ grade_label }}。{% if third_review %}两名评查人评分相差超过 "
              "{{ gap_threshold }} 分（或对否决情形认定不一），由第三评查人评定。{% endif %}"),
        ("p", "评查意见：{{ review_notes or '无' }}"),
        ("p", "{% if grade == 'failed' %}请于{{ rectification_due | cn_date }}前完成整改，并将整改情况报送{{ institution_name }}。"
              "{% if lawyer_flagged %}你{{ limits.failure_lookback.text }}内已有评查不合格案卷（{{ earlier_failures | join('、') }}），已列入暂停指派提示名单。"
              "{% endif %}{% else %}请继续保持办案质量。{% endif %}"),
        ("p", "依据：" + L59 + "（案卷检查）；等次分数线为本地设定。"),
        ("r", "{{ institution_name }}"), ("r", "{{ today | cn_date }}"),
    ],
    "quality_review_sheet.docx": [
        ("h1", "{{ institution_name }}"), ("h2", "法律援助案件质量评查表（汇总）"), ("c", "{{ case.number }}"),
        ("p", "案号：{{ case_number }}；案件类型：{{ case_type }}；承办律师：{{ lawyer_name }}（{{ firm_name or '' }}）；"
              "结案日期：{{ closed_on | cn_date }}"),
        ("p", "第一评查人 {{ reviewer_a }}：" + SHEET.replace("SHEET", "reviews.a")),
        ("p", "第二评查人 {{ reviewer_b }}：" + SHEET.replace("SHEET", "reviews.b")),
        ("p", "{% if third_review %}第三评查人 {{ reviewer_c }}：" + SHEET.replace("SHEET", "review_c") + "{% endif %}"),
        ("p", "评查得分：{{ final_total }} 分；等次：{{ grade_label }}"),
        ("r", "评查组"), ("r", "{{ graded_on | cn_date }}"),
    ],
}


if __name__ == "__main__":
    write_all(FORMS, TEMPLATES)
