"""Write the Word templates of the law-firm acceptance procedure (forms/law_firm/*.docx) with python-docx.

Run `python scripts/law_firm_templates.py` after changing a text here; staff may equally edit the .docx files in
Word afterwards. Placeholders are docxtpl/Jinja: the case data, `case.number`, `case.organization`, `today`
and the `cn_date` filter (engine/records/document_worker.py).
"""
from __future__ import annotations

from pathlib import Path

from docx_writer import write_all      # scripts/docx_writer.py, beside this file

FORMS = Path(__file__).resolve().parent.parent / "forms" / "law_firm"
L5 = "《关于县级司法行政机关加强律师日常监督管理工作的意见》"
L25 = "《全国优秀律师事务所评定标准》"
BAND = "{{ score.band_label }}"

# Each template: (file name, [(kind, text)]) where kind is h1 (issuer), h2 (title), c (centred), p, r (right).
TEMPLATES = {
    "application_form.docx": [
        ("h1", "{{ campaign_title }}"), ("h2", "规范化律师事务所申报表"), ("c", "{{ case.number }}"),
        ("p", "律师事务所：{{ firm_name }}（统一代码 {{ firm_code }}）"),
        ("p", "住所：{{ firm_address }}；成立日期：{{ founded_on | cn_date }}"),
        ("p", "律所主任：{{ director_name }}；联系电话：{{ contact_phone }}"),
        ("p", "合伙人 {{ partners_count }} 人，执业律师 {{ lawyers_count }} 人，党员律师 {{ party_members_count or 0 }} 人"),
        ("p", "主要业务领域：{{ practice_areas or '' }}"),
        ("p", "自评总分：{{ self_total }} 分（{{ self_score.band_label }}）"),
        ("p", "自查报告：{{ self_report }}"),
        ("p", "承诺：本所申报材料真实、完整，规范执业，接受考评组检查和社会监督。如有弄虚作假，自愿接受取消本年度及下一评选"
              "年度评选资格的处理（" + L25 + "）。"),
        ("r", "{{ firm_name }}"), ("r", "{{ applied_on | cn_date }}"),
    ],
    "review_opinion.docx": [
        ("h1", "{{ county_name }}"), ("h2", "规范化律师事务所初审意见"), ("c", "{{ case.number }}"),
        ("p", "申报单位：{{ firm_name }}"),
        ("p", "材料齐全：{% if materials_complete %}是{% else %}否{% endif %}；符合申报条件：{% if eligible %}是{% else %}否"
              "{% endif %}；一票否决情形：{% if veto_found %}有（{{ veto_note }}）{% else %}无{% endif %}"),
        ("p", "初审意见：{% if review_conclusion == 'recommend' %}推荐参加实地检查{% else %}不予推荐{% endif %}。"),
        ("p", "说明：{{ review_opinion }}"),
        ("r", "{{ county_name }}"), ("r", "{{ today | cn_date }}"),
    ],
    "score_sheet.docx": [
        ("h1", "{{ campaign_title }}"), ("h2", "规范化律师事务所评分表"), ("c", "{{ case.number }}"),
        ("p", "律师事务所：{{ firm_name }}；检查日期：{{ inspected_on | cn_date }}；考评组：{{ inspectors | join('、') }}"),
        ("p", "抽查卷宗：{{ sampled_files }}"),
        ("p", "{% for code, points in (score.subtotals or {}).items() %}{{ code }}：{{ points }} 分；{% endfor %}"),
        ("p", "逐项得分：{% for code, points in (score.item_scores or {}).items() %}{{ code }} {{ points }}；{% endfor %}"),
        ("p", "加分：{{ score.bonus_total or 0 }} 分；一票否决：{% if score.veto %}{{ score.veto_items | join('、') }}"
              "{% else %}无{% endif %}"),
        ("p", "总分：{{ score.total }} 分；等次：" + BAND),
        ("p", "备注：{{ score.notes or '' }}"),
        ("r", "考评组"), ("r", "{{ today | cn_date }}"),
    ],
    "rectification_notice.docx": [
        ("h1", "{{ issuer_name }}"), ("h2", "限期整改通知书"), ("c", "{{ case.number }}"),
        ("p", "{{ firm_name }}："),
        ("p", "经实地检查，你所规范化建设评分为 {{ score.total }} 分，等次为" + BAND + "。"),
        ("p", "检查发现的问题：{{ score.notes or '详见评分表' }}"),
        ("p", "根据" + L5 + "，请你所于{{ rectification_deadline | cn_date }}前完成整改，并提交整改报告和证明材料。"
              "逾期未整改或复查仍未达标的，不予命名。"),
        ("r", "{{ issuer_name }}"), ("r", "{{ today | cn_date }}"),
    ],
    "recheck_opinion.docx": [
        ("h1", "{{ issuer_name }}"), ("h2", "规范化律师事务所复查意见"), ("c", "{{ case.number }}"),
        ("p", "律师事务所：{{ firm_name }}；复查日期：{{ rechecked_on | cn_date }}"),
        ("p", "实地检查得分 {{ inspection_total }} 分，复查得分 {{ recheck_total }} 分，等次：" + BAND + "。"),
        ("p", "复查意见：{{ recheck_opinion }}"),
        ("r", "考评组"), ("r", "{{ today | cn_date }}"),
    ],
    "publicity_notice.docx": [
        ("h1", "{{ issuer_name }}"), ("h2", "规范化律师事务所拟命名公示"), ("c", "{{ case.number }}"),
        ("p", "经申报、初审、实地检查和考评领导小组认定，{{ firm_name }}评分 {{ score.total }} 分，等次为" + BAND +
              "，拟命名为规范化律师事务所，现予公示。"),
        ("p", "公示期：{{ publicity_from | cn_date }}至{{ publicity_until | cn_date }}。"),
        ("p", "公示期间，任何单位和个人可通过本局门户网站或书面方式提出异议，并提供联系方式和相关材料。"),
        ("r", "{{ issuer_name }}"), ("r", "{{ today | cn_date }}"),
    ],
    "naming_decision.docx": [
        ("h1", "{{ issuer_name }}"), ("h2", "关于命名规范化律师事务所的决定"), ("c", "{{ case.number }}"),
        ("p", "{{ campaign_title }}经申报、初审、实地检查、认定和公示，{{ firm_name }}评分 {{ score.total }} 分，等次为"
              + BAND + "，公示期内无异议（或异议不成立）。"),
        ("p", "决定命名{{ firm_name }}为“规范化律师事务所”（" + BAND + "），有效期自{{ named_on | cn_date }}至"
              "{{ valid_until | cn_date }}。有效期内受到行政处罚或者公开谴责以上行业处分、年度检查考核不合格或者发现申报"
              "弄虚作假的，撤销命名。"),
        ("r", "{{ issuer_name }}"), ("r", "{{ named_on | cn_date }}"),
    ],
    "certificate.docx": [
        ("h1", "{{ issuer_name }}"), ("h2", "规范化律师事务所证书"), ("c", "证书编号：{{ certificate_number }}"),
        ("c", "{{ firm_name }}"),
        ("c", "经评定，评分 {{ score.total }} 分，等次" + BAND + "，命名为"),
        ("h2", "规范化律师事务所"),
        ("c", "有效期至{{ valid_until | cn_date }}"),
        ("r", "{{ issuer_name }}"), ("r", "{{ named_on | cn_date }}"),
    ],
    "revocation_decision.docx": [
        ("h1", "{{ issuer_name }}"), ("h2", "关于撤销规范化律师事务所命名的决定"), ("c", "{{ case.number }}"),
        ("p", "{{ firm_name }}于{{ named_on | cn_date }}被命名为规范化律师事务所。"),
        ("p", "撤销理由：{{ revocation_ground }}。审查意见：{{ revocation_opinion }}"),
        ("p", "决定撤销{{ firm_name }}规范化律师事务所命名，收回证书。{% if fraud_confirmed %}经查实申报弄虚作假，取消其本年度"
              "及下一评选年度（至 {{ barred_through }} 年度）的评选资格（" + L25 + "）。{% endif %}"),
        ("r", "{{ issuer_name }}"), ("r", "{{ revoked_on | cn_date }}"),
    ],
}


if __name__ == "__main__":
    write_all(FORMS, TEMPLATES)
