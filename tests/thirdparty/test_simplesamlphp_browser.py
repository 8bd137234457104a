"""``auth_type = browser`` against SimpleSAMLphp 1.19, a real SAML IdP written elsewhere: its own login page
in headless Chromium, its POST to AWS's sign-in URL caught, the signature verified, lab STS credentials."""

from __future__ import annotations

import json

import pytest
from chromium import LoopbackGuard, require_chromium
from simplesamlphp import PROVIDER_ARN

from samlbroker import SAMLAuthenticationController
from samlbroker.authenticators.browser import BrowserAuthenticator
from samlbroker.parsers.adfs import AdfsResponseParser

FILL_LOGIN = """(() => {{
  const user = document.querySelector('input[name=username]');
  const password = document.querySelector('input[name=password]');
  if (!user || !password) return false;
  user.value = {user};
  password.value = {password};
  password.form.submit();
  return true;
}})()"""


@pytest.fixture
def guard():  # type: ignore[no-untyped-def]
    proxy = LoopbackGuard()
    yield proxy
    proxy.close()
    assert proxy.refused == [], f"the browser tried to leave loopback: {proxy.refused}"


def test_browser_login_through_simplesamlphp_reaches_the_lab_sts(
    simplesamlphp, lab, aws_home, guard, tmp_path
):  # type: ignore[no-untyped-def]
    chrome = require_chromium()
    bob = simplesamlphp.users["bob"]
    typed: list[str] = []

    def user_at_the_browser(page) -> None:  # type: ignore[no-untyped-def]
        if page.evaluate(FILL_LOGIN.format(user=json.dumps(bob.name), password=json.dumps(bob.password))):
            typed.append(page.url)

    authenticator = BrowserAuthenticator(
        profile_dir=tmp_path / "browser",
        executable=chrome,
        window=False,
        page_hook=user_at_the_browser,
        deadline=60,
    )
    controller = SAMLAuthenticationController(
        authenticator=authenticator,
        parser=AdfsResponseParser(trusted_certs=simplesamlphp.signing_cert_pem),
        verify=str(simplesamlphp.ca_file),
        proxies=guard.url,
    )
    assertion = controller.get_saml_assertion(simplesamlphp.signon_url)
    assert len(typed) == 1  # SimpleSAMLphp's own login page, filled once
    assert {pair.principal_arn for pair in assertion.roles.values()} == {PROVIDER_ARN}
    credentials = assertion.get_role_credentials()
    session = lab.sts.session_for(credentials.access_key_id, credentials.session_token)
    assert session is not None and session.role_arn == bob.roles[0]
