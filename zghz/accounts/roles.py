"""Staff roles (SPEC §1) as Django groups holding permissions. A person may hold several roles."""

from typing import Any

CLERK = "经办"
BUSINESS_REVIEW = "业务复核"
REPORT_REVIEW = "报告复核"
FINANCE = "财务"
DISTRICT = "区局"
ADMIN = "管理员"
ROLES = [CLERK, BUSINESS_REVIEW, REPORT_REVIEW, FINANCE, DISTRICT, ADMIN]

# codename -> label; declared on accounts.User.Meta.permissions
PERMISSIONS = {
    "view_backoffice": "进入后台",
    # Without it a staff member only looks (区局); see accounts/policy.py.
    "write_backoffice": "办理业务（可修改数据）",
    "review_unit": "审核单位",
    "edit_unit": "修改单位信息",
    "change_handler": "变更经办人",
    "review_work_order": "审核参保申请",
    "claim_initial_review": "经办初审",
    "claim_business_review": "业务复核",
    "claim_report_review": "报告复核",
    "confirm_payment": "确认付款",
    "run_payout": "支付批次",
    "view_all_districts": "查看全市数据",
    "view_audit": "查看审计日志",
    "view_sms": "查看短信记录",
    "manage_system": "系统管理",
}

ROLE_PERMISSIONS: dict[str, list[str]] = {
    CLERK: ["view_backoffice", "write_backoffice", "review_unit", "change_handler", "review_work_order",
            "claim_initial_review", "view_all_districts", "view_sms"],
    BUSINESS_REVIEW: ["view_backoffice", "write_backoffice", "claim_business_review", "view_all_districts"],
    REPORT_REVIEW: ["view_backoffice", "write_backoffice", "claim_report_review", "view_all_districts"],
    FINANCE: ["view_backoffice", "write_backoffice", "confirm_payment", "run_payout", "view_all_districts"],
    # 区局 is read-only (no write_backoffice) and scoped to the district on the staff account (no
    # view_all_districts); the two are independent, so other combinations are a matter of configuration.
    DISTRICT: ["view_backoffice"],
    ADMIN: ["view_backoffice", "write_backoffice", "review_unit", "edit_unit", "change_handler", "view_all_districts",
            "view_audit", "view_sms", "manage_system"],
}


def sync_role_groups(**kwargs: Any) -> None:
    """Create the role groups and (re)attach their permissions after every migrate (this is also how a
    permission added to a role reaches existing databases)."""
    from django.contrib.auth.models import Group, Permission

    perms = {p.codename: p for p in Permission.objects.filter(content_type__app_label="accounts")}
    if not perms:
        return
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([perms[c] for c in codenames if c in perms])
