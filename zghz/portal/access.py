"""How the unit portal knows who is acting for which unit. Every unit-scoped view goes through here."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeGuard

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.accounts.models import User
from zghz.units.selectors import unit_for_handler

SESSION_UNIT = "unit_id"
SESSION_UNIT_CHOICES = "unit_choices"  # how many units the handler may act for (切换单位 when > 1)


def is_handler(request: HttpRequest) -> TypeGuard[AuthenticatedHttpRequest]:
    return bool(request.user.is_authenticated and request.user.kind == User.Kind.HANDLER)


def handler_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Require a logged-in handler with a chosen unit; passes `unit` (fetched by the checked getter)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_handler(request):
            return redirect("portal:login")
        if request.session.get(SESSION_UNIT) is None:
            return redirect("portal:choose_unit")
        unit = unit_for_handler(request.user, request.session.get(SESSION_UNIT))
        return view(request, *args, unit=unit, **kwargs)

    return wrapper
