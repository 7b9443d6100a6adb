"""Labels of audit actions, registered by the app that writes them (pretix-style: the audit app knows
no domain app). Each app's `registry.py` calls `register_actions` when Django starts (see
`zghz.core.apps.CoreConfig.ready`), so the audit viewer can name every action and filter by it.

    # zghz/<app>/registry.py
    from zghz.audit.registry import register_actions
    register_actions({"claim.agree": gettext_lazy("理赔审核同意"), ...})

Action codes are stable identifiers (`<noun>.<verb>`, stored in every audit row); labels are for people.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

_LABELS: dict[str, str | StrPromise] = {}


def register_actions(labels: Mapping[str, str | StrPromise]) -> None:
    """Add action code -> label. Registering a code twice with another label is a programming error."""
    for code, label in labels.items():
        known = _LABELS.get(code)
        if known is not None and str(known) != str(label):
            raise ValueError(f"audit action {code!r} is already registered as {known!s}")
        _LABELS[code] = label


def action_labels() -> dict[str, str | StrPromise]:
    """Every registered action and its label, in registration order (the viewer's filter lists them)."""
    return dict(_LABELS)


def action_label(code: str) -> str:
    """The label of `code`; the code itself for an action nobody registered (old rows keep showing)."""
    return str(_LABELS.get(code, code))


def is_registered(code: str) -> bool:
    return code in _LABELS


# Generic actions any app may record.
register_actions({
    "pii.view": gettext_lazy("查看完整个人信息"),
})
