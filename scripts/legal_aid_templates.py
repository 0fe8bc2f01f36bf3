"""Write the Word templates of the legal-aid compliance audit (forms/legal_aid/audit_*.docx) with python-docx.

Run `python scripts/legal_aid_templates.py` after changing a text here; staff may equally edit the .docx files in
Word afterwards. Placeholders are docxtpl/Jinja: the case data, `case.number`, `case.organization`, `today`
and the `cn_date` filter (engine/records/document_worker.py); a line `{%p for … %}` … `{%p endfor %}` repeats the
paragraphs between them.
"""
from __future__ import annotations

from pathlib import Path

from docx_writer import write_all      # scripts/docx_writer.py, beside this file

FORMS = Path(__file__).resolve().parent.parent / "forms" / "legal_aid"
L1 = "《中华人民共和国法律援助法》"
L5 = "《关于县级司法行政机关加强律师日常监督管理工作的意见》"
VETO = "{% if sheet.veto %}{{ sheet.veto_items | join('、') }}{% else %}无{% endif %}"
AREAS = "{% for code, points in (sheet.subtotals or {}).items() %}{{ code }} {{ points }} 分；{% endfor %}"

# Each template: (file name, [(kind, text)]) where kind is h1 (issuer), h2 (title), c (centred), p, r (right).
TEMPLATES = {
    "audit_plan_notice.docx": [
        ("h1", "{{ issuer_name }}"), ("h2", "关于印发《{{ campaign_title }}实施方案》的通知"), ("c", "{{ case.number }}"),
        ("p", "各区县司法局、各法律援助机构："),
        ("p", "为提高法律援助规范化服务水平，依据" + L1 + "第五十七条、《法律援助条例》和本市《法律援助机构规范服务达标标准》，"
              "决定在全市法律援助机构开展规范服务达标活动。现将实施方案印发给你们，请认真组织实施。"),
        ("p", "一、工作目标：按照达标标准（咨询接待、受理审查、指派监督、质量保证四个方面，各 25 分），实现规范服务达标率"
              "{{ target_rate }}% 以上（{% if rate_basis == 'items' %}按评分项目计算{% else %}按机构计算{% endif %}）。"),
        ("p", "二、参评范围：辖区各司法行政机关设立的法律援助机构 {{ in_scope_count }} 家；社团、院校的法律援助服务组织可参照"
              "开展，但不参加检查考评、不计入达标率。"),
        ("p", "三、实施步骤：学习动员阶段至{{ mobilise_until | cn_date }}，各机构组织学习并确定联络人；试点达标阶段至"
              "{{ pilot_until | cn_date }}，试点单位 {{ pilot_count }} 家先行实施，力争本阶段结束时 {{ pilot_target }}% 的机构达标；"
              "全面实施阶段至{{ rollout_until | cn_date }}，各机构对照标准自查整改，配合明察暗访；验收总结阶段至"
              "{{ accept_until | cn_date }}，自查报告经区县司法局审核后报市法律援助中心，中心随机抽查（比例 {{ spot_share }}%），"
              "领导小组验收。"),
        ("p", "四、评定标准：总分 90 分以上且无一票否决情形的为达标；未达标的限期{{ limits.rectification.text }}整改后复查。"),
        ("p", "方案要点：{{ plan_summary }}"),
        ("r", "{{ issuer_name }}"), ("r", "{{ today | cn_date }}"),
    ],
    "audit_self_report.docx": [
        ("h1", "{{ campaign_title }}"), ("h2", "法律援助机构规范服务达标自查报告"), ("c", "{{ case.number }}"),
        ("p", "机构：{{ institution_name }}（{{ wave_label }}）；联络人：{{ contact_name }}（{{ contact_phone }}）"),
        ("p", "自查得分：{{ self_score.total }} 分（{{ self_score.band_label }}）；各方面得分："
              "{% for code, points in (self_score.subtotals or {}).items() %}{{ code }} {{ points }} 分；{% endfor %}"),
        ("p", "一票否决情形：{% if self_score.veto %}{{ self_score.veto_items | join('、') }}{% else %}无{% endif %}"),
        ("p", "自查报告：{{ self_report }}"),
        ("p", "整改措施：{{ measures }}"),
        ("r", "{{ institution_name }}"), ("r", "{{ self_submitted_on | cn_date }}"),
    ],
    "audit_score_sheet.docx": [
        ("h1", "{{ campaign_title }}"), ("h2", "法律援助机构规范服务达标检查评分表"), ("c", "{{ case.number }}"),
        ("p", "机构：{{ institution_name }}；评分依据：{% if recheck_total is defined %}复查评分{% elif checked %}市法律援助中心"
              "抽查评分{% else %}区县司法局审核的自查评分{% endif %}"),
        ("p", "各方面得分：" + AREAS),
        ("p", "逐项得分：{% for code, points in (sheet.item_scores or {}).items() %}{{ code }} {{ points }}；{% endfor %}"),
        ("p", "一票否决（" + L1 + "第六十一条）：" + VETO),
        ("p", "明察暗访记录：{% for v in visit_list %}{{ v.visited_on }} {{ v.visit_kind }} {{ v.item_code }} {{ v.finding }}；"
              "{% else %}无{% endfor %}"),
        ("p", "总分：{{ sheet.total }} 分；结论：{{ sheet.band_label }}"),
        ("r", "市法律援助中心"), ("r", "{{ today | cn_date }}"),
    ],
    "audit_rectification_notice.docx": [
        ("h1", "{{ issuer_name }}"), ("h2", "限期整改通知书"), ("c", "{{ case.number }}"),
        ("p", "{{ institution_name }}："),
        ("p", "经验收，你单位规范服务达标评分为 {{ final_total }} 分，未达到达标标准（90 分）。"),
        ("p", "存在的问题：各方面得分 " + AREAS + "详见检查评分表。"),
        ("p", "参照" + L5 + "，请你单位于{{ rectification_deadline | cn_date }}前完成整改，并提交整改报告，市法律援助中心将进行复查。"
              "复查仍未达标的，认定为不达标。"),
        ("r", "{{ issuer_name }}"), ("r", "{{ today | cn_date }}"),
    ],
    "audit_conclusion.docx": [
        ("h1", "{{ issuer_name }}"), ("h2", "法律援助机构规范服务达标验收结论"), ("c", "{{ case.number }}"),
        ("p", "机构：{{ institution_name }}"),
        ("p", "自查得分 {{ self_total }} 分{% if check_total is defined %}，抽查得分 {{ check_total }} 分{% endif %}"
              "{% if recheck_total is defined %}，整改后复查得分 {{ recheck_total }} 分{% endif %}；最终得分 {{ final_total }} 分。"),
        ("p", "一票否决情形：{% if veto %}{{ veto_items | join('、') }}（" + L1 + "第六十一条）{% else %}无{% endif %}"),
        ("p", "验收结论：{% if passed %}达标{% else %}不达标{% endif %}。"),
        ("p", "验收意见：{{ accept_opinion }}"),
        ("r", "法律援助机构规范服务达标活动领导小组"), ("r", "{{ accepted_on | cn_date }}"),
    ],
    "audit_summary_report.docx": [
        ("h1", "{{ issuer_name }}"), ("h2", "{{ campaign_title }}总结报告"), ("c", "{{ case.number }}"),
        ("p", "一、达标率：参评机构 {{ in_scope_count }} 家，已评定 {{ assessed_count }} 家，达标 {{ passed_count }} 家。"
              "达标率（{{ rate_basis_label }}）为 {% if rate is not none %}{{ rate }}%{% else %}—{% endif %}，目标 {{ target_rate }}% 以上，"
              "{% if target_met %}已实现目标{% else %}未实现目标{% endif %}。"),
        ("p", "二、各方面平均得分：{% for a in area_means %}{{ a.title }} {{ a.mean if a.mean is not none else '—' }} 分；{% endfor %}"),
        ("p", "三、一票否决情形：{% for v in veto_hits %}{{ v.institution_name }}（{{ v.veto_items }}）；{% else %}无{% endfor %}"),
        ("p", "四、各机构得分："),
        ("p", "{%p for r in institution_rows %}"),
        ("p", "{{ r.institution_name }}（{{ r.wave_label }}）：{{ r.final_total }} 分，{{ r.band_label or r.stage }}"),
        ("p", "{%p endfor %}"),
        ("p", "五、自愿参照的组织（不计入达标率）：{% for r in volunteer_rows %}{{ r.institution_name }} 自查 {{ r.final_total }} 分；"
              "{% else %}无{% endfor %}"),
        ("p", "六、总结意见：{{ summary_opinion }}"),
        ("r", "法律援助机构规范服务达标活动领导小组"), ("r", "{{ closed_on | cn_date }}"),
    ],
}


if __name__ == "__main__":
    write_all(FORMS, TEMPLATES)
