"""python manage.py create_api_client NAME — a key for another system (the 医保 feed). Prints the key
id and the secret once: the secret is stored encrypted and is never shown again."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zghz.apikeys.services import api_client_create
from zghz.core.errors import DomainError


class Command(BaseCommand):
    help = "创建接口客户端密钥（只显示一次）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="客户端名称，如 医保结算推送")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            issued = api_client_create(name=opts["name"])
        except DomainError as e:
            raise CommandError(e.message, returncode=2) from None
        self.stdout.write(f"key_id: {issued.key_id}")
        self.stdout.write(f"secret: {issued.secret}")
        self.stdout.write("请妥善保存签名密钥：它只显示这一次。")
