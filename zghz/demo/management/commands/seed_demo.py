from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zghz.demo.data import MEMBER, load_demo


class Command(BaseCommand):
    help = "载入演示数据和演示账户（仅演示模式；重复运行无副作用）"

    def handle(self, *args: Any, **opts: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("生产环境不创建演示账户")
        accounts = load_demo()
        self.stdout.write("演示账户：")
        for who, login, secret in accounts:
            self.stdout.write(f"  {who:<28} {login:<14} {secret}")
        self.stdout.write(f"单位门户 /；后台 /staff/login/；短信发件箱：{settings.SMS_OUTBOX_PATH}")
        self.stdout.write(f"会员手机端 /m/：手机号 {MEMBER[2]}（{MEMBER[0]}）点击“获取验证码”，验证码见短信发件箱；"
                          "在浏览器的手机模式（375 像素宽）下查看")
