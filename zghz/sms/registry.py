"""SMS purposes and their texts, registered by the app that sends them (pretix-style: the sms app knows no
domain app). Each app's `registry.py` calls `register_purpose` when Django starts (see
`zghz.core.apps.CoreConfig.ready`).

A purpose has a label (短信记录's 用途 column and filter) and named templates: fixed text with `{name}`
parameters. `sms_queue(purpose=..., template=..., params=...)` renders the text and keeps the template
code and parameters on the message, so a gateway that only sends pre-registered templates (Aliyun
TemplateCode, Tencent TemplateId) can be given the code and the parameters instead of the text.

    # zghz/<app>/registry.py
    from zghz.sms.registry import register_purpose
    register_purpose("work_order", gettext_lazy("参保申请审核结果"), templates={
        "approved": "您单位（{unit}）的参保申请{number}已审核通过，应付款参保金额{amount}元，…",
    })

SMS texts are data (what the provider has on file), not interface strings: they are not translated.
Verification-code purposes (`verification=True`) all use the one `VERIFICATION` template.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy

from zghz.audit.registry import register_actions

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise


@dataclass(frozen=True)
class SmsTemplate:
    """One text with named parameters. `code` ("work_order.approved") is what a template gateway is told."""

    code: str
    text: str
    params: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        names: list[str] = []
        for _literal, name, spec, conversion in string.Formatter().parse(self.text):
            if name is None:
                continue
            if not name.isidentifier() or spec or conversion:
                raise ValueError(f"SMS template {self.code!r}: write parameters as {{name}}, not {{{name}}}")
            if name not in names:
                names.append(name)
        object.__setattr__(self, "params", tuple(names))

    def render(self, params: Mapping[str, object]) -> str:
        """The text with `params` filled in; every parameter and no other must be given."""
        missing = [p for p in self.params if p not in params]
        extra = [p for p in params if p not in self.params]
        if missing or extra:
            raise ValueError(f"SMS template {self.code!r}: missing {missing}, unexpected {extra}")
        return self.text.format(**{k: str(v) for k, v in params.items()})


@dataclass(frozen=True)
class SmsPurpose:
    code: str  # stored on every message, at most 32 characters
    label: str | StrPromise
    templates: dict[str, SmsTemplate]
    verification: bool = False  # a verification code: its digits are starred out in 短信记录


VERIFICATION = SmsTemplate("verification.code", "您的验证码为{code}，5分钟内有效，用于{purpose}。请勿告诉他人。")

_PURPOSES: dict[str, SmsPurpose] = {}


def register_purpose(code: str, label: str | StrPromise, *, templates: Mapping[str, str] | None = None,
                     verification: bool = False) -> SmsPurpose:
    """Register purpose `code` with its label and its templates (name -> text)."""
    if len(code) > 32:
        raise ValueError(f"SMS purpose {code!r} is longer than SmsMessage.purpose allows")
    if verification and templates:
        raise ValueError("a verification purpose uses the VERIFICATION template")
    built = {name: SmsTemplate(f"{code}.{name}", text) for name, text in (templates or {}).items()}
    purpose = SmsPurpose(code, label, built, verification)
    known = _PURPOSES.get(code)
    if known is not None and (known.templates, known.verification, str(known.label)) != (
            built, verification, str(label)):
        raise ValueError(f"SMS purpose {code!r} is already registered differently")
    _PURPOSES[code] = purpose
    return purpose


def get_purpose(code: str) -> SmsPurpose:
    """The registered purpose; LookupError for a code nobody registered (a programming error)."""
    try:
        return _PURPOSES[code]
    except KeyError:
        raise LookupError(f"SMS purpose {code!r} is not registered (add it to the sending app's registry.py)") from None


def get_template(purpose: str, name: str) -> SmsTemplate:
    try:
        return get_purpose(purpose).templates[name]
    except KeyError:
        raise LookupError(f"SMS purpose {purpose!r} has no template {name!r}") from None


def purposes() -> list[SmsPurpose]:
    """Every registered purpose, verification codes first, then in registration order."""
    return sorted(_PURPOSES.values(), key=lambda p: not p.verification)


def purpose_label(code: str) -> str:
    """The label of `code`; the code itself for a purpose nobody registers any more (old rows)."""
    purpose = _PURPOSES.get(code)
    return str(purpose.label) if purpose is not None else code


def is_verification(code: str) -> bool:
    purpose = _PURPOSES.get(code)
    return purpose is not None and purpose.verification


def templates() -> list[SmsTemplate]:
    """Every template a provider needs on file (the verification one included)."""
    found = [VERIFICATION] if any(p.verification for p in _PURPOSES.values()) else []
    return found + [t for p in _PURPOSES.values() for t in p.templates.values()]


register_actions({
    "sms.code_sent": gettext_lazy("发送验证码"),
    "sms.code_refused": gettext_lazy("验证码发送被限制"),
    "sms.sent": gettext_lazy("发送短信"),
})
