"""python manage.py revoke_api_client KEY_ID — the key stops working at once (its requests answer 401)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zghz.apikeys.services import api_client_revoke
from zghz.core.errors import DomainError


class Command(BaseCommand):
    help = "吊销接口客户端密钥"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key_id")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            client = api_client_revoke(key_id=opts["key_id"])
        except DomainError as e:
            raise CommandError(e.message, returncode=2) from None
        self.stdout.write(f"已吊销：{client.name}（{client.key_id}）")
