"""The sandbox runs diagram code with only the helpers handed to it."""
from __future__ import annotations

import pytest

from engine.errors import SandboxError
from engine.sandbox import Sandbox


@pytest.fixture
def sandbox():
    return Sandbox({"add_days": lambda n: n + 1})


def test_expressions_see_task_data_and_helpers(sandbox):
    assert sandbox.evaluate("amount > 100 and kind in ('a', 'b')", {"amount": 150, "kind": "a"}) is True
    assert sandbox.evaluate("add_days(limit)", {"limit": 9}) == 10
    assert sandbox.evaluate("sorted([x['n'] for x in rows])", {"rows": [{"n": 2}, {"n": 1}]}) == [1, 2]


def test_scripts_write_plain_values_back_to_task_data(sandbox):
    data = {"count": 1, "old": True}
    sandbox.execute("count += 1\nitems = [i * 2 for i in range(3)]\nlabel = f'第{count}次'\ndel old", data)
    assert data == {"count": 2, "items": [0, 2, 4], "label": "第2次"}


@pytest.mark.parametrize("source, message", [
    ("import os", "不允许导入模块"),
    ("from os import path", "不允许导入模块"),
    ("open('/etc/passwd').read()", "不允许使用 open"),
    ("().__class__.__mro__[1].__subclasses__()", "不允许访问属性 __"),
    ("x.__subclasses__()", "不允许访问属性 __subclasses__"),
    ("getattr(x, '__class__')", "不允许使用 getattr"),
    ("'{0.__class__}'.format(x)", "不允许访问属性 format"),
    ("__import__('os').system('id')", "不允许使用 __import__"),
    ("eval('1')", "不允许使用 eval"),
    ("type(x)", "不允许使用 type"),
    ("x.mro()", "不允许访问属性 mro"),
    ("class A: pass", "不允许定义类"),
    ("_secret = 1", "starts with \"_\""),
    ("if x:\n  y = 1\nelse\n  y = 2", "语法错误"),
])
def test_unsafe_code_is_refused_at_compile_time_with_its_line(sandbox, source, message):
    with pytest.raises(SandboxError) as err:
        sandbox.compile(source, "exec")
    assert message in err.value.message
    assert err.value.line is not None


def test_run_time_failures_are_sandbox_errors(sandbox):
    with pytest.raises(SandboxError, match="ZeroDivisionError"):
        sandbox.evaluate("1 / zero", {"zero": 0})
    with pytest.raises(SandboxError, match="NameError"):
        sandbox.evaluate("os", {})
    with pytest.raises(SandboxError) as err:
        sandbox.execute("a = 1\nb = a / 0", {})
    assert err.value.line == 2



def test_get_value_reads_optional_fields(sandbox):
    data = {"phone": "123"}
    sandbox.execute("key = get_value('id_number') or phone\nmissing = get_value('nothing', 0)", data)
    assert data == {"phone": "123", "key": "123", "missing": 0}
    assert sandbox.evaluate("get_value('phone')", data) == "123"
