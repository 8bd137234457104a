"""The IdP's own words on login pages that mark their error box only loosely (SimpleSAMLphp 1.19's shape)."""

from __future__ import annotations

import pytest

from samlbroker.errors import AuthenticationFailedError
from samlbroker.parsers.adfs import AdfsResponseParser

FORM = (
    '<form method="post" action="?"><input name="username"/><input name="password" type="password"/></form>'
)


def _refusal(body: str) -> AuthenticationFailedError:
    with pytest.raises(AuthenticationFailedError) as failure:
        AdfsResponseParser().parse(f"<html><body>{body}{FORM}</body></html>")
    return failure.value


def test_an_error_icons_box_gives_its_words_without_the_heading() -> None:
    box = (
        '<div style="border-left: 1px solid"><img src="error.png" class="float-l erroricon" alt=""/>'
        "<h2>Error</h2><p><strong>Incorrect username or password</strong></p><p>Check the username.</p></div>"
    )
    assert _refusal(box).idp_message == "Incorrect username or password Check the username."


def test_a_box_with_only_a_heading_keeps_it() -> None:
    assert _refusal('<div><img class="erroricon"/><h2>Login failed</h2></div>').idp_message == "Login failed"


def test_role_alert_is_read() -> None:
    assert _refusal('<div role="alert">Account locked.</div>').idp_message == "Account locked."
