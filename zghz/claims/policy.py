"""Who may do what to a claim, answered in one place: the services enforce it, the pages display it.

Review nodes (SPEC §1, §6): 待初审 → 经办初审 (`claim_initial_review`), 待复核 → 业务复核
(`claim_business_review`), 待报告复核 → 报告复核 (`claim_report_review`). Nobody decides two consecutive
nodes of one claim: 业务复核 may not be taken by whoever agreed at 经办初审 of the current pass, nor 报告复核
by whoever agreed at 业务复核 (majajia may do 经办初审 and 报告复核 with wangying between them). 区局
accounts only look. Staff upload documents on the member's behalf with the 经办 permission; the member
uploads 检查报告单 and 出院记录 while the claim waits for them (待上传, 已退回).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from zghz.accounts.models import User
from zghz.accounts.policy import staff_can

from .documents import MEMBER_GROUPS, group_label, missing_groups
from .models import Claim, ClaimDocument, ClaimEvent

S = Claim.Status
N = ClaimEvent.Node
D = ClaimEvent.Decision

NODE_FOR_STATUS: dict[str, str] = {S.INITIAL_REVIEW: N.INITIAL, S.BUSINESS_REVIEW: N.BUSINESS,
                                   S.REPORT_REVIEW: N.REPORT}
STATUS_FOR_NODE: dict[str, str] = {v: k for k, v in NODE_FOR_STATUS.items()}
NEXT_STATUS: dict[str, str] = {S.INITIAL_REVIEW: S.BUSINESS_REVIEW, S.BUSINESS_REVIEW: S.REPORT_REVIEW,
                               S.REPORT_REVIEW: S.COMPLETED}
NODE_PERMISSION: dict[str, str] = {N.INITIAL: "accounts.claim_initial_review",
                                   N.BUSINESS: "accounts.claim_business_review",
                                   N.REPORT: "accounts.claim_report_review"}
PREVIOUS_NODE: dict[str, str] = {N.BUSINESS: N.INITIAL, N.REPORT: N.BUSINESS}
REVIEW_NODES = (N.INITIAL, N.BUSINESS, N.REPORT)
UPLOAD_PERMISSION = "accounts.claim_initial_review"
# The member uploads while the claim waits for them; staff may also add to a claim awaiting 经办初审
# (a missing assessment arrives by post).
MEMBER_UPLOAD_STATUSES = (S.PENDING_UPLOAD, S.RETURNED)
STAFF_UPLOAD_STATUSES = (S.PENDING_UPLOAD, S.RETURNED, S.INITIAL_REVIEW)


def previous_decider_id(claim: Claim, node: str) -> int | None:
    """Who agreed at the node before `node` in the claim's current pass (None for 经办初审)."""
    previous = PREVIOUS_NODE.get(node)
    if previous is None:
        return None
    event = (ClaimEvent.objects.filter(claim=claim, node=previous, decision=D.AGREE)
             .order_by("-at", "-id").values("actor_id").first())
    return event["actor_id"] if event else None


@dataclass(frozen=True)
class ClaimActions:
    """What `user` may do with `claim` now; `refusal` says why a decision at the claim's node is not
    theirs to take (shown on the page, raised by the service)."""

    node: str = ""  # the review node the claim is at ("" when none)
    can_decide: bool = False  # 同意 / 不同意 at `node`
    can_return: bool = False  # 退回 to the member
    can_change_amount: bool = False  # 核定金额 with a reason
    can_upload: bool = False
    upload_groups: tuple[str, ...] = ()
    refusal: str = ""
    missing: list[str] = field(default_factory=list)  # labels of required documents not yet there


def decide_refusal(user: User, claim: Claim, node: str) -> str:
    """"" when `user` may decide `claim` at `node` now, otherwise the Chinese reason."""
    if node not in NODE_PERMISSION:
        return _("未知的审核节点")
    if not staff_can(user, NODE_PERMISSION[node], write=True):
        return _("没有{node}的权限").format(node=N(node).label)
    if NODE_FOR_STATUS.get(claim.status) != node:
        return _("该理赔当前状态为“{status}”，不在{node}节点").format(status=claim.get_status_display(),
                                                               node=N(node).label)
    if previous_decider_id(claim, node) == user.pk:
        return _("同一人不能审核同一理赔的相邻两个节点：您已审核{node}，请由其他人员办理").format(
            node=N(PREVIOUS_NODE[node]).label)
    return ""


def upload_refusal(user: User, claim: Claim, group: str) -> str:
    if group not in ClaimDocument.Group.values:
        return _("未知的材料类型")
    if user.is_authenticated and user.kind == User.Kind.MEMBER:
        if claim.person.account_id != user.pk:
            return _("只能上传本人的理赔材料")
        if claim.kind != Claim.Kind.CRITICAL_ILLNESS or group not in MEMBER_GROUPS:
            return _("该材料请交单位经办人线下提交")
        if claim.status not in MEMBER_UPLOAD_STATUSES:
            return _("该理赔当前状态为“{status}”，无需上传材料").format(status=claim.get_status_display())
        return ""
    if not staff_can(user, UPLOAD_PERMISSION, write=True):
        return _("没有代为上传理赔材料的权限")
    if claim.status not in STAFF_UPLOAD_STATUSES:
        return _("该理赔当前状态为“{status}”，不能再上传材料").format(status=claim.get_status_display())
    return ""


def claim_reviewable_by(user: User, claim: Claim) -> bool:
    """Whether the claim waits at a node this staff member works, without asking its history: what a
    queue row shows ("审核" or "查看") for many claims at once. The four-eyes rule and the rest are
    answered by `claim_actions` on the claim's own page and enforced by the services."""
    node = NODE_FOR_STATUS.get(claim.status, "")
    return bool(node) and staff_can(user, NODE_PERMISSION[node], write=True)


def claim_actions(user: User, claim: Claim) -> ClaimActions:
    node = NODE_FOR_STATUS.get(claim.status, "")
    refusal = decide_refusal(user, claim, node) if node else ""
    can_decide = bool(node) and not refusal
    if staff_can(user, UPLOAD_PERMISSION, write=True):
        groups: tuple[str, ...] = tuple(ClaimDocument.Group.values) if claim.status in STAFF_UPLOAD_STATUSES else ()
    elif user.is_authenticated and user.kind == User.Kind.MEMBER:
        groups = tuple(g for g in MEMBER_GROUPS if not upload_refusal(user, claim, g))
    else:
        groups = ()
    missing = [group_label(g) for g in missing_groups(claim)] if node == N.INITIAL else []
    return ClaimActions(
        node=node, can_decide=can_decide,
        # Only a claim whose documents come from the member can go back to them; a 住院 claim is built
        # from 医保 data and has nothing to upload again.
        can_return=can_decide and claim.kind != Claim.Kind.HOSPITAL,
        can_change_amount=can_decide, can_upload=bool(groups), upload_groups=groups,
        # A refusal matters only to someone who holds the node's permission; others just look.
        refusal=refusal if node and staff_can(user, NODE_PERMISSION[node]) else "",
        missing=missing,
    )
