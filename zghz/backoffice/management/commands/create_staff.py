"""manage.py create_staff: the back office's accounts from the command line (the first 管理员 included).

It lives with the back office, not in accounts: it looks a 区局 up by name in units, and units imports
accounts, so accounts importing units would close a cycle."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zghz.accounts.services import staff_create
from zghz.core.errors import DomainError
from zghz.units.models import District


class Command(BaseCommand):
    help = "创建后台工作人员账户；密码从标准输入读取。例：echo 密码 | manage.py create_staff wangying --roles 业务复核"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--roles", required=True, help="逗号分隔：经办,业务复核,报告复核,财务,区局,管理员")
        parser.add_argument("--name", default="", help="姓名")
        parser.add_argument("--district", default="", help="区局账户所属区局名称")

    def handle(self, *args: Any, **opts: Any) -> None:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise CommandError("请从标准输入提供密码")
        roles = [r.strip() for r in opts["roles"].split(",") if r.strip()]
        district_id = None
        if opts["district"]:
            district = District.objects.filter(name=opts["district"]).first()
            if district is None:
                raise CommandError(f"区局不存在：{opts['district']}")
            district_id = district.pk
        if "区局" in roles and district_id is None:
            raise CommandError("区局账户需要 --district")
        try:
            user = staff_create(username=opts["username"], password=password, roles=roles,
                                full_name=opts["name"], district_id=district_id)
        except DomainError as e:
            raise CommandError(e.message) from None
        self.stdout.write(f"已创建 {user.username}（{'、'.join(roles)}）")
