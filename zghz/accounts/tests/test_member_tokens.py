"""Member API tokens: issued as digests only, short-lived, replaced on refresh, revoked on logout and when
a refresh token comes back a second time."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from zghz.accounts.models import MemberToken, User
from zghz.accounts.services import (
    member_token_authenticate,
    member_token_issue,
    member_token_refresh,
    member_token_revoke,
)
from zghz.conftest import Personas
from zghz.core.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(personas: Personas) -> User:
    assert personas.member.account is not None
    return personas.member.account


def test_issue_keeps_only_digests(member: User, settings: Any) -> None:
    issued = member_token_issue(user=member, ip="10.0.0.1")
    row = MemberToken.objects.get()
    assert issued.access_token.startswith("zma_") and issued.refresh_token.startswith("zmr_")
    assert {issued.access_token, issued.refresh_token}.isdisjoint({row.access_hash, row.refresh_hash})
    assert row.access_expires_at - row.created_at == timedelta(seconds=settings.MEMBER_ACCESS_TOKEN_SECONDS)
    assert member_token_authenticate(token=issued.access_token) == row
    assert member_token_authenticate(token=issued.refresh_token) is None  # a refresh token is no access token


@pytest.mark.parametrize("spoil", ["expired", "revoked", "inactive"])
def test_authenticate_refuses_a_dead_token(member: User, spoil: str) -> None:
    issued = member_token_issue(user=member)
    if spoil == "expired":
        MemberToken.objects.update(access_expires_at=timezone.now())
    elif spoil == "revoked":
        member_token_revoke(token=MemberToken.objects.get())
    else:
        User.objects.filter(pk=member.pk).update(is_active=False)
    assert member_token_authenticate(token=issued.access_token) is None


def test_refresh_rotates_and_a_second_use_revokes_every_token(member: User) -> None:
    first = member_token_issue(user=member)
    other_device = member_token_issue(user=member)
    second = member_token_refresh(refresh_token=first.refresh_token)
    assert member_token_authenticate(token=first.access_token) is None
    assert member_token_authenticate(token=second.access_token) is not None
    with pytest.raises(DomainError) as e:
        member_token_refresh(refresh_token=first.refresh_token)
    assert (e.value.status, e.value.code) == (401, "invalid_token")
    assert member_token_authenticate(token=second.access_token) is None
    assert member_token_authenticate(token=other_device.access_token) is None


def test_an_expired_refresh_token_renews_nothing(member: User) -> None:
    issued = member_token_issue(user=member)
    MemberToken.objects.update(refresh_expires_at=timezone.now())
    with pytest.raises(DomainError):
        member_token_refresh(refresh_token=issued.refresh_token)
    assert MemberToken.objects.count() == 1
