"""Reads, and the one permission-checked getter per entity (a foreign unit answers 404)."""

from collections.abc import Iterable

from django.db.models import Count, F, Q, QuerySet
from django.http import Http404

from zghz.accounts.models import User
from zghz.accounts.policy import sees_all_districts, staff_can, staff_district_id
from zghz.audit.services import record
from zghz.core.bulk import chunked

from .models import District, Unit
from .policy import REVEAL_ID, unit_require


def units_of_handler(user: User) -> QuerySet[Unit]:
    if not user.is_authenticated or user.kind != User.Kind.HANDLER:
        return Unit.objects.none()
    return Unit.objects.filter(handler=user).order_by("name")


def unit_for_handler(user: User, unit_id: int | None) -> Unit:
    """The unit a logged-in handler is acting for; anything else is 404."""
    if unit_id is None:
        raise Http404
    unit = units_of_handler(user).select_related("district", "certificate").filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    return unit


def units_by_credit_code(codes: Iterable[str]) -> dict[str, int]:
    """credit code -> unit id of the units that have one of `codes` (any status)."""
    out: dict[str, int] = {}
    for chunk in chunked(list(codes)):
        out.update(Unit.objects.filter(credit_code__in=chunk).values_list("credit_code", "pk"))
    return out


def units_visible_to_staff(user: User) -> QuerySet[Unit]:
    """All units for city-wide roles; a 区局 account sees its own district only."""
    if not staff_can(user):
        return Unit.objects.none()
    qs = Unit.objects.select_related("district")
    if sees_all_districts(user):
        return qs
    district_id = staff_district_id(user)
    return qs.filter(district_id=district_id) if district_id is not None else Unit.objects.none()


def unit_for_staff(user: User, unit_id: int) -> Unit:
    unit = units_visible_to_staff(user).select_related("certificate", "handler").filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    return unit


def unit_search(user: User, *, status: str = "", q: str = "", district_id: int | None = None) -> QuerySet[Unit]:
    qs = units_visible_to_staff(user)
    if status:
        qs = qs.filter(status=status)
    if district_id:
        qs = qs.filter(district_id=district_id)
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(credit_code=q.strip().upper())
    # The list shows the handler's (masked) phone: fetch the handler in the same query.
    return qs.select_related("handler").order_by(F("submitted_at").desc(nulls_last=True), "-id")


def unit_status_counts(user: User) -> dict[str, int]:
    """Units per 审核状态 among those the staff member may see, in one query."""
    qs = units_visible_to_staff(user)
    return qs.aggregate(**{s: Count("pk", filter=Q(status=s)) for s in Unit.Status.values})


def unit_handler_id_reveal(user: User, unit: Unit) -> str:
    """The handler's full ID number for a staff member who asked for it; every such view is audited."""
    unit_require(user, unit, REVEAL_ID)
    record(action="pii.view", actor=user, unit=unit, obj=unit, field="handler_id_number")
    return unit.handler_id_number


def district_list() -> QuerySet[District]:
    """Every district, disabled ones too, with how many units name it."""
    return District.objects.annotate(unit_count=Count("unit"))


def districts_for_staff(user: User) -> QuerySet[District]:
    """The districts a staff member may filter by: all of them, or a 区局 account's own."""
    if sees_all_districts(user):
        return District.objects.all()
    district_id = staff_district_id(user)
    return District.objects.filter(pk=district_id) if district_id is not None else District.objects.none()
