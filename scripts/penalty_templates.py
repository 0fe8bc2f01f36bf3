"""The administrative penalty's Word templates added for issue 19 (提请吊销函, 催缴罚款通知书), and the sentence of the
行政处罚事先告知书 that says a notice is given again because the decision went beyond the earlier one.

Run from the repository root: python scripts/penalty_templates.py
"""
from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

from docx_writer import write_all

FOLDER = Path(__file__).resolve().parent.parent / "forms" / "complaint"

TEMPLATES = {
    "revocation_proposal.docx": [
        ("h1", "{{ case.organization }}"),
        ("h2", "关于提请吊销{{ revocation_sanction_text }}的函"),
        ("c", "{{ case.number }}"),
        ("p", "省司法厅："),
        ("p", "本机关于{{ penalty_filed_at | cn_date }}对{{ respondent_name }}立案调查。经查：{{ penalty_findings }}"
              "（证据：{{ penalty_evidence | join('；') }}）。"),
        ("p", "本机关已依法送达行政处罚事先告知书{% if notice_round > 1 %}（因拟作出的处罚超出原告知内容，已重新告知）{% endif %}，"
              "当事人陈述、申辩情况：{{ statement_summary or '当事人未提出陈述、申辩。' }}"
              "{% if hearing_record %}本机关于{{ hearing_held_on | cn_date }}举行听证，听证笔录要点：{{ hearing_record }}{% endif %}"),
        ("p", "本机关认为：{{ penalty_reason }}{% if recidivism and recidivism != 'none' %}（{{ recidivism_text }}）{% endif %}"),
        ("p", "根据{{ penalty_legal_basis }}、《中华人民共和国律师法》第四十九条至第五十一条和《律师和律师事务所违法行为处罚办法》"
              "第三十一条的规定，吊销律师执业证书、律师事务所执业许可证由省级司法行政机关决定。现提请贵厅对{{ respondent_name }}"
              "作出{{ revocation_sanction_text }}的行政处罚。"),
        ("p", "附：案卷材料一套。"),
        ("r", "{{ case.organization }}"),
        ("r", "{{ today | cn_date }}"),
    ],
    "fine_reminder.docx": [
        ("h1", "{{ penalty_org_name }}"),
        ("h2", "催缴罚款通知书"),
        ("c", "{{ case.number }}"),
        ("p", "{{ respondent_name }}："),
        ("p", "本机关作出的行政处罚决定（{{ penalty_case_number }}）对你（单位）处以罚款人民币{{ fine_amount }}元，"
              "决定书已于{{ decision_served_on | cn_date }}送达。依照《中华人民共和国行政处罚法》第六十七条的规定，"
              "你（单位）应当自收到行政处罚决定书之日起{{ limits.fine_payment.text }}内缴纳罚款，即{{ fine_payment_deadline | cn_date }}前。"
              "截至本通知发出之日，本机关未收到你（单位）的缴款凭证。"),
        ("p", "请于收到本通知之日起立即缴纳罚款。依照该法第七十二条的规定，到期不缴纳罚款的，每日按罚款数额的百分之三加处罚款，"
              "加处罚款的数额不超出罚款的数额；本机关可以依法申请人民法院强制执行。"),
        ("r", "{{ penalty_org_name }}"),
        ("r", "{{ today | cn_date }}"),
    ],
}

RENOTICE = ("{% if notice_round > 1 %}本机关此前告知的拟处罚内容与拟作出的决定不一致（{{ renotice_reason_text }}），"
            "现依照《中华人民共和国行政处罚法》第四十四条重新告知如下。{% endif %}")


def add_renotice_sentence(path: Path) -> None:
    """Put the re-notice sentence before 根据…的规定 in the 行政处罚事先告知书 (once)."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    xml = parts["word/document.xml"].decode("utf-8")
    anchor = "<w:t>根据{{ proposed_basis }}的规定"
    if RENOTICE in xml:
        return
    assert xml.count(anchor) == 1, "the advance notice changed: place the sentence by hand"
    parts["word/document.xml"] = xml.replace(anchor, "<w:t>" + RENOTICE + "根据{{ proposed_basis }}的规定").encode("utf-8")
    with tempfile.NamedTemporaryFile(delete=False, suffix=".docx") as out:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for name, content in parts.items():
                target.writestr(name, content)
    shutil.move(out.name, path)


if __name__ == "__main__":
    write_all(FOLDER, TEMPLATES)
    add_renotice_sentence(FOLDER / "penalty_advance_notice.docx")
