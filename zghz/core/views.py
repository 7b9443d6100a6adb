from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _error(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    return render(request, "error.html", {"title": title, "text": text}, status=status)


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _error(request, 400, _("请求有误"), _("提交的内容无法识别，请返回后重试。"))


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _error(request, 403, _("没有权限"), _("您没有访问该页面的权限。"))


def page_not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _error(request, 404, _("页面不存在"), _("您访问的页面不存在或已被删除。"))


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500, _("系统繁忙"), _("系统暂时无法处理您的请求，请稍后重试；如仍有问题请联系管理员。"))
