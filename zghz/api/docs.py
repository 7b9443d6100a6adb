"""/api/v1/docs: Swagger UI from our own static files (zghz/static/vendor/swagger-ui), never a CDN:
government intranets have no internet."""

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase

if TYPE_CHECKING:
    from ninja import NinjaAPI

SWAGGER_SETTINGS = {
    "layout": "BaseLayout",
    "deepLinking": True,
    # Swagger UI otherwise asks validator.swagger.io for a badge on every page.
    "validatorUrl": None,
}


class LocalSwagger(DocsBase):
    def render_page(self, request: HttpRequest, api: "NinjaAPI", **kwargs: Any) -> HttpResponse:
        settings = {**SWAGGER_SETTINGS, "url": self.get_openapi_url(api, kwargs)}
        return render(request, "api/swagger.html", {"api": api, "swagger_settings": settings})
