import sys
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# What an outage of PostgreSQL or Redis raises in a request: the connection is refused, reset or times out.
# (Integrity and data errors are defects, not outages: they stay 500.)
OUTAGES = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)
RETRY_AFTER_SECONDS = 10


def _error(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    return render(request, "error.html", {"title": title, "text": text}, status=status)


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _error(request, 400, _("请求有误"), _("提交的内容无法识别，请返回后重试。"))


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _error(request, 403, _("没有权限"), _("您没有访问该页面的权限。"))


def page_not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _error(request, 404, _("页面不存在"), _("您访问的页面不存在或已被删除。"))


def is_outage(exc: BaseException | None) -> bool:
    # A statement stopped by statement_timeout is an OperationalError too: the user can only retry, so it
    # gets the same answer.
    return isinstance(exc, OUTAGES)


def unavailable(request: HttpRequest) -> HttpResponse:
    """503 while the database or Redis does not answer (a restart, a failover, a network cut).

    Rendered without the request's context processors: they would read the session and the messages,
    which live in the database that is gone, and the error page would fail in turn."""
    body = render_to_string("unavailable.html", {
        "path": request.path, "title": _("系统繁忙"), "text": _("系统正在恢复服务，请稍后刷新页面重试。如刚才提交了表单，请返回确认是否已保存后再提交。")})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    if is_outage(sys.exc_info()[1]):
        return unavailable(request)
    return _error(request, 500, _("系统繁忙"), _("系统暂时无法处理您的请求，请稍后重试；如仍有问题请联系管理员。"))
