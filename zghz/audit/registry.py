"""Labels of audit actions, registered by the app that writes them (pretix-style: the audit app knows
no domain app). Each app's `registry.py` calls `register_actions` when Django starts (see
`zghz.core.apps.CoreConfig.ready`), so the audit viewer can name every action and filter by it.

    # zghz/<app>/registry.py
    from zghz.audit.registry import register_actions
    register_actions({"claim.agree": gettext_lazy("理赔审核同意"), ...})

Action codes are stable identifiers (`<noun>.<verb>`, stored in every audit row); labels are for people.

Rows name their object by model and id (`enrolment.workorder`, `7`); the app that owns the model tells the
viewer what people call it (a work-order number, a unit name, a username), one query per page and model:

    register_object_names("enrolment.workorder", names_from(WorkOrder, "number"))
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django.db.models import Model
    from django.utils.functional import _StrPromise as StrPromise

_LABELS: dict[str, str | StrPromise] = {}

# ids (as stored in AuditEntry.object_id) -> {id: name}; ids may come back as ints, missing ones are left out.
ObjectNames = Callable[[Collection[str]], Mapping[Any, str]]
_OBJECT_NAMES: dict[str, ObjectNames] = {}


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


def register_object_names(object_type: str, names: ObjectNames) -> None:
    """Name the objects of `object_type` (a model's `app_label.modelname`) in the audit viewer."""
    known = _OBJECT_NAMES.get(object_type)
    if known is not None and known is not names:
        raise ValueError(f"audit object type {object_type!r} already has its names")
    _OBJECT_NAMES[object_type] = names


def names_from(model: type[Model], field: str) -> ObjectNames:
    """Objects named by one of their fields (a number, a name); `field` may follow relations (`claim__number`)."""
    return lambda ids: dict(model._default_manager.filter(pk__in=ids).values_list("pk", field))


def object_names(object_type: str, ids: Collection[str]) -> dict[str, str]:
    """{object_id: name} of those objects of `object_type` that still exist and whose app names them."""
    names = _OBJECT_NAMES.get(object_type)
    if names is None or not ids:
        return {}
    return {str(k): v for k, v in names(ids).items()}


# Generic actions any app may record.
register_actions({
    "pii.view": gettext_lazy("查看完整个人信息"),
})
