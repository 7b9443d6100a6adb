"""How the API answers a refusal: every DomainError becomes {"code": ..., "message": ...} with its status
(400 invalid input, 401 not logged in, 403 not allowed, 404, 409 already processed, 413 too large, 422
malformed request, 429 too many requests). `code` is stable for programs; `message` is the Chinese text a
person may be shown. Django-ninja's own refusals (no token, a request that does not fit the schema, 404)
answer in the same shape, and every operation declares them in the OpenAPI document."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from zghz.core.errors import DomainError


class ErrorOut(Schema):
    code: str
    message: str


def domain_error_body(e: DomainError) -> dict[str, str]:
    return {"code": e.code, "message": e.message}


# Parts of a pydantic error location that name where the value came from or which member of a union it
# failed (`self_pay.str`, `self_pay.int`), not the field.
_NOT_FIELDS = {"body", "query", "path", "form", "file", "str", "int", "float", "bool", "none"}


def _where(error: dict[str, Any]) -> str:
    loc = [str(part) for part in error.get("loc", ()) if str(part) not in _NOT_FIELDS and "[" not in str(part)]
    return ".".join(loc)


def validation_message(errors: list[dict[str, Any]]) -> str:
    fields = sorted({w for w in (_where(e) for e in errors) if w})
    if not fields:
        return _("请求格式不正确")
    return _("请求参数不正确：{fields}").format(fields="、".join(fields))


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error responses an operation declares, for `response={200: ..., **errors(401, 404)}`; every
    operation may also answer 422 (a request that does not fit its schema)."""
    return dict.fromkeys((*statuses, 422), ErrorOut)


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(request, domain_error_body(exc), status=exc.status)

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(request, {"code": "unauthorized", "message": _("请先登录")}, status=401)

    @api.exception_handler(ValidationError)
    def on_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return api.create_response(request, {"code": "invalid_request", "message": validation_message(exc.errors)},
                                   status=422)

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, {"code": "not_found", "message": _("记录不存在")}, status=404)

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # Django-ninja's remaining refusals: a body that is no JSON at all (400), and the like.
        message = _("请求格式不正确") if exc.status_code == 400 else str(exc)
        return api.create_response(request, {"code": "bad_request" if exc.status_code == 400 else "error",
                                             "message": message}, status=exc.status_code)
