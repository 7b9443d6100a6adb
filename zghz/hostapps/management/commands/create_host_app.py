"""python manage.py create_host_app CODE NAME — a host app (灵锡, 微信公众号, 江苏工会) that may open the member
H5 with signed tickets. Prints the signing key once: it is stored encrypted and never shown again.
`--rotate` gives an existing app a new key instead."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zghz.core.errors import DomainError
from zghz.hostapps.models import HostApp
from zghz.hostapps.services import host_app_create, host_app_rotate_key


class Command(BaseCommand):
    help = "创建接入应用及其签名密钥（只显示一次）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="应用代码，如 lingxi")
        parser.add_argument("name", nargs="?", default="", help="应用名称，如 灵锡")
        parser.add_argument("--rotate", action="store_true", help="为已有应用更换密钥")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["rotate"]:
                app = HostApp.objects.filter(code=opts["code"]).first()
                if app is None:
                    raise CommandError(f"应用代码不存在：{opts['code']}", returncode=2)
                issued = host_app_rotate_key(app=app)
            else:
                issued = host_app_create(code=opts["code"], name=opts["name"])
        except DomainError as e:
            raise CommandError(e.message, returncode=2) from None
        self.stdout.write(f"app: {issued.app.code} ({issued.app.name})")
        self.stdout.write(f"key: {issued.key}")
        self.stdout.write("请妥善保存签名密钥：它只显示这一次。")
