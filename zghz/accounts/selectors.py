"""Reads of accounts for the back office's 账户管理."""

from django.db.models import QuerySet
from django.http import Http404

from .models import User


def staff_accounts() -> QuerySet[User]:
    """Every staff account with what the list shows (roles, district) fetched up front."""
    return (User.objects.filter(kind=User.Kind.STAFF).select_related("district").prefetch_related("groups")
            .order_by("-is_active", "username"))


def staff_account_get(user_id: int) -> User:
    """One staff account for the 管理员's pages (the view has checked `manage_system`); 404 for any other
    kind of account, so handlers and members are never reached this way."""
    user = staff_accounts().filter(pk=user_id).first()
    if user is None:
        raise Http404
    return user
