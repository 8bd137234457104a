"""The same Windows-integrated logins across the lab IdP's deployment shapes (``IdPVariant``), over real sockets.

Each variant is one way real AD FS / IIS set-ups differ on the wire: the final Negotiate token sent or
dropped, offers in one header or several, which schemes ``/adfs/ls/wia`` takes, a connection closed
after the first 401, chunked bodies, the forms page served to a WIA client, a slow IdP. A login either
completes (with exactly one successful sign-in and no failed attempt at the IdP) or ends with the one-line
error a user can act on, and never costs a password attempt the user did not make.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from samlbroker import SAMLAuthenticationController, UserCredentials
from samlbroker.errors import AuthenticationFailedError, IdPUnreachableError, SAMLBrokerError
from samlbroker.lab.variant import IdPVariant

LOGINS = ("ntlm", "negotiate-ntlm", "kerberos", "negotiate-kerberos", "digest")
MECHANISM = {
    "ntlm": "ntlm",
    "negotiate-ntlm": "ntlm",
    "kerberos": "kerberos",
    "negotiate-kerberos": "kerberos",
    "digest": "digest",
}

NO_NEGOTIATE = r"does not offer Negotiate at \S+/adfs/ls/wia \(it offers: NTLM, Digest\).*auth_type = ntlm"
NEITHER = r"does not offer Negotiate at \S+/adfs/ls/wia \(it offers: Digest\): set auth_type = digest"
NTLM_REFUSED = r"refused NTLM at \S+/adfs/ls/wia before any password was checked.*only Kerberos"
MUTUAL = r"did not prove its identity as HTTP/localhost \(mutual authentication failed.*kerberos_mutual = no"
NOT_KEPT = (
    r"the IdP closed the connection after NTLM's challenge at \S+/adfs/ls/wia.*load balancer in front of it"
    r".*sticky sessions.*keep-alive.*no password was sent"
)
FORMS_PAGE = r"showed its forms sign-in page to a Windows-integrated sign-in.*auth_type = forms.*WIASupportedUserAgents"

# variant id -> (the IdPVariant fields changed, {login: regex of its one-line error} for those that must fail)
VARIANTS: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
    "default": ({}, {}),
    "no-final-token": ({"final_token": False}, {"kerberos": MUTUAL, "negotiate-kerberos": MUTUAL}),
    "one-header": ({"offers": "one-header"}, {}),
    "negotiate-only": ({"wia_schemes": ("negotiate",)}, {}),
    # negotiate answers an NTLM-only IdP with raw NTLM, as browsers do; Kerberos alone cannot
    "ntlm-only": ({"wia_schemes": ("ntlm",)}, {"kerberos": NO_NEGOTIATE}),
    "kerberos-only": ({"wia_schemes": ("kerberos",)}, {"ntlm": NTLM_REFUSED, "negotiate-ntlm": NTLM_REFUSED}),
    "close-after-challenge": ({"close_after_challenge": True}, {}),
    "close-after-ntlm-challenge": (
        {"close_after_ntlm_challenge": True},
        {"ntlm": NOT_KEPT, "negotiate-ntlm": NOT_KEPT},  # Kerberos is one leg: no connection to keep
    ),
    "chunked": ({"chunked": True}, {}),
    "wia-as-forms": ({"wia_as_forms": True}, dict.fromkeys(LOGINS, FORMS_PAGE)),
    "slow": ({"delay": 0.05}, {}),
}
# (variant id, login) -> the mechanism where it differs from MECHANISM
MECHANISM_IN = {("ntlm-only", "negotiate-kerberos"): "ntlm"}  # the default identity's NTLM (NTLM_USER_FILE)


@pytest.fixture(autouse=True)
def _restore_variant(lab):
    """The lab is shared by the whole run: each test here leaves the IdP's variant as it found it."""
    saved = lab.idp.variant
    yield
    lab.idp.variant = saved


@pytest.fixture(scope="module")
def ticket_cache(lab, tmp_path_factory) -> Path:
    """alice's TGT from the lab KDC, got once for this module (skipped, with the reason, without Kerberos)."""
    try:
        import gssapi  # noqa: F401
        import krb5  # noqa: F401
    except ImportError as exc:
        pytest.skip(
            f"pyspnego's Kerberos backend is not installed ({exc}): pip install 'samlbroker[kerberos]'"
        )
    if lab.kdc is None:
        pytest.skip(f"no lab KDC: {lab.kdc_unavailable}")
    path = tmp_path_factory.mktemp("wia-variants") / "krb5cc"
    lab.kdc.kinit("alice", path)
    return path


@pytest.fixture
def sign_in(lab, idp, password, request, tmp_path, monkeypatch):
    """``sign_in(login, **controller_options)``: one login of the kind named, as alice, against the lab IdP."""

    def run(login: str, timeout: float = 30, authenticator: Any = None, wrong_password: bool = False):
        if "kerberos" in login:
            cache = request.getfixturevalue("ticket_cache")
            for name, value in lab.kdc.client_env(cache).items():
                monkeypatch.setenv(name, value)
            ntlm_identity = tmp_path / "ntlm-user"  # alice as NTLM's default identity too
            ntlm_identity.write_text(f"LAB:alice:{password('alice')}\n")
            monkeypatch.setenv("NTLM_USER_FILE", str(ntlm_identity))
            credentials = None
        else:
            empty = tmp_path / "no-realm.conf"  # no realm known: Negotiate has to use NTLM
            empty.write_text("")
            monkeypatch.setenv("KRB5_CONFIG", str(empty))
            secret = "not-" + password("alice") if wrong_password else password("alice")
            credentials = UserCredentials("LAB\\alice", secret)
        auth_type = login.split("-")[0]
        controller = SAMLAuthenticationController(
            authenticator=authenticator, verify=str(lab.ca_file), timeout=timeout
        )
        assertion = controller.get_saml_assertion(lab.signon_url, credentials, auth_type)
        return controller, assertion

    return run


def _successes(idp) -> list[tuple[str, str]]:
    return [(e["user"], e["mechanism"]) for e in idp.stats()["events"] if e["outcome"] == "success"]


@pytest.mark.parametrize("login", LOGINS)
@pytest.mark.parametrize("variant_id", list(VARIANTS))
def test_windows_integrated_login_across_deployment_shapes(idp, sign_in, variant_id, login) -> None:
    changes, failures = VARIANTS[variant_id]
    idp.variant = IdPVariant(**changes)
    if login in failures:
        with pytest.raises(SAMLBrokerError) as caught:
            sign_in(login)
        message = str(caught.value)
        assert "\n" not in message and "Traceback" not in message, message
        assert re.search(failures[login], message), message
        assert not _successes(idp) or variant_id == "no-final-token"
    else:
        controller, assertion = sign_in(login)
        mechanism = MECHANISM_IN.get((variant_id, login), MECHANISM[login])
        assert "ReadOnly" in assertion.roles
        assert controller.last_mechanism == mechanism
        assert _successes(idp) == [("alice", mechanism)]
    assert idp.stats()["failed_attempts"] == {}  # no variant ever costs alice a password attempt


@pytest.mark.parametrize("login", ["kerberos", "negotiate-kerberos"])
def test_kerberos_without_the_final_token_passes_where_the_endpoint_relaxes_mutual_auth(
    lab, idp, sign_in, login
) -> None:
    from samlbroker.flow import controller_for
    from samlbroker.profiles import Endpoint

    idp.variant = IdPVariant(final_token=False)
    endpoint = Endpoint("corp", lab.signon_url, auth_type=login.split("-")[0], kerberos_mutual=False)
    relaxed = controller_for(endpoint).authenticator  # what `kerberos_mutual = no` on the endpoint builds
    controller, _ = sign_in(login, authenticator=relaxed)
    assert controller.last_mechanism == "kerberos"
    assert _successes(idp) == [("alice", "kerberos")]


@pytest.mark.parametrize("login", ["ntlm", "negotiate-ntlm"])
def test_ntlm_after_a_closed_challenge_starts_over_once_on_a_new_connection(idp, sign_in, login) -> None:
    idp.variant = IdPVariant(close_after_challenge=True)
    sign_in(login)
    stats = idp.stats()
    assert stats["connections"] == 2  # the closed one, and the one the whole handshake ran on
    assert [e["outcome"] for e in stats["events"]] == ["success"]  # one AUTHENTICATE, accepted


@pytest.mark.parametrize("login", ["ntlm", "negotiate-ntlm"])
def test_wrong_password_after_a_closed_challenge_costs_exactly_one_attempt(idp, sign_in, login) -> None:
    idp.variant = IdPVariant(close_after_challenge=True)
    with pytest.raises(AuthenticationFailedError):
        sign_in(login, wrong_password=True)
    assert idp.stats()["failed_attempts"] == {"alice": 1}


@pytest.mark.parametrize("login", ["ntlm", "negotiate-ntlm"])
@pytest.mark.parametrize("wrong_password", [False, True], ids=["right-password", "wrong-password"])
def test_a_connection_closed_after_the_ntlm_challenge_is_named_and_no_password_goes_out(
    idp, sign_in, login, wrong_password
) -> None:
    idp.variant = IdPVariant(close_after_ntlm_challenge=True)
    with pytest.raises(AuthenticationFailedError) as caught:
        sign_in(login, wrong_password=wrong_password)
    message = str(caught.value)
    assert re.search(NOT_KEPT, message), message
    assert "refused" not in message and "password was not retried" not in message
    assert idp.stats()["events"] == []  # no AUTHENTICATE was sent, on any connection
    assert idp.stats()["failed_attempts"] == {}


def test_a_slow_idp_shorter_than_the_timeout_signs_in_and_a_longer_one_is_a_one_line_timeout(
    idp, sign_in
) -> None:
    idp.variant = IdPVariant(delay=0.15)
    sign_in("ntlm", timeout=5)
    with pytest.raises(IdPUnreachableError) as caught:
        sign_in("ntlm", timeout=0.05)
    message = str(caught.value)
    assert "\n" not in message
    assert re.search(r"localhost:\d+ did not answer within 0.05 s", message), message


def test_chunked_bodies_are_what_the_lab_sends(lab, idp) -> None:
    import requests

    idp.variant = IdPVariant(chunked=True)
    answer = requests.get(lab.signon_url, verify=str(lab.ca_file), timeout=5)
    assert answer.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in answer.headers
    assert "<form" in answer.text


def test_one_header_offers_come_comma_joined_in_a_single_header(lab, idp) -> None:
    import http.client
    import ssl
    from urllib.parse import urlsplit

    idp.variant = IdPVariant(offers="one-header")
    context = ssl.create_default_context(cafile=str(lab.ca_file))
    connection = http.client.HTTPSConnection("localhost", lab.idp.server_address[1], context=context)
    connection.request("GET", "/adfs/ls/wia?" + urlsplit(lab.signon_url).query)
    response = connection.getresponse()
    response.read()
    connection.close()
    (offer,) = response.headers.get_all("WWW-Authenticate")
    assert offer.startswith("Negotiate, NTLM, Digest ")


@pytest.mark.parametrize(
    ("changes", "auth", "expected"),
    [
        ({"wia_as_forms": True}, "ntlm", FORMS_PAGE),
        ({"wia_schemes": ("kerberos",)}, "ntlm", NTLM_REFUSED),
        ({"wia_schemes": ()}, "negotiate", NEITHER),
        ({"close_after_ntlm_challenge": True}, "ntlm", NOT_KEPT),
    ],
    ids=["wia-as-forms", "kerberos-only", "digest-only", "close-after-ntlm-challenge"],
)
def test_the_cli_says_it_in_one_line_without_a_traceback(
    lab, idp, cli_env, password, changes, auth, expected
):
    from cli_runner import run_cli

    idp.variant = IdPVariant(**changes)
    cli_env["KRB5_CONFIG"] = "/dev/null"  # no realm: Negotiate has to use NTLM
    result = run_cli(
        cli_env,
        "roles",
        *("--endpoint-url", lab.signon_url, "--auth-type", auth, "--ca-bundle", str(lab.ca_file)),
        *("--user", "LAB\\alice", "--password-stdin"),
        stdin=password("alice") + "\n",
    )
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("samlbroker: ") and re.search(expected, line), line
    assert password("alice") not in result.stdout + result.stderr
    assert idp.stats()["failed_attempts"] == {}
