"""Every legal basis shown to users is true (issue 19): a timer, a step with a due time (`dueExpression`) or one
running inside a limit (`withinLimit`) says on what basis — a source of forms/legal_sources.json named by its title
in 《》, or 本地设定 (a local setting) — and no documentation, form title or description cites a title that is not
in that register."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
LIMIT_PROPERTIES = {"dueExpression", "withinLimit"}
CITED = re.compile(r"《([^》]+)》")
REGISTER = json.loads((ROOT / "forms" / "legal_sources.json").read_text(encoding="utf-8"))
LOCAL = REGISTER["local"]
DIAGRAMS = sorted((ROOT / "processes").rglob("*.bpmn"))
FORMS = sorted(path for pattern in ("*.schema.json", "*.report.json", "*.ledger.json", "standard*.json",
                                    "*.standard.json", "limits.json")
               for path in set((ROOT / "forms").rglob(pattern)))


def normal(title: str) -> str:
    """Full-width and half-width brackets alike, no spaces."""
    return title.replace("（", "(").replace("）", ")").replace(" ", "").strip()


TITLES = {normal(source["title"]) for source in REGISTER["sources"]}


def unknown_titles(text: str) -> list[str]:
    return [title for title in CITED.findall(text or "") if normal(title) not in TITLES]


def names_a_basis(text: str) -> bool:
    return LOCAL in (text or "") or any(normal(title) in TITLES for title in CITED.findall(text or ""))


def documentation(element) -> str:
    return "".join("".join(doc.itertext()) for doc in element.findall(f"{BPMN}documentation"))


def limited_elements(tree):
    """(element id, why) of every timer event and every element with a limit property."""
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.get("id") is None:
            continue
        if element.find(f"{BPMN}timerEventDefinition") is not None:
            yield element, "timer"
        own = element.findall(f"{BPMN}extensionElements/{SPIFF}properties/{SPIFF}property")
        names = {p.get("name") for p in own} & LIMIT_PROPERTIES
        if names:
            yield element, ", ".join(sorted(names))


def test_the_register_is_read():
    assert "中华人民共和国律师法" in TITLES and "律师和律师事务所违法违规行为投诉处理办法(试行)" in TITLES
    assert names_a_basis("《中华人民共和国律师法》第五十二条") and names_a_basis("本地设定")
    assert unknown_titles("《四川省律师执业投诉处理办法》、《律师和律师事务所违法违规行为投诉处理办法（试行）》") == [
        "四川省律师执业投诉处理办法"]


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_limit_in_a_diagram_names_its_basis(path):
    tree = etree.parse(str(path))
    missing = [f"{element.get('id')} ({why})" for element, why in limited_elements(tree)
               if not names_a_basis(documentation(element))]
    assert missing == [], f"{path.name}: no legal basis (《title》 from forms/legal_sources.json or 本地设定) on {missing}"


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_title_a_diagram_cites_is_in_the_register(path):
    tree = etree.parse(str(path))
    wrong = [(element.get("id"), title) for element in tree.iter() if isinstance(element.tag, str)
             for title in unknown_titles(documentation(element))]
    assert wrong == [], f"{path.name}: titles not in forms/legal_sources.json: {wrong}"


def strings(node, pointer=""):
    """(JSON pointer, text) of every title, description and basis in a form, report, ledger, standard or limits
    table."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("title", "description", "basis", "legal_basis") and isinstance(value, str):
                yield f"{pointer}/{key}", value
            else:
                yield from strings(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from strings(value, f"{pointer}/{index}")


@pytest.mark.parametrize("path", FORMS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_title_a_form_cites_is_in_the_register(path):
    form = json.loads(path.read_text(encoding="utf-8-sig"))
    wrong = [(pointer, title) for pointer, text in strings(form) for title in unknown_titles(text)]
    assert wrong == [], f"{path.relative_to(ROOT)}: titles not in forms/legal_sources.json: {wrong}"


def test_the_readme_lists_every_limit_of_the_complaint_procedure():
    """The README's 'Time limits of the complaint procedure' names each timer and each step with a due time of the
    complaint's diagrams (by id, or by a `Timer_*_remind` pattern), so the list a legal officer checks is whole."""
    from fnmatch import fnmatch

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Time limits of the complaint procedure"):]
    section = section[:section.index("\n## ", 5)]
    named = set(re.findall(r"`([A-Za-z_*]+)`", section))
    missing = []
    for path in sorted((ROOT / "processes" / "complaint").glob("*.bpmn")):
        for element, why in limited_elements(etree.parse(str(path))):
            if why == "withinLimit":
                continue
            found = element.get("id")
            if found not in named and not any("*" in n and fnmatch(found, n) for n in named) \
                    and not any(n.startswith("_") and found.endswith(n) for n in named):
                missing.append(f"{path.name}:{found}")
    assert missing == []


ARTICLE_AFTER = re.compile(r"《([^》]+)》([^《]{0,40})")


def unpinned_titles(text: str) -> list[str]:
    """Titles a basis cites without an article (第…条, or 第…部分/项 of a document without articles) after them —
    allowed only in a basis that says 本地设定 (the title is then what the local setting is modelled on)."""
    if LOCAL in (text or ""):
        return []
    return [title for title, after in ARTICLE_AFTER.findall(text or "")
            if not re.match(r"\s*(“[^”]*”\s*)?[（(]?\s*(引[^第]{0,20})?第", after)]


def test_a_basis_without_an_article_is_refused_unless_it_is_a_local_setting():
    assert unpinned_titles("《中国律师执业手册》") == ["中国律师执业手册"]
    assert unpinned_titles("《律师执业管理办法》第五十九条") == []
    assert unpinned_titles("湖南省司法厅《关于县级司法行政机关加强律师日常监督管理工作的意见》第四部分第（五）项") == []
    assert unpinned_titles("本地设定，参照《中国律师执业手册》“受理和立案调查”（引旧版处分规则第三十一条）") == []


@pytest.mark.parametrize("path", sorted((ROOT / "forms").glob("*/limits.json")), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_limit_row_cites_its_article_or_says_local_setting(path):
    """A basis names a source of the register by its title and the article, or says 本地设定 (issue 19)."""
    rows = json.loads(path.read_text(encoding="utf-8"))["limits"]
    wrong = [(row["name"], row["basis"]) for row in rows
             if not names_a_basis(row["basis"]) or unknown_titles(row["basis"]) or unpinned_titles(row["basis"])]
    assert wrong == [], f"{path.relative_to(ROOT)}: basis without 《title》 and article or 本地设定: {wrong}"


def docx_text(path: Path) -> str:
    """The text of a Word template's body (word/document.xml), runs joined so a title split over runs is whole."""
    import zipfile

    with zipfile.ZipFile(path) as package:
        root = etree.fromstring(package.read("word/document.xml"))
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    return "\n".join("".join(t.text or "" for t in paragraph.iter(f"{w}t")) for paragraph in root.iter(f"{w}p"))


DOCX = sorted((ROOT / "forms").rglob("*.docx"))
# What a template may also cite: the deployment's own standards (forms/*/*standard.json, e.g. 本市《法律援助机构规范服务达标
# 标准》) and a title the case fills in ({{ campaign_title }}实施方案): documents the body issues, not legal sources.
OWN = {normal(json.loads(p.read_text(encoding="utf-8-sig")).get("title", "")) for p in (ROOT / "forms").glob("*/*standard.json")}


def unknown_document_titles(text: str) -> list[str]:
    return [title for title in unknown_titles(text) if normal(title) not in OWN and "{{" not in title]


def test_the_docx_text_is_read():
    text = docx_text(ROOT / "forms" / "complaint" / "penalty_decision.docx")
    assert "《中华人民共和国行政处罚法》" in text
    assert unknown_document_titles("《四川省律师执业投诉处理办法》《{{ campaign_title }}实施方案》") == ["四川省律师执业投诉处理办法"]


@pytest.mark.parametrize("path", DOCX, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_title_a_document_template_cites_is_in_the_register(path):
    """Every .docx under forms/ cites only titles of forms/legal_sources.json (a notice the county sends must not
    cite a document that does not exist)."""
    wrong = unknown_document_titles(docx_text(path))
    assert wrong == [], f"{path.relative_to(ROOT)}: titles not in forms/legal_sources.json: {wrong}"


def test_the_complaint_process_says_what_it_leaves_out_and_on_what_basis():
    """Steps of procedures.md §2.3–§2.8 that other bodies or procedures run are listed under 不在本流程内 in the
    process documentation, each with its source by title and article (issue 19)."""
    tree = etree.parse(str(ROOT / "processes" / "complaint" / "lawyer_complaint.bpmn"))
    text = documentation(tree.find(f"{BPMN}process"))
    left_out = text[text.index("不在本流程内"):]
    for item, basis in (("执业证书缴存", "《律师执业管理办法》第四十八条"),
                        ("执行情况", "《律师和律师事务所违法行为处罚办法》第四十五条"),
                        ("不得变更执业机构", "《律师执业管理办法》第二十一条、第二十三条"),
                        ("复查委员会申请复查", "《律师协会会员违规行为处分规则(试行)》第七十八条"),
                        ("复查决定期限", "未取得原文"),
                        ("信息公开", "《律师执业管理办法》第五十五条、第五十八条"),
                        ("信息公开", "《律师和律师事务所违法行为处罚办法》第四十四条"),
                        ("行政复议机关六十日（可延长三十日）作出复议决定", "《中华人民共和国行政复议法》第六十二条"),
                        ("行政诉讼六个月起诉期限", "由复议机关、人民法院办理"),
                        ("先行登记保存证据七个工作日内作出处理决定", "《中华人民共和国行政处罚法》第五十六条"),
                        ("行政处罚二年追责时效", "《中华人民共和国行政处罚法》第三十六条"),
                        ("律师事务所重大事项五个工作日内报告",
                         "《关于县级司法行政机关加强律师日常监督管理工作的意见》第三部分第（七）项"),
                        ("律师执业权利二十四小时快速响应", "第四部分第（七）项")):
        assert item in left_out and basis in left_out, (item, basis)
    for item, basis in (("行政复议机关", "第六十二条"), ("先行登记保存", "第五十六条"), ("二年追责时效", "第三十六条"),
                        ("重大事项五个工作日", "第三部分第（七）项"), ("二十四小时快速响应", "第四部分第（七）项")):
        clause = left_out[left_out.index(item):]
        assert basis in clause[:clause.index("；")], (item, basis)          # the basis in the item's own clause
    assert unknown_titles(text) == []
