"""Reads of host apps for the back office (管理员)."""

from django.db.models import QuerySet
from django.http import Http404

from .models import HostApp


def host_app_list() -> QuerySet[HostApp]:
    return HostApp.objects.order_by("id").defer("key")


def host_app_by_id(app_id: int) -> HostApp:
    app = HostApp.objects.filter(pk=app_id).first()
    if app is None:
        raise Http404
    return app
