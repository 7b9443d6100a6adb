"""How the member H5 knows whose records it shows. Every member page goes through `member_view`."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeGuard

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.accounts.models import User
from zghz.members.selectors import person_for_member

LOGIN_URL = "/m/login/"


def is_member(request: HttpRequest) -> TypeGuard[AuthenticatedHttpRequest]:
    return bool(request.user.is_authenticated and request.user.kind == User.Kind.MEMBER)


def member_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Require a logged-in member; passes `person` (fetched by the checked getter, 404 without one).
    Anybody else goes to 登录, and comes back to the page asked for after logging in."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_member(request):
            return redirect_to_login(request.get_full_path(), LOGIN_URL)
        return view(request, *args, person=person_for_member(request.user), **kwargs)

    return wrapper
