"""auth_type = browser against the lab, in Debian's headless Chromium, every request kept on loopback."""

from __future__ import annotations

import os
import signal

import pytest
from chromium import LabUserAtTheBrowser

from samlbroker import SAMLAuthenticationController, UserCredentials
from samlbroker.errors import BrowserError, InteractionRequiredError, SAMLBrokerError, SAMLResponseError


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_forms_login_through_the_browser(lab, idp, browser_login, guard, password) -> None:
    alice = LabUserAtTheBrowser("LAB\\alice", password("alice"))
    assertion, authenticator = browser_login(page_hook=alice)
    assert set(assertion.roles) == {"111122223333:Developer", "ReadOnly", "444455556666:Developer"}
    assert assertion.subject == "LAB\\alice"
    assert alice.typed_password == 1
    assert [(e["user"], e["scheme"], e["outcome"]) for e in idp.events] == [("alice", "forms", "success")]
    assert guard.tunnels and all(t.startswith("localhost:") for t in guard.tunnels)
    assert not _alive(authenticator.last_pid), "the browser must be gone once the login is done"


def test_a_script_only_second_factor_stops_the_forms_sign_in_but_not_the_browser(
    lab, idp, browser_login, password
) -> None:
    http = SAMLAuthenticationController(verify=str(lab.ca_file))
    with pytest.raises(SAMLResponseError, match="no SAMLResponse"):
        http.get_saml_assertion(lab.signon_url, UserCredentials("LAB\\wendy", password("wendy")), "forms")
    wendy = LabUserAtTheBrowser("LAB\\wendy", password("wendy"))
    assertion, _ = browser_login(page_hook=wendy)
    assert list(assertion.roles) == ["ReadOnly"]
    assert (wendy.typed_password, wendy.approved) == (1, 1)
    assert [e["outcome"] for e in idp.events if e["user"] == "wendy"][-2:] == ["success", "mfa_done"]


def test_a_saml_response_over_64_kb_is_caught_whole(lab, idp, browser_login, password) -> None:
    roles = [
        (
            f"arn:aws:iam::{100000000000 + n}:role/Team{n:04d}",
            f"arn:aws:iam::{100000000000 + n}:saml-provider/lab",
        )
        for n in range(600)
    ]
    idp.saml_options["roles"] = roles
    try:
        assertion, _ = browser_login(page_hook=LabUserAtTheBrowser("LAB\\bob", password("bob")))
    finally:
        idp.saml_options.pop("roles", None)
    assert len(assertion.base64) > 64 * 1024
    assert len(assertion.roles) == 600


def test_the_deadline_ends_a_sign_in_nobody_finishes(lab, idp, browser_login) -> None:
    nobody = LabUserAtTheBrowser("LAB\\alice", "", kmsi=False)
    nobody.__class__ = type("Idle", (), {"__call__": lambda self, page: None})
    with pytest.raises(BrowserError, match=r"no SAML response within 1\.5 s") as failure:
        browser_login(page_hook=nobody, deadline=1.5)
    assert "\n" not in str(failure.value)
    assert not _alive(browser_login.last.last_pid)


def test_a_closed_window_is_a_one_line_error(lab, idp, browser_login) -> None:
    def close_it(page) -> None:  # type: ignore[no-untyped-def]
        page.pipe.call("Target.closeTarget", {"targetId": page.target_id}, deadline=page.deadline)

    with pytest.raises(BrowserError, match="window was closed before the login finished"):
        browser_login(page_hook=close_it)


def test_a_crashed_browser_is_a_one_line_error(lab, idp, browser_login) -> None:
    def crash(page) -> None:  # type: ignore[no-untyped-def]
        os.kill(page.pipe.process.pid, signal.SIGKILL)

    with pytest.raises(BrowserError, match=r"crashed before the login finished \(killed by SIGKILL\)"):
        browser_login(page_hook=crash)


def test_a_second_login_goes_through_on_the_remembered_session(lab, idp, browser_login, password) -> None:
    first = LabUserAtTheBrowser("LAB\\alice", password("alice"), kmsi=True)
    browser_login(page_hook=first)
    assert first.typed_password == 1
    # A new browser process on the same profile: only the IdP's persistent cookie can skip the password.
    second = LabUserAtTheBrowser("LAB\\alice", password("alice"))
    assertion, _ = browser_login(page_hook=second)
    assert second.typed_password == 0
    assert "ReadOnly" in assertion.roles
    assert [e["outcome"] for e in idp.events] == ["success"]
    # And with no user at all (headless refresh): the same remembered session, no window needed.
    again, _ = browser_login()
    assert again.subject == "LAB\\alice"


def test_without_a_user_a_page_that_needs_one_fails_fast(lab, idp, browser_login) -> None:
    with pytest.raises(InteractionRequiredError, match="run `samlbroker login --profile dev`") as failure:
        browser_login(needs_user_hint="run `samlbroker login --profile dev`")
    assert "the page shows a form" in str(failure.value)
    assert idp.events == []  # nothing was posted to the IdP


def test_without_the_ca_bundle_the_lab_is_not_trusted(lab, idp, chrome, tmp_path) -> None:
    from samlbroker.authenticators.browser import BrowserAuthenticator

    authenticator = BrowserAuthenticator(
        profile_dir=tmp_path / "p", executable=chrome, window=False, deadline=20
    )
    with pytest.raises(SAMLBrokerError):
        SAMLAuthenticationController(authenticator=authenticator).get_saml_assertion(lab.signon_url)
    assert idp.stats()["requests"] == 0, "an IdP whose certificate is not trusted must get no request"


def test_a_ca_bundle_that_does_not_sign_the_idp_is_refused_before_the_browser_starts(
    lab, chrome, tmp_path
) -> None:
    from samlbroker.authenticators.browser import BrowserAuthenticator
    from samlbroker.errors import IdPUnreachableError
    from samlbroker.lab.saml import generate_signing_identity

    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_bytes(generate_signing_identity("Other CA")[1])
    authenticator = BrowserAuthenticator(profile_dir=tmp_path / "p", executable=chrome, window=False)
    controller = SAMLAuthenticationController(authenticator=authenticator, verify=str(other_ca))
    with pytest.raises(IdPUnreachableError, match="not trusted by ca_bundle"):
        controller.get_saml_assertion(lab.signon_url)
    assert authenticator.last_pid is None


def test_acs_url_catches_a_post_to_another_service_provider(
    lab, idp, browser_login, password, monkeypatch
) -> None:
    from samlbroker.lab import idp as lab_idp
    from samlbroker.lab.trusts import RelyingParty

    acs = f"{lab.idp_url}/saml"  # the lab's stand-in sign-in page: it would answer if the post reached it
    monkeypatch.setitem(
        lab_idp.RELYING_PARTIES, "urn:lab:other-sp", RelyingParty("urn:lab:other-sp", "aws", acs, acs)
    )
    url = lab.signon_url.replace("urn:amazon:webservices", "urn:lab:other-sp")
    bob = LabUserAtTheBrowser("LAB\\bob", password("bob"), kmsi=True)
    assertion, _ = browser_login(url, page_hook=bob, acs_url=acs)
    assert list(assertion.roles) == ["ReadOnly"]
    # Without acs_url the post goes on to that page (the lab's sign-in stand-in), and nothing is caught.
    with pytest.raises(BrowserError, match="no SAML response within 4 s"):
        browser_login(url, page_hook=bob, deadline=4)
    assert bob.pages[-1].startswith(acs)


def test_a_second_login_on_a_busy_profile_is_refused(lab, browser_login, tmp_path) -> None:
    from samlbroker.browser.profile import ProfileLock

    with (
        ProfileLock(tmp_path / "browser-profile"),
        pytest.raises(BrowserError, match="another samlbroker login"),
    ):
        browser_login()


def test_the_profile_folder_is_private(lab, browser_login, password, tmp_path) -> None:
    folder = tmp_path / "aws" / "browser" / "lab"
    browser_login(page_hook=LabUserAtTheBrowser("LAB\\bob", password("bob")), profile_dir=folder)
    assert (folder.stat().st_mode & 0o777, folder.parent.stat().st_mode & 0o777) == (0o700, 0o700)
    assert (folder / "Default").is_dir()  # Chromium's profile lives there, not in the user's own


def test_a_browser_that_cannot_start_is_a_one_line_error(lab, browser_login, tmp_path) -> None:
    with pytest.raises(BrowserError, match=r"stopped before the login finished \(exit status 1\)"):
        browser_login(executable="/bin/false")


def test_a_crashed_sign_in_page_is_a_one_line_error(lab, idp, browser_login) -> None:
    def crash_the_page(page) -> None:  # type: ignore[no-untyped-def]
        page.pipe.send("Page.crash", session=page.session)

    with pytest.raises(BrowserError, match="sign-in page crashed before the login finished"):
        browser_login(page_hook=crash_the_page)
    assert not _alive(browser_login.last.last_pid)
