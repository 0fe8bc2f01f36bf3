"""Task forms: JSON Schema validation with one message per invalid field, in Chinese."""
from __future__ import annotations

import json

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .errors import DataValidationError, FieldError

_TYPES = {"string": "文本", "number": "数字", "integer": "整数", "boolean": "是/否", "array": "列表",
          "object": "对象", "null": "空值"}


def _message(error: ValidationError) -> str:
    v, value = error.validator, error.validator_value
    if v == "type":
        kinds = value if isinstance(value, list) else [value]
        return "应为" + "或".join(_TYPES.get(k, k) for k in kinds)
    simple = {
        "minLength": f"至少需要 {value} 个字符", "maxLength": f"不能超过 {value} 个字符",
        "minimum": f"不能小于 {value}", "maximum": f"不能大于 {value}",
        "exclusiveMinimum": f"必须大于 {value}", "exclusiveMaximum": f"必须小于 {value}",
        "minItems": f"至少需要 {value} 项", "maxItems": f"不能超过 {value} 项",
        "enum": "不是可选的值", "const": "取值不正确", "pattern": "格式不正确",
        "format": f"格式不正确（应为 {value}）", "uniqueItems": "不能有重复项",
        "multipleOf": f"必须是 {value} 的倍数",
    }
    return simple.get(v, error.message)


def field_errors(validator: Draft202012Validator, data: dict) -> list[FieldError]:
    """Every field error of `data`, with a dotted field path and a Chinese message."""
    errors: list[FieldError] = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        path = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            for name in error.validator_value:
                if isinstance(error.instance, dict) and name not in error.instance:
                    title = _title(error.schema, name)
                    errors.append(FieldError(_join(path, name), f"{title}为必填项", "required"))
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            for name in sorted(set(error.instance) - allowed):
                errors.append(FieldError(_join(path, name), "表单中没有这一项", "additionalProperties"))
        else:
            errors.append(FieldError(path or "(表单)", _message(error), str(error.validator)))
    unique = {(e.field, e.message): e for e in reversed(errors)}     # a rule met twice (e.g. in allOf) is one error
    return [e for e in errors if unique.get((e.field, e.message)) is e]


def _title(schema: dict, name: str) -> str:
    return schema.get("properties", {}).get(name, {}).get("title", name)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class FormCache:
    """Compiled validators per bundle version and form path."""

    def __init__(self) -> None:
        self._validators: dict[tuple[int, str], Draft202012Validator] = {}

    def validator(self, bundle_id: int, path: str, load) -> Draft202012Validator:
        """The validator of a form of a bundle; `load()` returns its bytes on a cache miss."""
        key = (bundle_id, path)
        validator = self._validators.get(key)
        if validator is None:
            schema = json.loads(load())
            validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
            self._validators[key] = validator
        return validator

    def check(self, bundle_id: int, path: str, load, data: dict, **context) -> None:
        """Raise DataValidationError listing every invalid field; return quietly when valid."""
        errors = field_errors(self.validator(bundle_id, path, load), data)
        if errors:
            raise DataValidationError(f"表单有 {len(errors)} 处需要修改", errors, **context)
