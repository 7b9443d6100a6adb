"""Small pieces every back-office view module shares."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from zghz.accounts.models import User
from zghz.core.errors import DomainError


def paginate(request: HttpRequest, qs: QuerySet[Any], per_page: int) -> Page[Any]:
    """The requested page; a bad page number shows the nearest page."""
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def form_error(form: Any, e: DomainError) -> None:
    form.add_error(e.field if e.field in form.fields else None, e.message)


def staff_user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]
