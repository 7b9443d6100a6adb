"""The shared apps (audit, sms, exports) know no domain app: each app registers its audit action labels,
SMS purposes with their templates, and export kinds from its own registry.py. Every action and purpose
the code uses has a label.

Imports and uses are read from the source (tools/app_graph.py's functions: every import, function-local
ones included; tests and migrations excluded).
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from zghz.audit.registry import action_label, is_registered, register_actions
from zghz.exports.registry import export_kinds, is_export_kind
from zghz.sms.registry import VERIFICATION, get_purpose, get_template, purposes, register_purpose, templates

ROOT = Path(__file__).resolve().parents[2]
SHARED = ("audit", "sms", "exports")
# What the shared apps may stand on: the base (core, files, accounts' User, ops' routing) and each other.
PLATFORM = frozenset({"core", "accounts", "files", "ops", *SHARED})


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("app_graph", ROOT / "tools" / "app_graph.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("app_graph", module)
    spec.loader.exec_module(module)
    return module


graph = _load_tool()


def _calls(name: str) -> Iterator[tuple[str, ast.Call]]:
    """("path:line", call) for every call of a function called `name` (plain or as an attribute)."""
    for app in graph.apps(ROOT):
        for path in graph.source_files(app, ROOT):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                    if func == name:
                        yield f"{path.relative_to(ROOT)}:{node.lineno}", node


def _keyword_strings(call: ast.Call, keyword: str) -> list[str] | None:
    """The string constants the keyword's value can take (`"a" if x else "b"` gives both); None when
    the value is not made of constants (a variable passed on from a caller)."""
    for kw in call.keywords:
        if kw.arg == keyword:
            values = [n.value for n in ast.walk(kw.value) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
            return values or None
    return None


def test_it_keeps_the_shared_apps_free_of_domain_apps() -> None:
    offending = {(a, b): where for (a, b), where in graph.edges(ROOT).items() if a in SHARED and b not in PLATFORM}
    assert offending == {}


def test_it_has_a_label_for_every_audit_action_the_code_records() -> None:
    used: dict[str, str] = {}
    for where, call in _calls("record"):
        for code in _keyword_strings(call, "action") or []:
            used.setdefault(code, where)
    # Actions handed on to a helper that records them (`_write_rows(action="work_order.upload")`).
    for app in graph.apps(ROOT):
        for path in graph.source_files(app, ROOT):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    for code in _keyword_strings(node, "action") or []:
                        if "." in code and code.replace(".", "").replace("_", "").isalpha():
                            used.setdefault(code, f"{path.relative_to(ROOT)}:{node.lineno}")
    assert len(used) > 40 and "work_order.upload" in used and "unit.approve" in used
    assert {code: where for code, where in used.items() if not is_registered(code)} == {}
    assert action_label("work_order.payment_approve") == "付款审核通过"
    assert action_label("no.such_action") == "no.such_action"  # old rows of a removed action still show


def test_it_has_a_registered_purpose_for_every_sms_the_code_sends() -> None:
    used: dict[str, str] = {}
    for name in ("sms_queue", "code_send", "code_check", "phone_login"):
        for where, call in _calls(name):
            for code in _keyword_strings(call, "purpose") or []:
                used.setdefault(code, where)
    assert {"work_order", "unit_review", "unit_register", "unit_login", "claim"} <= set(used)
    missing = {}
    for code, where in used.items():
        try:
            purpose = get_purpose(code)
        except LookupError:
            missing[code] = where
            continue
        assert str(purpose.label) and str(purpose.label) != code
    assert missing == {}
    # Templates named in the code exist for their purpose.
    for where, call in _calls("sms_queue"):
        purpose_codes, template_names = _keyword_strings(call, "purpose"), _keyword_strings(call, "template")
        for code in purpose_codes or []:
            for name in template_names or []:
                assert get_template(code, name), where


def test_it_labels_the_enrolment_notices_and_keeps_their_templates_for_a_template_gateway() -> None:
    purpose = get_purpose("work_order")
    assert str(purpose.label) == "参保申请审核结果" and not purpose.verification
    approved = purpose.templates["approved"]
    assert approved.code == "work_order.approved" and approved.params == ("unit", "number", "amount")
    assert approved.render({"unit": "测试单位工会", "number": "CB20261201000001", "amount": "1200.00"}) == (
        "您单位（测试单位工会）的参保申请CB20261201000001已审核通过，应付款参保金额1200.00元，"
        "请登录系统付款并上传付款凭证和盖章参保花名册。")
    with pytest.raises(ValueError, match="missing"):
        approved.render({"unit": "x", "number": "y"})
    with pytest.raises(ValueError, match="unexpected"):
        approved.render({"unit": "x", "number": "y", "amount": 1, "phone": "138"})
    codes = [t.code for t in templates()]
    assert VERIFICATION.code in codes and "unit_review.rejected" in codes and len(codes) == len(set(codes))
    assert [p.code for p in purposes()][:4] == ["unit_register", "unit_login", "member_register", "member_login"]


def test_it_registers_the_export_kinds_from_the_app_that_owns_the_data() -> None:
    assert set(export_kinds()) >= {"coverage.unit", "coverage.staff"} and not is_export_kind("nothing")


def test_it_refuses_to_register_a_code_twice_with_a_different_meaning() -> None:
    register_actions({"unit.approve": "审核通过"})  # the same again is harmless (a module imported twice)
    with pytest.raises(ValueError, match="already registered"):
        register_actions({"unit.approve": "别的意思"})
    with pytest.raises(ValueError, match="already registered"):
        register_purpose("work_order", "参保申请审核结果", templates={"approved": "另一段文字"})
    with pytest.raises(ValueError, match="longer"):
        register_purpose("x" * 33, "太长")
    with pytest.raises(ValueError, match="parameters"):
        register_purpose("test_bad_template", "坏模板", templates={"t": "金额{amount:.2f}元"})
