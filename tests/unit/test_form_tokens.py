"""The registration form's token: bound to the cookie and item, fresh, and good for one post."""

from __future__ import annotations

from node.spent_tokens import SpentTokens
from node.web import forms

SECRET = "s" * 32
NONCE = "n" * 24


def test_two_page_views_in_the_same_second_get_different_tokens() -> None:
    one = forms.form_token(SECRET, NONCE, "uid", now=1000)
    two = forms.form_token(SECRET, NONCE, "uid", now=1000)
    assert one != two
    assert forms.check_token(SECRET, NONCE, "uid", one, now=1001)
    assert not forms.check_token(SECRET, NONCE, "other", one, now=1001)
    assert not forms.check_token(SECRET, NONCE, "uid", one, now=1000 + forms.MAX_AGE + 1)
    # The old two-part form (no salt) is refused, not crashed on.
    assert not forms.check_token(SECRET, NONCE, "uid", "1000." + "0" * 64, now=1001)


def test_a_token_is_spent_once_and_forgotten_when_it_would_have_expired() -> None:
    spent = SpentTokens(max_entries=3)
    assert spent.spend("a", now=0)
    assert not spent.spend("a", now=1)
    assert spent.spend("a", now=forms.MAX_AGE + 1)  # long expired: check_token refuses it anyway
    for name in "bcde":
        assert spent.spend(name, now=forms.MAX_AGE + 2)
    assert len(spent._spent) <= 3
