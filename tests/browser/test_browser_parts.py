"""The browser sign-in's small parts: which posts are caught, which browser runs, what the CA bundle pins."""

from __future__ import annotations

import base64

import pytest

from samlbroker.browser.acs import AcsMatcher, saml_response_of
from samlbroker.browser.locate import BROWSER_ENV, find_browser
from samlbroker.errors import BrowserError, SAMLResponseError


@pytest.mark.parametrize(
    ("method", "url", "caught"),
    [
        ("POST", "https://signin.aws.amazon.com/saml", True),
        ("POST", "https://signin.aws.amazon.com:443/saml", True),
        ("POST", "https://us-east-2.signin.aws.amazon.com/saml", True),
        ("POST", "https://signin.amazonaws-us-gov.com/saml", True),
        ("POST", "https://signin.amazonaws.cn/saml", True),
        ("GET", "https://signin.aws.amazon.com/saml", False),
        ("POST", "https://signin.aws.amazon.com/federation", False),
        ("POST", "http://signin.aws.amazon.com/saml", False),
        ("POST", "https://signin.aws.amazon.com.evil.example/saml", False),
        ("POST", "https://evilsignin.aws.amazon.com/saml", False),
    ],
)
def test_the_aws_sign_in_post_of_every_partition_is_caught(method: str, url: str, caught: bool) -> None:
    assert AcsMatcher().matches(method, url) is caught


def test_acs_url_adds_exactly_that_address() -> None:
    matcher = AcsMatcher("https://sp.example:8443/acs")
    assert matcher.matches("POST", "https://SP.example:8443/acs?x=1")
    assert not matcher.matches("POST", "https://sp.example/acs")
    assert "https://sp.example:8443*" in matcher.url_patterns()


def test_only_a_saml_response_is_taken() -> None:
    response = base64.b64encode(
        b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>'
    ).decode()
    from urllib.parse import urlencode

    assert saml_response_of(urlencode({"SAMLResponse": response, "RelayState": "x"}).encode()) == response
    with pytest.raises(SAMLResponseError, match=r"not a SAML 2\.0 Response"):
        saml_response_of(urlencode({"SAMLResponse": base64.b64encode(b"<html/>").decode()}).encode())
    with pytest.raises(SAMLResponseError, match="without a SAMLResponse"):
        saml_response_of(b"RelayState=x")


def test_browser_path_and_the_environment_choose_the_browser(monkeypatch, chrome) -> None:
    monkeypatch.setenv(BROWSER_ENV, "/nowhere/chrome")
    with pytest.raises(
        BrowserError, match="SAMLBROKER_BROWSER '/nowhere/chrome' is not an executable browser"
    ):
        find_browser()
    assert str(find_browser(chrome)) == chrome  # browser_path wins over the variable
    with pytest.raises(BrowserError, match="browser_path '/nowhere/edge'"):
        find_browser("/nowhere/edge")
    monkeypatch.delenv(BROWSER_ENV)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr("samlbroker.browser.locate.LINUX_PLACES", ())
    with pytest.raises(BrowserError, match="no Chrome, Chromium or Edge found"):
        find_browser()


def test_the_ca_bundle_pins_the_verified_idp_key_and_the_bundles_own(lab) -> None:
    from samlbroker.browser.trust import bundle_certificates, spki_hash, spki_pins

    pins = spki_pins(str(lab.ca_file), [lab.signon_url])
    assert spki_hash(lab.pki.server_cert_der) in pins
    assert all(spki_hash(der) in pins for der in bundle_certificates(str(lab.ca_file)))
    assert len(pins) == 2


class _PipeAnswering:
    """Stands in for the DevTools pipe: the race below cannot be timed against a real page on demand."""

    def __init__(self, answer: object) -> None:
        self.answer = answer

    def call(self, method: str, params: object = None, session: object = None, deadline: float = 0) -> object:
        if isinstance(self.answer, Exception):
            raise self.answer
        return {"result": {"value": self.answer}}


def _headless_session(tmp_path, pipe):
    import time

    from samlbroker.browser.signin import BrowserSignIn, _Session

    session = _Session(BrowserSignIn(profile_dir=tmp_path, window=False), pipe, time.monotonic() + 30)
    session.pages["s1"], session.urls["s1"] = "t1", "https://idp.example/adfs/ls/"
    return session


def test_a_page_that_moves_on_while_it_is_read_is_not_a_failed_headless_sign_in(tmp_path) -> None:
    """A remembered session's auto-post page navigates at once; Chromium then refuses the check on it."""
    from samlbroker.browser.pipe import PageMovedOnError

    gone = PageMovedOnError("the browser refused Runtime.evaluate: Inspected target navigated or closed")
    session = _headless_session(tmp_path, _PipeAnswering(gone))
    session._loaded("s1")  # no error: the next page's load is checked instead
    assert session.quiet_until is None


def test_a_headless_page_that_needs_the_user_still_fails_at_once(tmp_path) -> None:
    from samlbroker.errors import InteractionRequiredError

    session = _headless_session(tmp_path, _PipeAnswering(True))
    with pytest.raises(InteractionRequiredError):
        session._loaded("s1")
