"""The controller's transport: TLS trust (ca_bundle beats REQUESTS_CA_BUNDLE), proxies, timeouts, errors."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from samlbroker import SAMLAuthenticationController, UserCredentials
from samlbroker.errors import IdPUnreachableError
from samlbroker.lab.proxy import ConnectProxy


@pytest.fixture
def bob(password) -> UserCredentials:
    return UserCredentials("LAB\\bob", password("bob"))


def test_ca_bundle_wins_over_requests_ca_bundle(lab, bob, monkeypatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    controller = SAMLAuthenticationController(verify=str(lab.ca_file))
    assert list(controller.get_saml_assertion(lab.signon_url, bob, "forms").roles) == ["ReadOnly"]


def test_requests_ca_bundle_is_honoured_when_verify_is_true(lab, bob, monkeypatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(lab.ca_file))
    assert SAMLAuthenticationController().get_saml_assertion(lab.signon_url, bob, "forms").roles


def test_untrusted_certificate_is_a_clear_error(lab, bob, monkeypatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    with pytest.raises(IdPUnreachableError, match=r"TLS certificate of localhost:.* is not trusted"):
        SAMLAuthenticationController().get_saml_assertion(lab.signon_url, bob, "ntlm")


def test_connection_refused_is_a_clear_error(bob) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(IdPUnreachableError, match=f"cannot connect to 127.0.0.1:{port}"):
        SAMLAuthenticationController().get_saml_assertion(f"https://127.0.0.1:{port}/adfs/ls/", bob, "forms")


def test_a_silent_idp_hits_the_request_timeout(bob) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"http://127.0.0.1:{server.getsockname()[1]}/adfs/ls/"
        with pytest.raises(IdPUnreachableError, match=r"did not answer within 0.3 s"):
            SAMLAuthenticationController(timeout=0.3).get_saml_assertion(url, bob, "forms")


@pytest.fixture
def proxy() -> Iterator[ConnectProxy]:
    running = ConnectProxy()
    yield running
    running.close()


def test_explicit_proxy_carries_the_whole_ntlm_login(lab, bob, proxy, monkeypatch) -> None:
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    controller = SAMLAuthenticationController(proxies=proxy.url, verify=str(lab.ca_file))
    assert controller.get_saml_assertion(lab.signon_url, bob, "ntlm").roles
    assert proxy.tunnels and all(
        t.endswith(lab.signon_url.split(":")[2].split("/")[0]) for t in proxy.tunnels
    )


def test_https_proxy_variable_is_honoured_and_no_proxy_bypasses_it(lab, bob, proxy, monkeypatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.delenv("no_proxy", raising=False)
    SAMLAuthenticationController(verify=str(lab.ca_file)).get_saml_assertion(lab.signon_url, bob, "forms")
    used = len(proxy.tunnels)
    assert used >= 1
    monkeypatch.setenv("NO_PROXY", "localhost")
    SAMLAuthenticationController(verify=str(lab.ca_file)).get_saml_assertion(lab.signon_url, bob, "forms")
    assert len(proxy.tunnels) == used
