import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import metrics
from .logs import request_id_var

logger = logging.getLogger("zghz.request")

# A request id from the load balancer is kept if it looks like one; anything else is replaced.
_GOOD_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _section(path: str) -> str:
    for prefix, section in (("/staff/", "staff"), ("/api/", "api"), ("/m/", "member"), ("/static/", "static")):
        if path.startswith(prefix):
            return section
    if path in {"/healthz", "/readyz", "/metrics"}:
        return "ops"
    return "unit"


class RequestLogMiddleware:
    """One JSON log line and one latency observation per request, under a request id that every other
    log line of the request carries too and that the response returns as X-Request-ID.

    The line has the path without its query string (queries may carry ID numbers or phones), the
    route pattern, status, duration and the user's id; never a parameter value or a form field.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _GOOD_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        start = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response["X-Request-ID"] = request_id
            return response
        finally:
            seconds = time.perf_counter() - start
            section = _section(request.path)
            match = getattr(request, "resolver_match", None)
            # Only a user the request already loaded: logging must not add a session or user query.
            user = getattr(request, "_cached_user", None)
            logger.info("request", extra={
                "method": request.method, "path": request.path, "route": getattr(match, "route", None),
                "status": status, "duration_ms": round(seconds * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            })
            if section != "static":
                metrics.observe_request(section=section, method=request.method or "", status=status,
                                        seconds=seconds)
            request_id_var.reset(token)
