"""Write the Word templates of the complaint procedure's answers (issue 19: rectification, transfer notice, bar
service, return to the bureau, mediation referral) into forms/complaint/ with python-docx.

Run `python scripts/complaint_answer_templates.py` after changing a text here; staff may equally edit the .docx
files in Word afterwards. Placeholders are docxtpl/Jinja: the case data, `case.number`, `case.organization`,
`today` and the `cn_date` filter (engine/records/document_worker.py). Only the templates named here are written;
the complaint's older templates are left as they are.
"""
from __future__ import annotations

from pathlib import Path

from docx_writer import write_all      # scripts/docx_writer.py, beside this file

FORMS = Path(__file__).resolve().parent.parent / "forms" / "complaint"
L5 = "《关于县级司法行政机关加强律师日常监督管理工作的意见》"
L10 = "《关于进一步规范全省律师和律师事务所违法违规行为投诉处理工作的通知》"
L2 = "《中华人民共和国律师法》"

TEMPLATES = {
    "transfer_notice.docx": [
        ("h1", "{{ case.organization }}"), ("h2", "投诉转办告知书"), ("c", "{{ case.number }}"),
        ("p", "{{ complainant_name }}："),
        ("p", "你（单位）于{{ received_on | cn_date }}对{{ respondent_name }}的投诉，经审查，{{ decision_reason }}。"
              "根据" + L10 + "的规定，本机关已于{{ decided_at | cn_date }}决定将该投诉转{{ transfer_to_name }}依法处理。"),
        ("p", "接收机关：{{ transfer_to_name }}。此后该投诉由接收机关办理并答复你（单位），审查期限自接收机关收到之日起计算。"),
        ("p", "特此告知。"),
        ("r", "{{ case.organization }}"), ("r", "{{ today | cn_date }}"),
    ],
    "rectification_notice.docx": [
        ("h1", "{{ case.organization }}"), ("h2", "限期整改通知书"), ("c", "{{ case.number }}"),
        ("p", "{{ respondent_name }}："),
        ("p", "本机关在办理{{ complainant_name }}对你的投诉中查明：{{ findings }}"),
        ("p", "上述行为{{ outcome_reason }}（{{ legal_basis }}）。根据" + L5 + "第四部分第（六）项的规定，现责令你自本通知书送达"
              "之日起{{ rectification_period_text or limits.rectification_period.text }}内改正，并将整改情况书面报告本机关。期限按月计算，到期月的对应日为最后一日；最后一日为法定节假日或"
              "休息日的，顺延至其后的第一个工作日。"),
        ("p", "逾期不改正的，本机关将依法处理。"),
        ("r", "{{ case.organization }}"), ("r", "{{ today | cn_date }}"),
    ],
    "rectification_service_receipt.docx": [
        ("h1", "{{ case.organization }}"), ("h2", "送达回证"), ("c", "{{ case.number }}"),
        ("p", "送达文书：限期整改通知书"),
        ("p", "受送达人：{{ respondent_name }}"),
        ("p", "送达方式：{{ rectification_service_method_label }}"),
        ("p", "送达日期：{{ rectification_served_on | cn_date }}"),
        ("p", "送达凭证：{{ rectification_service_proof }}"),
        ("p", "整改期限：{{ rectification_deadline | cn_date }}止"),
        ("r", "{{ case.organization }}"), ("r", "{{ today | cn_date }}"),
    ],
    "rectification_report.docx": [
        ("h1", "{{ case.organization }}"), ("h2", "关于责令限期整改情况的报告"), ("c", "{{ case.number }}"),
        ("p", "{{ rectification_report_to_name }}："),
        ("p", "本机关在办理{{ complainant_name }}投诉{{ respondent_name }}一案中，经调查，{{ outcome_reason }}，依照" + L5 +
              "第四部分第（六）项责令被投诉人限期改正。限期整改通知书于{{ rectification_served_on | cn_date }}送达，整改期限至"
              "{{ rectification_deadline | cn_date }}止。"),
        ("p", "整改核查结果：{% if rectified %}被投诉人已按要求整改{% else %}被投诉人未按要求整改{% endif %}。"),
        ("p", "核查和回访情况：{{ followup_note }}"),
        ("p", "特此报告。"),
        ("r", "{{ case.organization }}"), ("r", "{{ today | cn_date }}"),
    ],
    "discipline_service_receipt.docx": [
        ("h1", "{{ case.organization }}"), ("h2", "处分决定送达回证"), ("c", "{{ case.number }}"),
        ("p", "送达文书：会员违规行为处分决定书（{{ discipline_sanction_label }}）"),
        ("p", "受送达会员：{{ respondent_name }}"),
        ("p", "送达方式：{{ discipline_service_method_label }}"),
        ("p", "送达日期：{{ discipline_served_on | cn_date }}"),
        ("p", "送达凭证：{{ discipline_service_proof }}"),
        ("p", "公布：本处分为通报批评以上的行业处分，送达后按规定在行业内公布。"),
        ("r", "{{ case.organization }}"), ("r", "{{ today | cn_date }}"),
    ],
    "discipline_return_letter.docx": [
        ("h1", "{{ case.organization }}"), ("h2", "退回函"), ("c", "{{ case.number }}"),
        ("p", "{{ complaint_org_name }}："),
        ("p", "你局移送的{{ complainant_name }}投诉{{ respondent_name }}一案，本会于{{ discipline_received_at | cn_date }}收到。"
              "经审查，{{ discipline_return_reason_label }}，现将该案退回你局依法处理。"),
        ("p", "说明：{{ discipline_filing_opinion }}"),
        ("p", "附：移送的投诉材料、调查报告及有关证据材料。"),
        ("r", "{{ case.organization }}"), ("r", "{{ today | cn_date }}"),
    ],
    "mediation_referral_letter.docx": [
        ("h1", "{{ case.organization }}"), ("h2", "纠纷调解移送函"), ("c", "{{ case.number }}"),
        ("p", "{{ mediation_org_name }}："),
        ("p", "本机关在办理{{ complainant_name }}投诉{{ respondent_name }}一案中查明，该投诉系{{ mediation_dispute_label }}。根据"
              + L2 + "第四十六条第一款第（七）项和" + L5 + "第四部分第（五）项的规定，现将该纠纷移送你会调解，请于"
              "{{ mediation_deadline | cn_date }}前将调解结果函告本机关。"),
        ("p", "投诉事实和理由：{{ facts }}"),
        ("p", "投诉请求：{{ requests }}"),
        ("p", "调查情况：{{ findings }}"),
        ("r", "{{ case.organization }}"), ("r", "{{ today | cn_date }}"),
    ],
}

if __name__ == "__main__":
    write_all(FORMS, TEMPLATES)
