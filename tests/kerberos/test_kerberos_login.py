"""Kerberos and Negotiate sign-ons against the lab: a real MIT KDC, the IdP's keytab, real sockets."""

from __future__ import annotations

import base64
import hashlib
import http.client
import logging
import socket
import ssl
from urllib.parse import urlsplit

import pytest
import spnego
from spnego.channel_bindings import GssChannelBindings

from samlbroker import SAMLAuthenticationController, UserCredentials
from samlbroker.authenticators.windows import KerberosAuthenticator, NegotiateAuthenticator
from samlbroker.errors import AuthenticationFailedError
from samlbroker.lab.kdc import LabKDC, client_config_text, skew_ccache

ALICE_ROLES = {"111122223333:Developer", "444455556666:Developer", "ReadOnly"}


def _controller(lab, authenticator=None) -> SAMLAuthenticationController:
    return SAMLAuthenticationController(authenticator=authenticator, verify=str(lab.ca_file))


def _successes(idp) -> list[tuple[str, str, str]]:
    return [
        (e["user"], e["scheme"], e["mechanism"]) for e in idp.stats()["events"] if e["outcome"] == "success"
    ]


def _failure(
    lab, url: str | None = None, credentials=None, auth: str = "kerberos", authenticator=None
) -> str:
    with pytest.raises(AuthenticationFailedError) as caught:
        _controller(lab, authenticator).get_saml_assertion(url or lab.signon_url, credentials, auth)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message, message
    return message


def _ip_url(lab) -> str:
    return lab.signon_url.replace("//localhost:", "//127.0.0.1:")


# default identity: the ticket cache


def test_default_identity_login_uses_the_ticket_cache_silently(lab, idp, kdc, alice_ticket) -> None:
    controller = _controller(lab)
    assertion = controller.get_saml_assertion(lab.signon_url, None, "kerberos")
    assert set(assertion.roles) == ALICE_ROLES
    assert controller.last_mechanism == "kerberos"
    assert _successes(idp) == [("alice", "Negotiate", "kerberos")]
    assert kdc.requests_seen().get("AS_REQ", 0) == 0  # no password, no new TGT: only the service ticket
    assert idp.stats()["requests"] == 4


def test_krb5ccname_chooses_whose_ticket_is_used(lab, idp, kdc, ccache, tmp_path, monkeypatch) -> None:
    bob_cache = kdc.kinit("bob", tmp_path / "bob.cc")
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{bob_cache}")
    assertion = _controller(lab).get_saml_assertion(lab.signon_url, None, "kerberos")
    assert list(assertion.roles) == ["ReadOnly"]
    assert _successes(idp) == [("bob", "Negotiate", "kerberos")]


def test_missing_ticket_cache_says_run_kinit_and_sends_nothing(lab, idp, kdc, ccache) -> None:
    message = _failure(lab)
    assert "no Kerberos ticket" in message and "run kinit USER@LAB.EXAMPLE, or give --user" in message
    assert str(ccache) in message
    assert not [e for e in idp.stats()["events"]]  # the IdP saw no token at all
    assert kdc.requests_seen() == {}


def test_expired_ticket_says_run_kinit(lab, idp, tmp_path, monkeypatch, kdc) -> None:
    # A realm of its own that tolerates 1 s of expiry (the lab's, like AD, tolerates 5 minutes).
    with LabKDC(lab.users, tmp_path / "strict", clockskew=1) as strict:
        cache = tmp_path / "short.cc"
        strict.kinit("alice", cache, lifetime="10m")
        for name, value in strict.client_env(cache).items():
            monkeypatch.setenv(name, value)
        skew_ccache(cache, 3600)  # the client's clock an hour on: its 10-minute ticket is past, no waiting
        message = _failure(lab)
    assert "has expired" in message and "run kinit USER@LAB.EXAMPLE, or give --user" in message


def test_clock_skew_is_named(lab, idp, kdc, alice_ticket) -> None:
    skew_ccache(alice_ticket, 3600)  # this client's clock now runs an hour ahead of the KDC's
    message = _failure(lab)
    assert "clock skew" in message


# password: a ticket acquired in memory


def test_password_login_gets_a_ticket_in_memory_and_writes_no_cache(lab, idp, kdc, ccache, password) -> None:
    controller = _controller(lab)
    bob = UserCredentials("LAB\\bob", password("bob"))
    assertion = controller.get_saml_assertion(lab.signon_url, bob, "kerberos")
    assert list(assertion.roles) == ["ReadOnly"]
    assert controller.last_mechanism == "kerberos"
    assert _successes(idp) == [("bob", "Negotiate", "kerberos")]
    assert kdc.requests_seen()["AS_REQ"] >= 1 and not kdc.refusals()
    assert not ccache.exists()  # the TGT never touched the disk


def test_upn_sign_in_name_maps_to_the_realm(lab, idp, kdc, ccache, password) -> None:
    assertion = _controller(lab).get_saml_assertion(
        lab.signon_url, UserCredentials("bob@lab.example", password("bob")), "kerberos"
    )
    assert list(assertion.roles) == ["ReadOnly"]


def test_wrong_password_costs_exactly_one_failed_attempt_at_the_kdc(lab, idp, kdc, ccache, password) -> None:
    wrong = "not-" + password("bob")
    message = _failure(lab, credentials=UserCredentials("LAB\\bob", wrong))
    assert "refused the password for LAB\\bob" in message and wrong not in message
    assert kdc.failed_attempts() == {"bob@LAB.EXAMPLE": 1}
    assert idp.stats()["events"] == []


def test_wrong_password_with_negotiate_is_not_retried_over_ntlm(lab, idp, kdc, ccache, password) -> None:
    wrong = "not-" + password("bob")
    _failure(lab, credentials=UserCredentials("LAB\\bob", wrong), auth="negotiate")
    assert kdc.failed_attempts() == {"bob@LAB.EXAMPLE": 1}
    assert idp.stats()["failed_attempts"] == {}
    assert idp.stats()["events"] == []


def test_disabled_account_gets_no_ticket(lab, idp, kdc, ccache, password) -> None:
    message = _failure(lab, credentials=UserCredentials("LAB\\carol", password("carol")))
    assert "disabled" in message
    assert kdc.refusals() == [("CLIENT LOCKED OUT", "carol@LAB.EXAMPLE")]
    assert kdc.failed_attempts() == {}


def test_unreachable_kdc_is_named(lab, idp, kdc, ccache, krb5_conf, password) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{closed.getsockname()[1]}"
    krb5_conf(client_config_text(kdc.realm, dead, ("localhost",)))
    message = _failure(lab, credentials=UserCredentials("LAB\\bob", password("bob")))
    assert "cannot reach a Kerberos KDC for realm LAB.EXAMPLE" in message


# the service principal


def test_unknown_spn_is_named(lab, idp, kdc, alice_ticket) -> None:
    message = _failure(lab, url=_ip_url(lab))
    assert "HTTP/127.0.0.1" in message and "server not found in Kerberos database" in message


def test_spn_follows_the_final_redirect_host(lab, idp, kdc, alice_ticket) -> None:
    idp.wia_base = (
        lab.idp_url
    )  # the sign-on page on 127.0.0.1 sends the client to https://localhost/adfs/ls/wia
    controller = _controller(lab)
    assertion = controller.get_saml_assertion(_ip_url(lab), None, "kerberos")
    assert set(assertion.roles) == ALICE_ROLES
    tgs = [line for line in kdc.log_lines() if " TGS_REQ " in line]
    assert len(tgs) == 1 and "for HTTP/localhost@LAB.EXAMPLE" in tgs[0]


def test_hostname_canonicalisation_is_off_even_when_krb5_conf_turns_it_on(
    lab, idp, kdc, alice_ticket, krb5_conf
) -> None:
    krb5_conf(client_config_text(kdc.realm, kdc.address, (), dns_canonicalize_hostname="true", rdns="true"))
    message = _failure(lab, url=_ip_url(lab))
    assert "HTTP/127.0.0.1" in message


def test_hostname_canonicalisation_can_be_turned_on(lab, idp, kdc, alice_ticket) -> None:
    try:
        reverse = socket.gethostbyaddr("127.0.0.1")[0]
    except OSError:
        reverse = ""
    if reverse != "localhost":
        pytest.skip(f"127.0.0.1 reverse-resolves to {reverse!r} here, not localhost")
    controller = _controller(lab, KerberosAuthenticator(canonicalize_hostname=True))
    assertion = controller.get_saml_assertion(_ip_url(lab), None)
    assert set(assertion.roles) == ALICE_ROLES
    assert any("for HTTP/localhost@LAB.EXAMPLE" in line for line in kdc.log_lines())


def test_mutual_authentication_is_required(lab, idp, kdc, alice_ticket) -> None:
    idp.variant = idp.variant.but(final_token=False)  # the IdP never proves it holds the HTTP/localhost key
    message = _failure(lab)
    assert "mutual authentication failed" in message and "HTTP/localhost" in message


def test_delegation_is_off_and_mutual_auth_on_unless_asked_for(kdc) -> None:
    for authenticator in (KerberosAuthenticator(), NegotiateAuthenticator()):
        auth = authenticator.http_auth(None, "localhost")
        assert (auth.delegate, auth.mutual, auth.canonicalize) == (False, True, False)
    assert KerberosAuthenticator(delegate=True).http_auth(None, "localhost").delegate is True


# Extended Protection: the AP-REQ carries the TLS channel bindings (RFC 5929 tls-server-end-point)


def _hand_driven_kerberos(lab, bindings) -> tuple[int, dict]:
    """One Negotiate-Kerberos AP-REQ sent by hand to /adfs/ls/wia; the status and the IdP's event."""
    context = ssl.create_default_context(cafile=str(lab.ca_file))
    connection = http.client.HTTPSConnection("localhost", lab.idp.server_address[1], context=context)
    connection.connect()
    if bindings == "right":
        der = connection.sock.getpeercert(binary_form=True)
        bindings = GssChannelBindings(
            application_data=b"tls-server-end-point:" + hashlib.sha256(der).digest()
        )
    client = spnego.client(
        hostname="localhost", service="HTTP", protocol="kerberos", channel_bindings=bindings
    )
    token = base64.b64encode(client.step()).decode()
    connection.request("GET", "/adfs/ls/wia?" + urlsplit(lab.signon_url).query,
                       headers={"Authorization": f"Negotiate {token}"})  # fmt: skip
    response = connection.getresponse()
    response.read()
    connection.close()
    (event,) = lab.idp.events
    return response.status, event


def test_kerberos_logins_carry_the_tls_channel_bindings(lab, idp, kdc, alice_ticket, monkeypatch) -> None:
    monkeypatch.setattr(lab.idp, "extended_protection", "require")  # AD FS refusing unbound tokens
    _controller(lab).get_saml_assertion(lab.signon_url, None, "kerberos")
    (event,) = idp.stats()["events"]
    assert (event["outcome"], event["mechanism"], event["cbt"]) == ("success", "kerberos", True)


def test_kerberos_with_bindings_of_another_certificate_is_refused(lab, idp, kdc, alice_ticket) -> None:
    wrong = GssChannelBindings(application_data=b"tls-server-end-point:" + b"\x00" * 31 + b"\x01")
    status, event = _hand_driven_kerberos(lab, wrong)
    # MIT's acceptor does not say why (the context just never completes); the same client with the right
    # bindings gets in (test_kerberos_with_the_right_bindings_by_hand_is_bound).
    assert status == 401
    assert (event["outcome"], event["mechanism"]) == ("bad_token", "kerberos")


@pytest.mark.parametrize(("policy", "outcome"), [("allow", "success"), ("require", "no_bindings")])
def test_kerberos_without_bindings_passes_only_where_they_are_not_required(
    lab, idp, kdc, alice_ticket, monkeypatch, policy: str, outcome: str
) -> None:
    monkeypatch.setattr(lab.idp, "extended_protection", policy)
    status, event = _hand_driven_kerberos(lab, None)
    assert (status, event["outcome"]) == ((302 if outcome == "success" else 401), outcome)
    assert event.get("cbt") in (False, None)


def test_kerberos_with_the_right_bindings_by_hand_is_bound(lab, idp, kdc, alice_ticket, monkeypatch) -> None:
    monkeypatch.setattr(lab.idp, "extended_protection", "require")
    status, event = _hand_driven_kerberos(lab, "right")
    assert (status, event["outcome"], event["cbt"]) == (302, "success", True)


# Negotiate: Kerberos when a ticket can be had, else NTLM


def test_negotiate_picks_kerberos_with_a_ticket(lab, idp, kdc, alice_ticket, caplog) -> None:
    controller = _controller(lab)
    with caplog.at_level(logging.INFO, logger="samlbroker.auth"):
        controller.get_saml_assertion(lab.signon_url, None, "negotiate")
    assert controller.last_mechanism == "kerberos"
    assert _successes(idp) == [("alice", "Negotiate", "kerberos")]
    assert "negotiated mechanism: kerberos" in caplog.text


def test_negotiate_with_a_password_prefers_kerberos(lab, idp, kdc, ccache, password) -> None:
    controller = _controller(lab)
    controller.get_saml_assertion(lab.signon_url, UserCredentials("LAB\\bob", password("bob")), "negotiate")
    assert controller.last_mechanism == "kerberos"
    assert _successes(idp) == [("bob", "Negotiate", "kerberos")]


def test_negotiate_falls_back_to_ntlm_when_no_ticket_can_be_had(
    lab, idp, kdc, ccache, krb5_conf, password, caplog
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{closed.getsockname()[1]}"
    krb5_conf(client_config_text(kdc.realm, dead, ("localhost",)))
    controller = _controller(lab)
    with caplog.at_level(logging.INFO, logger="samlbroker.auth"):
        controller.get_saml_assertion(
            lab.signon_url, UserCredentials("LAB\\bob", password("bob")), "negotiate"
        )
    assert controller.last_mechanism == "ntlm"
    assert _successes(idp) == [("bob", "Negotiate", "ntlm")]
    assert "negotiated mechanism: ntlm" in caplog.text


def test_negotiate_default_identity_without_a_ticket_uses_ntlm(
    lab, idp, kdc, ccache, tmp_path, monkeypatch, password
) -> None:
    # No ticket: pyspnego's NTLM default identity off Windows is the client's own NTLM_USER_FILE.
    user_file = tmp_path / "client-ntlm-user"
    user_file.write_text(f"LAB:bob:{password('bob')}\n")
    monkeypatch.setenv("NTLM_USER_FILE", str(user_file))
    controller = _controller(lab)
    controller.get_saml_assertion(lab.signon_url, None, "negotiate")
    assert controller.last_mechanism == "ntlm"
    assert [m for _, _, m in _successes(idp)] == ["ntlm"]
    assert kdc.requests_seen() == {}


@pytest.mark.parametrize("right", [True, False], ids=["right-password", "wrong-password"])
def test_negotiate_at_an_ntlm_only_idp_sends_the_password_to_the_idp_alone(
    lab, idp, kdc, ccache, password, right
) -> None:
    # The realm is known and the KDC up, but the IdP offers NTLM and not Negotiate: no TGT is asked for.
    from samlbroker.lab.variant import IdPVariant

    saved, idp.variant = idp.variant, IdPVariant(wia_schemes=("ntlm",))
    secret = password("alice") if right else "not-" + password("alice")
    try:
        controller = _controller(lab)
        if right:
            controller.get_saml_assertion(lab.signon_url, UserCredentials("LAB\\alice", secret), "negotiate")
            assert controller.last_mechanism == "ntlm"
        else:
            _failure(lab, credentials=UserCredentials("LAB\\alice", secret), auth="negotiate")
    finally:
        idp.variant = saved
    assert kdc.requests_seen() == {}
    outcome = "success" if right else "bad_password"
    assert [(e["user"], e["scheme"], e["outcome"]) for e in idp.stats()["events"]] == [
        ("alice", "NTLM", outcome)
    ]
    assert idp.stats()["failed_attempts"] == ({} if right else {"alice": 1})


# figures


def test_every_default_identity_login_takes_four_requests(lab, idp, kdc, alice_ticket) -> None:
    """Round trips, not time: bench/run.py measures the wall time of this login (BENCHMARKS.md)."""
    requests = []
    for _ in range(3):
        idp.reset()
        _controller(lab).get_saml_assertion(lab.signon_url, None, "kerberos")
        requests.append((idp.stats()["requests"], idp.stats()["connections"]))
    assert requests == [(4, 1)] * 3
