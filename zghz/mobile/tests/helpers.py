"""The member persona's records for the H5 tests: coverage in two 参保项目 and two years, a 待上传 重疾
claim and a 住院 claim decided at all three nodes (through the real services)."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from zghz.claims.models import Claim, ClaimDocument, ClaimEvent
from zghz.claims.services import claim_decide, claim_documents_upload
from zghz.claims.tests.review_factories import claim, coverage, image, plan_year
from zghz.conftest import Personas
from zghz.coverage.models import Coverage


@dataclass
class MemberRecords:
    current: Coverage  # 三合一, this year
    earlier: Coverage  # 三合一, two years ago
    other_plan: Coverage  # 女职工安康, this year
    pending: Claim  # 重疾 待上传
    completed: Claim  # 住院 已完成


def member_records(personas: Personas) -> MemberRecords:
    today = timezone.localdate()
    shy, older = plan_year(), plan_year(year=today.year - 2)
    current = coverage(personas.member, personas.unit_a, shy)
    earlier = coverage(personas.member, personas.unit_a, older, start=date(today.year - 2, 3, 1), days=300)
    other_plan = coverage(personas.member, personas.unit_b, plan_year(code="AK", name="女职工安康"))
    pending = claim(current)
    completed = claim(earlier, kind=Claim.Kind.HOSPITAL, amount="5000.00", diagnosis_name="急性阑尾炎")
    decide_all(personas, completed)
    return MemberRecords(current, earlier, other_plan, pending, completed)


def decide_all(personas: Personas, c: Claim) -> Claim:
    """经办初审, 业务复核 and 报告复核 agree, by three different people."""
    N, D = ClaimEvent.Node, ClaimEvent.Decision
    for actor, node in ((personas.clerk, N.INITIAL), (personas.business, N.BUSINESS), (personas.report, N.REPORT)):
        c.refresh_from_db()
        claim_decide(actor=actor, claim=c, node=node, decision=D.AGREE, comment="同意")
    c.refresh_from_db()
    return c


def upload_both(personas: Personas, c: Claim) -> None:
    for group in (ClaimDocument.Group.EXAM_REPORT, ClaimDocument.Group.DISCHARGE):
        assert personas.member.account is not None
        claim_documents_upload(actor=personas.member.account, claim=c, group=group, files=[image()])


def phone_photo(megabytes: float = 11) -> SimpleUploadedFile:
    """A JPEG as big as a phone camera's (noise compresses badly, so it stays large)."""
    side = int((megabytes * 1024 * 1024 / 1.6) ** 0.5)
    rng = random.Random(7)
    img = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=100)
    return SimpleUploadedFile("IMG_20261101_101010.jpg", buf.getvalue(), content_type="image/jpeg")
