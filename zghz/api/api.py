from django.http import HttpRequest
from ninja import NinjaAPI, Schema

from .docs import LocalSwagger
from .errors import install_error_handlers
from .member import router as member_router
from .settlements import router as settlements_router

api = NinjaAPI(title="职工互助保障管理系统 API", version="1.0.0", urls_namespace="api", docs=LocalSwagger())
install_error_handlers(api)
api.add_router("", settlements_router)
api.add_router("/member", member_router)


class HealthOut(Schema):
    status: str


@api.get("/health", auth=None, response=HealthOut, summary="健康检查")
def health(request: HttpRequest) -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok"}
