"""The short link an SMS carries to one of the member's claims in the H5: `/m/c/<理赔编号>/`, which opens
the claim after 登录 (MEMBER_H5_BASE_URL is the address members reach the H5 at)."""

from django.conf import settings


def member_claim_link(number: str) -> str:
    return f"{settings.MEMBER_H5_BASE_URL.rstrip('/')}/m/c/{number}/"
