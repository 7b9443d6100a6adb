"""Claim documents are stored only by the request that records them: a refused or outrun request leaves
no file behind (the files app's atomic_with_uploads)."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zghz.claims.models import Claim, ClaimDocument
from zghz.claims.services import claim_accident_create, claim_documents_upload
from zghz.conftest import Personas
from zghz.core.errors import AlreadyProcessed, DomainError
from zghz.files.models import StoredFile

from .review_factories import claim, coverage, image, pdf, png

pytestmark = pytest.mark.django_db
G = ClaimDocument.Group


def test_an_upload_that_arrives_after_the_claim_moved_on_stores_nothing(personas: Personas, blobs: Any) -> None:
    c = claim(coverage(personas.member, personas.unit_a))
    stale = Claim.objects.get(pk=c.pk)  # the member's second tab, opened while the claim waited for documents
    member = personas.member.account
    assert member is not None
    claim_documents_upload(actor=member, claim=c, group=G.EXAM_REPORT, files=[image()])
    claim_documents_upload(actor=member, claim=c, group=G.DISCHARGE, files=[png()])
    c.refresh_from_db()
    assert c.status == Claim.Status.INITIAL_REVIEW and len(blobs()) == 2
    with pytest.raises(AlreadyProcessed):
        claim_documents_upload(actor=member, claim=stale, group=G.EXAM_REPORT, files=[image("又一张.jpg")])
    assert len(blobs()) == 2 and StoredFile.objects.count() == 2


def test_an_upload_with_one_refused_file_stores_none(personas: Personas, blobs: Any) -> None:
    c = claim(coverage(personas.member, personas.unit_a))
    with pytest.raises(DomainError):
        claim_documents_upload(actor=personas.clerk, claim=c, group=G.EXAM_REPORT,
                               files=[pdf(), image(), SimpleUploadedFile("坏.png", b"not an image")])
    assert blobs() == [] and not StoredFile.objects.exists()


def test_a_refused_accident_entry_stores_none_of_its_documents(personas: Personas, blobs: Any) -> None:
    coverage(personas.member, personas.unit_a, start=timezone.localdate() - timedelta(days=20))
    day = timezone.localdate() - timedelta(days=10)
    args: dict[str, Any] = dict(actor=personas.clerk, id_number=personas.member.id_number, accident_date=day,
                                accident_type=Claim.AccidentType.ACCIDENT, result=Claim.AccidentResult.DEATH)
    claim_accident_create(**args, documents={G.DEATH_CERT: [pdf()]})
    assert len(blobs()) == 1
    with pytest.raises(DomainError, match="已有身故"):
        claim_accident_create(**args, documents={G.DEATH_CERT: [pdf("又一份.pdf")], G.ID_COPY: [image()]})
    assert len(blobs()) == 1 and StoredFile.objects.count() == 1
