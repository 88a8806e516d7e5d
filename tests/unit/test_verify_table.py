"""The one table from refusal reasons to HTTP statuses (node/federation/verify.py)."""

from __future__ import annotations

from typing import get_args

from node.activitypub import bounds
from node.activitypub.signatures.results import Failure
from node.federation.verify import REFUSALS, Refusal, status_of


def test_every_bounds_violation_is_a_400_with_a_message() -> None:
    for reason in get_args(bounds.ViolationReason):
        assert REFUSALS[reason][0] == 400 and REFUSALS[reason][1]


def test_every_signature_failure_is_a_401() -> None:
    for failure in Failure:
        assert status_of(failure) == 401
        assert Refusal(str(failure)).status == 401


def test_a_refusal_without_detail_says_the_table_message() -> None:
    assert Refusal("blocked").status == 403
    assert Refusal("blocked").message == REFUSALS["blocked"][1]
    assert Refusal("rate_limited", "slow down").message == "slow down"
    assert Refusal("too_complex").status == 401  # a forwarded activity's LD signature
