"""How the API answers a refusal: every DomainError becomes {"code": ..., "message": ...} with its status
(400 invalid input, 403 not allowed, 404, 409 already processed, 429 too many requests). `code` is stable
for programs; `message` is the Chinese text a person may be shown."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from zghz.core.errors import DomainError


def domain_error_body(e: DomainError) -> dict[str, str]:
    return {"code": e.code, "message": e.message}


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(request, domain_error_body(exc), status=exc.status)
