"""Forms, imported zips and Word templates are written by people and not trusted: validation names the file and
field, a refused import stores nothing, and no pattern, reference, archive or template can exhaust the server."""
from __future__ import annotations

import http.server
import io
import json
import random
import struct
import threading
import time
import zipfile

import pytest
from docx import Document
from sqlalchemy import func, select

from engine.core import people
from engine.core.errors import DataValidationError
from engine.core.models import BundleDraft, BundleFile, Case, DraftFile
from engine.definitions import bundles, drafts
from engine.records import documents
from engine.runtime import cases

from .conftest import ROOT, bundle_with
from .helpers import only_ready, zh
from .test_hostile_data import SAMPLE, SAMPLE_XML, problems_of


# --- forms ------------------------------------------------------------------------------------------------------

APPLY_FORM = "forms/sample/apply.schema.json"
APPLY = {"title": "购置办公设备", "reason": "现有设备老化，影响办公"}


def apply_form_with(**fields: dict) -> bytes:
    """The sample's application form with some fields replaced or added (written with \\u escapes, as JSON is)."""
    schema = json.loads((ROOT / APPLY_FORM).read_text(encoding="utf-8"))
    schema["properties"].update(fields)
    return json.dumps(schema, indent=1).encode()


def fill_application(engine, session, data: dict):
    """Start a sample case and submit its application form; the form's errors, by field."""
    case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
    try:
        cases.complete_task(engine, session, only_ready(session, case.id).id, data,
                            user=people.user_by_name(session, "alice"))
    except DataValidationError as exc:
        return {e.field: zh(e) for e in exc.errors}
    return {}


def test_a_catastrophic_pattern_answers_promptly(engine, session, org_tree):
    form = apply_form_with(title={"type": "string", "pattern": "^(a+)+$", "x-patternMessage": "只能由 a 组成"})
    bundles.deploy(session, bundle_with({APPLY_FORM: form}), engine=engine)
    started = time.perf_counter()
    errors = fill_application(engine, session, {**APPLY, "title": "a" * 26 + "b"})   # Python's re: about a minute
    assert time.perf_counter() - started < 2
    assert errors == {"title": "只能由 a 组成"}
    assert fill_application(engine, session, {**APPLY, "title": "a" * 100_000}) == {}


def test_a_pattern_nested_thousands_deep_is_checked_without_recursion(engine, session, org_tree):
    deep = "(" * 5000 + "a" + ")" * 5000            # Python's re recurses per group and exhausts the stack
    bundles.deploy(session, bundle_with({APPLY_FORM: apply_form_with(title={"type": "string", "pattern": deep})}),
                   engine=engine)
    assert fill_application(engine, session, {**APPLY, "title": "bbb"}) == {"title": "格式不正确"}


def test_ecma_unicode_escapes_in_patterns_still_work(engine, session, org_tree):
    form = apply_form_with(title={"type": "string", "pattern": "^[\\u4e00-\\u9fa5]{2,}$"})
    assert b"\\\\u4e00" in form                 # the pattern itself holds the escape, as form authors write it
    bundles.deploy(session, bundle_with({APPLY_FORM: form}), engine=engine)
    assert fill_application(engine, session, {**APPLY, "title": "办公设备"}) == {}
    assert fill_application(engine, session, {**APPLY, "title": "office"}) == {"title": "格式不正确"}


@pytest.mark.parametrize("field, fragment", [
    ({"type": "string", "pattern": "^(\\d)\\1$"}, "invalid escape sequence"),          # a backreference
    ({"type": "string", "pattern": "^(?=.*\\d).{8,}$"}, "invalid perl operator"),        # a lookahead
    ({"type": "string", "pattern": "[" * 10_000}, "missing ]"),
    ({"$ref": "http://127.0.0.1:9/x"}, "不会读取网址"),
    ({"$ref": "file:///etc/passwd"}, "不会读取网址"),
    ({"$ref": "../complaint/register.schema.json"}, "不会读取网址"),
    ({"$ref": "#/$defs/nowhere"}, "本表单内存在的位置"),
    ({"type": "object", "patternProperties": {"^(a+)+$": {}}}, "patternProperties"),
    ({"type": "integer", "minimum": 10, "maximum": 5}, "minimum（10）超过了 maximum（5）"),
    ({"type": "number", "minimum": 5, "exclusiveMaximum": 5}, "minimum（5）超过了 exclusiveMaximum（5）"),
    ({"type": "string", "minLength": 20, "maxLength": 8}, "minLength（20）超过了 maxLength（8）"),
    ({"type": "array", "minItems": 3, "maxItems": 1}, "minItems（3）超过了 maxItems（1）"),
])
def test_form_patterns_and_references_are_checked_at_validation(engine, session, field, fragment):
    form = apply_form_with(title=field)
    [problem] = problems_of(engine, session, bundle_with({APPLY_FORM: form}))
    assert (problem.file, problem.element) == (APPLY_FORM, "properties/title")
    assert fragment in zh(problem)
    value = field.get("$ref", field.get("pattern"))
    if value:
        text = form.decode()
        assert problem.line == text[: text.index(json.dumps(value))].count("\n") + 1


def test_a_reference_loop_is_refused(engine, session):
    schema = json.loads((ROOT / APPLY_FORM).read_text(encoding="utf-8"))
    schema["$defs"] = {"a": {"allOf": [{"$ref": "#/$defs/b"}]}, "b": {"$ref": "#/$defs/a"}}
    schema["properties"]["title"] = {"$ref": "#/$defs/a"}
    [problem] = problems_of(engine, session, bundle_with({APPLY_FORM: json.dumps(schema).encode()}))
    assert problem.file == APPLY_FORM and "绕回自身" in zh(problem) and problem.element


class _Listener:
    """A local HTTP server that counts the requests it gets."""

    def __init__(self):
        self.requests = 0
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                listener.requests += 1
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b'{"type": "string"}')

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/x.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def test_a_stored_form_with_a_remote_reference_fetches_nothing(engine, session, deployed):
    listener = _Listener()
    try:
        stored = session.scalar(select(BundleFile).where(BundleFile.bundle_id == deployed.id,
                                                         BundleFile.path == APPLY_FORM))
        stored.content = apply_form_with(title={"$ref": listener.url})      # as if stored before references were checked
        session.commit()
        errors = fill_application(engine, session, APPLY)
    finally:
        listener.close()
    assert listener.requests == 0
    assert list(errors) == [""] and "表单以外" in errors[""]         # "": the form as a whole
    assert [t.name for t in cases.case_tasks(session, session.scalar(select(Case.id)))] == ["填写申请"]


@pytest.mark.parametrize("content, fragment", [
    (b'{"type": "object", "properties": ' + b'{"a": ' * 10_000 + b"{}" + b"}" * 10_001, "嵌套过深"),
    (b'{"not": ' * 100 + b"{}" + b"}" * 100, "嵌套过深"),
    ('{"type": "object", "title": "填写申请"}'.encode("utf-16"), "UTF-16"),
    ('{"type": "object", "title": "填写申请"}'.encode("gbk"), "UTF-8"),
])
def test_a_form_too_deep_or_not_utf8_is_a_problem_naming_the_file(engine, session, content, fragment):
    [problem] = problems_of(engine, session, bundle_with({APPLY_FORM: content}))
    assert problem.file == APPLY_FORM and fragment in zh(problem)


def test_a_form_saved_with_a_byte_order_mark_is_read(engine, session, org_tree):
    content = (ROOT / APPLY_FORM).read_bytes()
    assert bundles.deploy(session, bundle_with({APPLY_FORM: b"\xef\xbb\xbf" + content}), engine=engine).created
    assert fill_application(engine, session, {"title": "x"}) == {"title": "至少需要 2 个字符", "reason": "申请理由为必填项"}


# --- zip import ------------------------------------------------------------------------------------------------

def zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in files.items():
            archive.writestr(path, content)
    return out.getvalue()


def _lie(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    """The zip with one field of its (only) central-directory entry overwritten."""
    patched = bytearray(data)
    struct.pack_into(fmt, patched, patched.rfind(b"PK\x01\x02") + offset, value)
    return bytes(patched)


SMALL_ZIP = zip_of({SAMPLE: SAMPLE_XML.encode()})
CRC, METHOD, FLAGS, COMPRESSED, SIZE = (16, "<I"), (10, "<H"), (8, "<H"), (20, "<I"), (24, "<I")


def refused_import(engine, session, data: bytes) -> str:
    """The message an import gives; no draft is stored."""
    with pytest.raises(DataValidationError) as err:
        drafts.import_zip(session, engine, data, actor="policy", name="导入")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(BundleDraft)) == 0
    assert session.scalar(select(func.count()).select_from(DraftFile)) == 0
    return "；".join(f"{e.field}：{zh(e)}" for e in err.value.errors)


@pytest.mark.parametrize("data, fragment", [
    (_lie(SMALL_ZIP, *SIZE, 100), f"{SAMPLE}：无法解压"),                    # declares fewer bytes than it holds
    (_lie(SMALL_ZIP, *SIZE, len(SAMPLE_XML.encode()) + 5000), f"{SAMPLE}：无法解压：声明"),   # declares more
    (_lie(SMALL_ZIP, *COMPRESSED, 50), f"{SAMPLE}：无法解压"),
    (_lie(SMALL_ZIP, *CRC, 12345), f"{SAMPLE}：无法解压：校验和（CRC）不符"),
    (_lie(SMALL_ZIP, *METHOD, 99), f"{SAMPLE}：无法解压：压缩方式不受支持"),
    (_lie(SMALL_ZIP, *FLAGS, 1), f"{SAMPLE}：无法解压：文件已加密"),
    (_lie(SMALL_ZIP, *SIZE, 2**31), "单个文件不能超过 10 MB"),
    (SMALL_ZIP[: len(SMALL_ZIP) // 2], "不是有效的 zip 文件"),               # truncated
    (SMALL_ZIP[:100] + SMALL_ZIP[140:], "无法解压：数据已损坏或被截断"),      # a hole in the data
])
def test_a_zip_whose_headers_lie_is_refused_and_nothing_stored(engine, session, deployed, data, fragment):
    assert fragment in refused_import(engine, session, data)


def test_a_zip_bomb_is_refused_and_nothing_stored(engine, session, deployed):
    bomb = zip_of({SAMPLE: SAMPLE_XML.encode() + b" " * (5 * 1024 * 1024)})        # 5 MB from a few kilobytes
    assert len(bomb) < 20_000
    assert "疑似压缩炸弹" in refused_import(engine, session, bomb)


def test_a_zip_inflating_past_the_total_limit_is_refused(engine, session, deployed):
    noise = random.Random(7).randbytes(170_000)                                  # keeps the ratio under 100
    files = {f"forms/big/{i}.txt": noise + b"\0" * (9 * 1024 * 1024) for i in range(6)}
    data = zip_of({SAMPLE: SAMPLE_XML.encode(), **files})
    assert len(data) < 1_100_000 and sum(map(len, files.values())) > drafts.MAX_ZIP_BYTES
    assert "解压后不能超过 50 MB" in refused_import(engine, session, data)


def test_an_honest_zip_still_imports(engine, session, deployed):
    draft = drafts.import_zip(session, engine, drafts.export_zip(session, deployed.version), actor="policy", name="导入")
    assert drafts.files(session, draft.id) == bundles.bundle_files(session, deployed.id)


# --- Word templates ----------------------------------------------------------------------------------------------

TEMPLATE = "forms/sample/approval_notice.docx"


def docx_of(*paragraphs: str) -> bytes:
    out = io.BytesIO()
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    doc.save(out)
    return out.getvalue()


def approved_case(engine, session) -> Case:
    """A sample case approved, which asks for its approval notice."""
    case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
    cases.complete_task(engine, session, only_ready(session, case.id).id, APPLY, user=people.user_by_name(session, "alice"))
    cases.complete_task(engine, session, only_ready(session, case.id).id, {"decision": "approve", "opinion": "同意"},
                        user=people.user_by_name(session, "bob"))
    return case


@pytest.mark.parametrize("paragraph, fragment", [
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "超过 2 秒 CPU 时间"),
    ("{{ title * 10000000000 }}", "内存超过 512 MB"),               # some 60 GB
])
def test_a_runaway_template_fails_its_document_and_the_next_is_filled(engine, session, org_tree, monkeypatch,
                                                                      paragraph, fragment):
    monkeypatch.setattr(documents, "FILL_CPU_SECONDS", 2)
    bundles.deploy(session, bundle_with({TEMPLATE: docx_of(paragraph)}), engine=engine)
    runaway = approved_case(engine, session)
    bundles.deploy(session, bundle_with(), engine=engine)
    normal = approved_case(engine, session)
    started = time.perf_counter()
    assert documents.render_pending(session) == 2
    assert time.perf_counter() - started < 60     # unbounded, the loop would run for hours: a loaded machine is slower
    [failed], [ready] = documents.case_documents(session, runaway.id), documents.case_documents(session, normal.id)
    assert (failed.status, failed.content) == ("failed", None) and fragment in zh(failed.error)
    assert ready.status == "ready" and "购置办公设备" in text_of(documents.whole(session, ready))
    assert cases.get_case(session, runaway.id).status == "completed"


def test_a_template_whose_document_is_too_large_fails(engine, session, org_tree, monkeypatch):
    monkeypatch.setattr(documents, "FILL_OUTPUT_BYTES", 1024 * 1024)
    bundles.deploy(session, bundle_with({TEMPLATE: docx_of(*["{{ title * 100000 }}"] * 3)}), engine=engine)
    case = approved_case(engine, session)
    [doc] = documents.case_documents(session, case.id)
    assert documents.document(session, case.id, doc.id).status == "failed"      # filled on first download
    assert zh(doc.error) == "生成的文书超过 1 MB，已停止" and doc.content is None


def text_of(content: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)
