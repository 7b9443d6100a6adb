"""Two reviewers on one node at the same moment, each on its own connection (PostgreSQL only)."""

from __future__ import annotations

import pytest

from zghz.accounts.roles import CLERK
from zghz.audit.models import AuditEntry
from zghz.claims.models import Claim, ClaimEvent
from zghz.claims.services import claim_decide
from zghz.conftest import Personas, make_staff, run_together
from zghz.core.errors import AlreadyProcessed
from zghz.sms.models import SmsMessage

from .review_factories import claim, coverage

pytestmark = pytest.mark.django_db(transaction=True)
N = ClaimEvent.Node
D = ClaimEvent.Decision


@pytest.fixture(autouse=True)
def _postgresql(postgresql: None) -> None:
    """Row locks under true concurrency need PostgreSQL."""


def test_it_gives_one_decision_when_two_clerks_decide_one_node_at_once(personas: Personas) -> None:
    other = make_staff("clerk2", CLERK)
    cov = coverage(personas.member, personas.unit_a)
    for _round in range(3):
        c = claim(cov, kind=Claim.Kind.HOSPITAL, amount="5000.00")
        def agree(c: Claim = c) -> Claim:
            return claim_decide(actor=personas.clerk, claim=c, node=N.INITIAL, decision=D.AGREE)

        def disagree(c: Claim = c) -> Claim:
            return claim_decide(actor=other, claim=c, node=N.INITIAL, decision=D.DISAGREE, comment="不符合")

        results = run_together(agree, disagree)
        winners = [r for r in results if isinstance(r, Claim)]
        losers = [r for r in results if isinstance(r, AlreadyProcessed)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert "已被处理" in losers[0].message
        c.refresh_from_db()
        assert c.status == winners[0].status
        assert ClaimEvent.objects.filter(claim=c, node=N.INITIAL).count() == 1
        assert AuditEntry.objects.filter(object_id=str(c.pk), action__in=["claim.agree", "claim.reject"]).count() == 1
        # A rejection's SMS only when the rejection won.
        assert SmsMessage.objects.filter(purpose="claim", text__contains=c.number).count() == \
            (1 if c.status == Claim.Status.REJECTED else 0)


def test_it_keeps_four_eyes_when_one_person_races_two_nodes(personas: Personas) -> None:
    """A clerk who also holds 业务复核 clicks 业务复核 while their own 经办初审 is being saved: whichever
    order the database serialises, they never decide both."""
    from zghz.accounts.roles import BUSINESS_REVIEW

    both = make_staff("both", CLERK, BUSINESS_REVIEW)
    c = claim(coverage(personas.member, personas.unit_a), kind=Claim.Kind.HOSPITAL, amount="5000.00")
    claim_decide(actor=both, claim=c, node=N.INITIAL, decision=D.AGREE)
    c.refresh_from_db()
    results = run_together(
        lambda: claim_decide(actor=both, claim=c, node=N.BUSINESS, decision=D.AGREE),
        lambda: claim_decide(actor=personas.business, claim=c, node=N.BUSINESS, decision=D.AGREE),
    )
    assert isinstance(results[0], Exception), results
    events = ClaimEvent.objects.filter(claim=c, node=N.BUSINESS)
    assert list(events.values_list("actor__username", flat=True)) == ["business"]
