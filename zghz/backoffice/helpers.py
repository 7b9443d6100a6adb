"""Small pieces every back-office view module shares."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest


def paginate(request: HttpRequest, qs: QuerySet[Any], per_page: int) -> Page[Any]:
    """The requested page; a bad page number shows the nearest page."""
    return Paginator(qs, per_page).get_page(request.GET.get("page"))
