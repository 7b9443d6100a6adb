"""Who may open which back-office page. Every back-office view goes through `staff_view` (deny by default);
the login, 动态口令 and logout steps are the only public ones. The answers come from accounts/policy.py."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from zghz.accounts.policy import is_staff, staff_can

LOGIN_URL = "/staff/login/"


def staff_view(perm: str | None = None, write: bool = False) -> Callable[[Callable[..., HttpResponse]],
                                                                        Callable[..., HttpResponse]]:
    """Require a logged-in staff member with `accounts.view_backoffice` (and `perm` when given).

    Not logged in as staff: GET/HEAD go to the login page, any other method answers 404 (nothing to learn
    from a probe). Logged in but not allowed: 403. `write=True` also refuses read-only (区局) accounts.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not is_staff(user):
                if request.method in ("GET", "HEAD"):
                    return redirect_to_login(request.get_full_path(), LOGIN_URL)
                raise Http404
            if not staff_can(user, perm, write=write):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.staff_view = {"perm": perm, "write": write}  # type: ignore[attr-defined]
        return wrapper

    return decorator
