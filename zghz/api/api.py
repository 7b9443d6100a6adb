from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from zghz.core.errors import DomainError

from .settlements import router as settlements_router

api = NinjaAPI(title="职工互助保障管理系统 API", version="1.0.0", urls_namespace="api")
api.add_router("", settlements_router)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message, "code": exc.code}, status=exc.status)


@api.get("/health", auth=None, summary="健康检查")
def health(request: HttpRequest) -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok"}
