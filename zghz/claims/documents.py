"""Which documents a claim needs before 经办初审 may 同意 (SPEC §6.2, §6.3; manual 附件 2).

The table is data: a key is (报销险种, 事故类型, 事故结果) with "" for "any", and the most specific key
wins. 重疾: 检查报告单/病理报告 and 出院记录/出院小结. 意外/工伤 (offline): the patient's 身份证复印件,
社保卡复印件 and 领取互济金申请表 with the union's stamp, plus 死亡证明 for a death, and for a disability the
assessment (工伤鉴定 for 工伤, 伤残鉴定 otherwise) with the 出院小结. 住院 claims come from 医保 data and
need none.
"""

from __future__ import annotations

from .models import Claim, ClaimDocument

G = ClaimDocument.Group
K = Claim.Kind
T = Claim.AccidentType
R = Claim.AccidentResult

_ACCIDENT_COMMON = (G.ID_COPY, G.CARD_COPY, G.APPLICATION)

REQUIRED_DOCUMENTS: dict[tuple[str, str, str], tuple[str, ...]] = {
    (K.HOSPITAL, "", ""): (),
    (K.CRITICAL_ILLNESS, "", ""): (G.EXAM_REPORT, G.DISCHARGE),
    (K.ACCIDENT, "", R.DEATH): (*_ACCIDENT_COMMON, G.DEATH_CERT),
    (K.ACCIDENT, T.WORK_INJURY, R.DISABILITY): (*_ACCIDENT_COMMON, G.INJURY_ASSESSMENT, G.DISCHARGE),
    (K.ACCIDENT, T.ACCIDENT, R.DISABILITY): (*_ACCIDENT_COMMON, G.DISABILITY_ASSESSMENT, G.DISCHARGE),
}

# Groups a member may upload from the H5 (SPEC §8: 检查报告单, 出院记录); staff may upload any group.
MEMBER_GROUPS = (G.EXAM_REPORT, G.DISCHARGE)


def required_groups(*, kind: str, accident_type: str = "", accident_result: str = "") -> tuple[str, ...]:
    for key in ((kind, accident_type, accident_result), (kind, "", accident_result), (kind, "", "")):
        if key in REQUIRED_DOCUMENTS:
            return REQUIRED_DOCUMENTS[key]
    return ()


def required_for(claim: Claim) -> tuple[str, ...]:
    return required_groups(kind=claim.kind, accident_type=claim.accident_type,
                           accident_result=claim.accident_result)


def missing_groups(claim: Claim, present: set[str] | None = None) -> list[str]:
    """Required groups without a current document, in the table's order."""
    if present is None:
        present = set(ClaimDocument.objects.filter(claim=claim, is_current=True).values_list("group", flat=True))
    return [g for g in required_for(claim) if g not in present]


def group_label(group: str) -> str:
    return str(dict(G.choices).get(group, group))
