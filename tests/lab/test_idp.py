"""The lab IdP over real sockets: forms, NTLM, Negotiate, Digest, Shibboleth, and its counters."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import re
import ssl
import stat
from importlib import resources
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
import spnego
from bs4 import BeautifulSoup
from lxml import etree
from requests_ntlm import HttpNtlmAuth
from spnego.channel_bindings import GssChannelBindings

from samlbroker.lab.ntlm_store import acceptor_store
from samlbroker.lab.pages import INCORRECT
from samlbroker.lab.runner import NTLM_USER_FILE_ENV, Lab
from samlbroker.lab.trusts import wia_supported
from samlbroker.lab.users import load_users
from samlbroker.lab.wia_tokens import ntlm_message_info

REPO = Path(__file__).resolve().parents[2]
IE11 = "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0"
ROLE = "https://aws.amazon.com/SAML/Attributes/Role"
SAML_NS = {"saml": "urn:oasis:names:tc:SAML:2.0:assertion"}


def _saml_form(page: str) -> tuple[str, str]:
    """The auto-post form's action and its SAMLResponse (decoded XML)."""
    form = BeautifulSoup(page, "html.parser").find("form")
    assert form is not None, page[:300]
    value = form.find("input", attrs={"name": "SAMLResponse"})["value"]
    return form["action"], base64.b64decode(value).decode("utf-8")


def _roles(xml: str) -> set[str]:
    root = etree.fromstring(xml.encode())
    values = root.xpath(f"//saml:Attribute[@Name='{ROLE}']/saml:AttributeValue/text()", namespaces=SAML_NS)
    return {value.split(",")[0] for value in values}


def _verified(xml: str, cert_pem: str) -> None:
    from signxml import XMLVerifier

    XMLVerifier().verify(xml.encode(), x509_cert=cert_pem)


def _login_page(lab, session: requests.Session) -> BeautifulSoup:
    response = session.get(lab.signon_url, verify=lab.ca_file, headers={"User-Agent": CHROME})
    assert response.status_code == 200
    return BeautifulSoup(response.text, "html.parser")


# users file and PKI


def test_config_copy_of_users_file_is_identical_to_package_data():
    shipped = resources.files("samlbroker.lab").joinpath("lab-users.ini").read_text(encoding="utf-8")
    assert (REPO / "config" / "lab-users.ini").read_text(encoding="utf-8") == shipped


def test_users_file_defines_the_documented_cast():
    users = load_users(REPO / "config" / "lab-users.ini")
    alice = users["alice"]
    assert len(alice.roles) == 3
    assert {r.account_id for r in alice.roles} == {"111122223333", "444455556666"}
    assert [r.role_name for r in alice.roles].count("Developer") == 2
    assert alice.roles[0].principal_arn == "arn:aws:iam::111122223333:saml-provider/lab-adfs"
    assert len(users["bob"].roles) == 1
    assert users["carol"].disabled and not alice.disabled
    assert users["dave"].roles == ()
    assert users["erin"].roles[0].partition == "aws-us-gov"
    assert "Wonderland" not in repr(alice)


@pytest.mark.parametrize(
    "login", ["LAB\\alice", "lab\\ALICE", "alice@lab.example", "Alice@LAB.EXAMPLE", "alice"]
)
def test_users_are_found_by_domain_upn_or_bare_name(login):
    assert load_users().lookup(login).name == "alice"


@pytest.mark.parametrize("login", ["OTHER\\alice", "alice@other.example", "mallory"])
def test_users_of_another_domain_or_unknown_are_not_found(login):
    assert load_users().lookup(login) is None


def test_lab_key_files_are_private(lab):
    for path in (lab.pki.server_key_file, lab.pki.signing_key_file, lab.ntlm_user_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_tls_certificate_verifies_for_localhost_and_loopback_addresses(lab):
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(lab.pki.server_cert_pem)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost", "signin.aws.amazon.com"]
    assert {str(a) for a in san.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    response = requests.get(lab.signon_url.replace("localhost", "127.0.0.1"), verify=lab.ca_file)
    assert response.status_code == 200


# forms


def test_browser_gets_the_adfs_forms_page(lab, idp):
    page = _login_page(lab, requests.Session())
    form = page.find("form", id="loginForm")
    assert form["method"] == "post"
    assert form["action"].startswith("/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices&")
    assert re.search(r"client-request-id=[0-9a-f-]{36}$", form["action"])
    assert form.find("input", id="userNameInput")["name"] == "UserName"
    assert form.find("input", id="passwordInput")["type"] == "password"
    assert form.find("input", attrs={"name": "AuthMethod"})["value"] == "FormsAuthentication"
    assert form.find("input", attrs={"name": "Kmsi"})["type"] == "checkbox"
    assert len(form.find_all("input", attrs={"name": "UserName"})) == 1
    assert page.find("span", id="submitButton") is not None
    assert page.find("span", id="errorText").get_text() == ""


def test_forms_sign_in_sets_session_cookie_and_returns_signed_roles(lab, idp, password):
    session = requests.Session()
    form = _login_page(lab, session).find("form", id="loginForm")
    fields = {"UserName": "LAB\\alice", "Password": password("alice"), "AuthMethod": "FormsAuthentication"}
    response = session.post(urljoin(lab.idp_url, form["action"]), data=fields, verify=lab.ca_file)
    assert response.status_code == 200
    (redirect,) = response.history
    assert redirect.status_code == 302
    cookie = redirect.headers["Set-Cookie"]
    assert cookie.startswith("MSISAuth=") and "HttpOnly" in cookie and "secure" in cookie
    assert "path=/adfs" in cookie
    action, xml = _saml_form(response.text)
    assert action == "https://signin.aws.amazon.com:443/saml"
    _verified(xml, lab.signing_cert_pem)
    assert _roles(xml) == {
        "arn:aws:iam::111122223333:role/Developer",
        "arn:aws:iam::111122223333:role/ReadOnly",
        "arn:aws:iam::444455556666:role/Developer",
    }
    assert idp.events[-1]["outcome"] == "success" and idp.events[-1]["mechanism"] == "forms"
    # The session cookie alone now gets a fresh SAMLResponse.
    again = session.get(lab.signon_url, verify=lab.ca_file, headers={"User-Agent": CHROME})
    assert "SAMLResponse" in again.text


def test_wrong_password_shows_adfs_error_and_counts_one_failure(lab, idp):
    fields = {"UserName": "LAB\\alice", "Password": "not-it", "AuthMethod": "FormsAuthentication"}
    response = requests.post(lab.signon_url, data=fields, verify=lab.ca_file)
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    assert page.find("span", id="errorText").get_text() == INCORRECT
    assert "MSISAuth" not in response.headers.get("Set-Cookie", "")
    assert idp.failed_attempts == {"alice": 1}


def test_unknown_user_gets_the_same_error_as_a_wrong_password(lab, idp):
    fields = {"UserName": "LAB\\mallory", "Password": "x", "AuthMethod": "FormsAuthentication"}
    response = requests.post(lab.signon_url, data=fields, verify=lab.ca_file)
    assert BeautifulSoup(response.text, "html.parser").find("span", id="errorText").get_text() == INCORRECT
    assert idp.events[-1]["outcome"] == "unknown_user"


def test_disabled_account_is_refused_with_its_own_message(lab, idp, password):
    fields = {
        "UserName": "carol@lab.example",
        "Password": password("carol"),
        "AuthMethod": "FormsAuthentication",
    }
    response = requests.post(lab.signon_url, data=fields, verify=lab.ca_file)
    error = BeautifulSoup(response.text, "html.parser").find("span", id="errorText").get_text()
    assert "disabled" in error
    assert "SAMLResponse" not in response.text
    assert idp.failed_attempts == {"carol": 1}


def test_direct_post_without_the_page_signs_in_like_aws_adfs(lab, idp, password):
    fields = {"UserName": "bob@lab.example", "Password": password("bob"), "AuthMethod": "FormsAuthentication"}
    response = requests.Session().post(lab.signon_url, data=fields, verify=lab.ca_file)
    _, xml = _saml_form(response.text)
    assert _roles(xml) == {"arn:aws:iam::111122223333:role/ReadOnly"}


def test_user_without_roles_gets_an_assertion_without_role_attribute(lab, idp, password):
    fields = {"UserName": "LAB\\dave", "Password": password("dave"), "AuthMethod": "FormsAuthentication"}
    response = requests.Session().post(lab.signon_url, data=fields, verify=lab.ca_file)
    _, xml = _saml_form(response.text)
    assert _roles(xml) == set()


def test_govcloud_relying_party_issues_the_govcloud_roles(lab, idp, password):
    fields = {"UserName": "LAB\\erin", "Password": password("erin"), "AuthMethod": "FormsAuthentication"}
    response = requests.Session().post(lab.govcloud_signon_url, data=fields, verify=lab.ca_file)
    action, xml = _saml_form(response.text)
    assert action == "https://signin.amazonaws-us-gov.com/saml"
    assert _roles(xml) == {"arn:aws-us-gov:iam::123456789012:role/GovDeveloper"}
    assert "urn:amazon:webservices:govcloud" in xml


# Windows-integrated authentication


@pytest.mark.parametrize(
    ("agent", "wia"),
    [
        (IE11, True),
        ("Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)", True),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/70.0 Edge/18.1",
            True,
        ),
        ("Microsoft Office/16.0 (MSIPC)", True),
        (CHROME, False),
        (CHROME + " Edg/120.0", False),  # Chromium Edge says "Edg/", not "Edge": forms, as on real AD FS
        ("python-requests/2.32", False),
    ],
)
def test_wia_user_agents_follow_adfs_defaults(agent, wia):
    assert wia_supported(agent) is wia


def test_wia_user_agent_is_redirected_to_the_wia_endpoint(lab, idp):
    response = requests.get(
        lab.signon_url, headers={"User-Agent": IE11}, verify=lab.ca_file, allow_redirects=False
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/adfs/ls/wia?loginToRp=urn:amazon:webservices"


def test_wia_without_authorization_challenges_negotiate_ntlm_and_digest(lab, idp):
    response = requests.get(f"{lab.idp_url}/adfs/ls/wia?loginToRp=urn:amazon:webservices", verify=lab.ca_file)
    assert response.status_code == 401
    challenges = response.raw.headers.getlist("WWW-Authenticate")
    assert challenges[:2] == ["Negotiate", "NTLM"]
    digest = challenges[2]
    assert digest.startswith('Digest realm="LAB.EXAMPLE", qop="auth", nonce="')
    assert "algorithm=MD5" in digest and 'opaque="' in digest
    assert response.headers["Content-Length"] == str(len(response.content))


def test_ntlm_login_through_the_redirects_uses_one_connection(lab, idp, password):
    session = requests.Session()
    session.headers["User-Agent"] = IE11
    session.auth = HttpNtlmAuth("LAB\\alice", password("alice"))
    response = session.get(lab.signon_url, verify=lab.ca_file)
    _, xml = _saml_form(response.text)
    assert len(_roles(xml)) == 3
    assert (idp.requests, idp.connections) == (5, 1)
    (event,) = idp.events
    assert event["mechanism"] == "ntlm" and event["scheme"] == "NTLM"
    assert event["outcome"] == "success" and event["cbt"] is True  # requests-ntlm sent tls-server-end-point


def test_wrong_ntlm_password_counts_exactly_one_failed_attempt(lab, idp):
    session = requests.Session()
    session.headers["User-Agent"] = IE11
    session.auth = HttpNtlmAuth("LAB\\bob", "not-his")
    response = session.get(lab.signon_url, verify=lab.ca_file)
    assert response.status_code == 401
    assert response.raw.headers.getlist("WWW-Authenticate")[:2] == ["Negotiate", "NTLM"]
    assert idp.failed_attempts == {"bob": 1}
    assert [e["outcome"] for e in idp.events] == ["bad_password"]


class _Connection:
    """One HTTPS connection to the lab IdP, for hand-driven handshakes."""

    def __init__(self, lab) -> None:
        context = ssl.create_default_context(cafile=str(lab.ca_file))
        self.conn = http.client.HTTPSConnection("localhost", lab.idp.server_address[1], context=context)
        self.path = "/adfs/ls/wia?" + urlsplit(lab.signon_url).query

    def get(self, authorization: str | None = None) -> http.client.HTTPResponse:
        headers = {"Authorization": authorization} if authorization else {}
        self.conn.request("GET", self.path, headers=headers)
        response = self.conn.getresponse()
        response.body = response.read()
        return response

    def cbt(self) -> GssChannelBindings:
        der = self.conn.sock.getpeercert(binary_form=True)
        return GssChannelBindings(application_data=b"tls-server-end-point:" + hashlib.sha256(der).digest())


def _handshake(connection: _Connection, client, scheme: str) -> http.client.HTTPResponse:
    """Drive a pyspnego client against /adfs/ls/wia until the server stops answering with a token."""
    token = client.step()
    while True:
        response = connection.get(f"{scheme} {base64.b64encode(token).decode()}")
        offered = [
            v for v in response.headers.get_all("WWW-Authenticate") or [] if v.startswith(scheme + " ")
        ]
        if response.status != 401 or not offered:
            if offered:
                client.step(base64.b64decode(offered[0].split(" ", 1)[1]))
            return response
        token = client.step(base64.b64decode(offered[0].split(" ", 1)[1]))


def test_negotiate_without_kerberos_completes_as_ntlm_with_mutual_token(lab, idp, password):
    connection = _Connection(lab)
    assert connection.get().status == 401
    client = spnego.client(
        "LAB\\alice",
        password("alice"),
        hostname="localhost",
        service="HTTP",
        protocol="negotiate",
        channel_bindings=connection.cbt(),
    )
    response = _handshake(connection, client, "Negotiate")
    assert response.status == 302
    assert response.getheader("Set-Cookie").startswith("MSISAuth=")
    assert response.getheader("WWW-Authenticate").startswith("Negotiate ")  # the final SPNEGO token
    assert client.complete and client.negotiated_protocol == "ntlm"
    (event,) = idp.events
    assert (event["scheme"], event["mechanism"], event["cbt"]) == ("Negotiate", "ntlm", True)
    assert idp.connections == 1


def test_ntlm_with_channel_bindings_of_another_certificate_is_refused(lab, idp, password):
    connection = _Connection(lab)
    wrong = GssChannelBindings(application_data=b"tls-server-end-point:" + b"\x00" * 31 + b"\x01")
    client = spnego.client("LAB\\alice", password("alice"), protocol="ntlm", channel_bindings=wrong)
    response = _handshake(connection, client, "NTLM")
    assert response.status == 401
    assert [e["outcome"] for e in idp.events] == ["bad_bindings"]
    assert idp.failed_attempts == {"alice": 1}


def test_ntlm_for_a_disabled_account_ends_in_401_without_a_new_challenge(lab, idp, password):
    connection = _Connection(lab)
    client = spnego.client("LAB\\carol", password("carol"), protocol="ntlm")
    response = _handshake(connection, client, "NTLM")
    assert response.status == 401
    assert response.getheader("WWW-Authenticate") is None
    assert idp.failed_attempts == {"carol": 1}


@pytest.mark.parametrize("scheme", ["NTLM", "Negotiate"])
def test_an_ntlm_authenticate_on_a_connection_without_its_challenge_is_refused_without_a_failed_attempt(
    lab, idp, password, scheme
):
    # As IIS does: the security context lives on the connection that sent the CHALLENGE; an AUTHENTICATE
    # arriving on another one (a load balancer without affinity) is answered 401 and never reaches the DC.
    first, other = _Connection(lab), _Connection(lab)
    client = spnego.client(
        "LAB\\alice", password("alice"), protocol=scheme.lower(), options=spnego.NegotiateOptions.use_ntlm
    )
    challenge = first.get(f"{scheme} {base64.b64encode(client.step()).decode()}")
    assert challenge.status == 401
    token = challenge.getheader("WWW-Authenticate").split(" ", 1)[1]
    authenticate = client.step(base64.b64decode(token))
    assert ntlm_message_info(authenticate).kind == 3
    response = other.get(f"{scheme} {base64.b64encode(authenticate).decode()}")
    assert response.status == 401
    assert scheme in response.headers.get_all("WWW-Authenticate")  # a fresh offer, as to a new client
    assert idp.failed_attempts == {}
    assert [(e["user"], e["outcome"]) for e in idp.events] == [("alice", "no_challenge")]


def test_ntlm_authenticate_message_names_user_domain_and_bindings(lab):
    bindings = GssChannelBindings(application_data=b"tls-server-end-point:x")
    client = spnego.client("LAB\\alice", "pw", protocol="ntlm", channel_bindings=bindings)
    with acceptor_store(lab.ntlm_user_file):
        server = spnego.server(protocol="ntlm")
        negotiate = client.step()
        assert ntlm_message_info(negotiate).kind == 1
        info = ntlm_message_info(client.step(server.step(negotiate)))
        assert (info.kind, info.user, info.domain, info.has_channel_bindings) == (3, "alice", "LAB", True)
        plain = spnego.client("alice@lab.example", "pw", protocol="ntlm")
        info = ntlm_message_info(plain.step(spnego.server(protocol="ntlm").step(plain.step())))
    assert (info.login, info.has_channel_bindings) == ("alice@lab.example", False)


# Digest


def test_digest_login_through_the_redirects(lab, idp, password):
    session = requests.Session()
    session.headers["User-Agent"] = IE11
    session.auth = requests.auth.HTTPDigestAuth("LAB\\alice", password("alice"))
    response = session.get(lab.signon_url, verify=lab.ca_file)
    _, xml = _saml_form(response.text)
    assert len(_roles(xml)) == 3
    assert [(e["mechanism"], e["outcome"]) for e in idp.events] == [("digest", "success")]


def _digest_answer(challenge: str, username: str, pw: str, uri: str, nc: int = 1) -> str:
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge.split(" ", 1)[1]))

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - the Digest algorithm

    ha1, ha2 = md5(f"{username}:{params['realm']}:{pw}"), md5(f"GET:{uri}")
    count, cnonce = f"{nc:08x}", "0a4f113b"
    response = md5(f"{ha1}:{params['nonce']}:{count}:{cnonce}:auth:{ha2}")
    return (
        f'Digest username="{username}", realm="{params["realm"]}", nonce="{params["nonce"]}", uri="{uri}", '
        f'algorithm=MD5, response="{response}", opaque="{params["opaque"]}", qop=auth, nc={count}, '
        f'cnonce="{cnonce}"'
    )


def test_digest_replayed_nonce_count_is_refused(lab, idp, password):
    connection = _Connection(lab)
    challenge = connection.get().headers.get_all("WWW-Authenticate")[2]
    answer = _digest_answer(challenge, "bob", password("bob"), connection.path)
    assert connection.get(answer).status == 302
    assert connection.get(answer).status == 401
    later = _digest_answer(challenge, "bob", password("bob"), connection.path, nc=2)
    assert connection.get(later).status == 302
    assert [e["outcome"] for e in idp.events] == ["success", "replay", "success"]


def test_digest_wrong_password_counts_a_failure(lab, idp):
    connection = _Connection(lab)
    challenge = connection.get().headers.get_all("WWW-Authenticate")[2]
    assert connection.get(_digest_answer(challenge, "LAB\\bob", "nope", connection.path)).status == 401
    assert idp.failed_attempts == {"bob": 1}


def test_digest_expired_nonce_is_answered_stale(lab, idp, password, monkeypatch):
    connection = _Connection(lab)
    challenge = connection.get().headers.get_all("WWW-Authenticate")[2]
    monkeypatch.setattr(lab.idp.digest, "nonce_lifetime", -1.0)
    response = connection.get(_digest_answer(challenge, "bob", password("bob"), connection.path))
    assert response.status == 401
    assert response.headers.get_all("WWW-Authenticate")[2].endswith("stale=true")
    assert idp.failed_attempts == {}


# Shibboleth


def test_shibboleth_unsolicited_sso_flow(lab, idp, password):
    session = requests.Session()
    start = session.get(lab.shibboleth_url, verify=lab.ca_file, allow_redirects=False)
    assert start.status_code == 302
    assert start.headers["Location"] == "/idp/profile/SAML2/Unsolicited/SSO?execution=e1s1"
    assert "JSESSIONID" in session.cookies

    def form_of(response: requests.Response):
        form = BeautifulSoup(response.text, "html.parser").find("form")
        assert form["method"] == "post"
        assert form.find("button", attrs={"name": "_eventId_proceed"}) is not None
        assert form.find("input", attrs={"name": "j_password"}) is not None
        return form

    form = form_of(session.get(urljoin(lab.idp_url, start.headers["Location"]), verify=lab.ca_file))
    wrong = session.post(
        urljoin(lab.idp_url, form["action"]),
        data={
            "j_username": "alice",
            "j_password": "bad",
            "csrf_token": form.find("input", attrs={"name": "csrf_token"})["value"],
            "_eventId_proceed": "",
        },
        verify=lab.ca_file,
    )
    error = BeautifulSoup(wrong.text, "html.parser").find("p", class_="form-error")
    assert error.get_text() == "The password you entered was incorrect."
    form = form_of(wrong)
    right = session.post(
        urljoin(lab.idp_url, form["action"]),
        data={
            "j_username": "alice",
            "j_password": password("alice"),
            "csrf_token": form.find("input", attrs={"name": "csrf_token"})["value"],
            "_eventId_proceed": "",
        },
        verify=lab.ca_file,
    )
    action, xml = _saml_form(right.text)
    assert action == "https://signin.aws.amazon.com/saml"
    _verified(xml, lab.signing_cert_pem)
    assert len(_roles(xml)) == 3
    assert idp.failed_attempts == {"alice": 1}


# stats and lifecycle


def test_stats_endpoint_reports_counters_failures_and_events(lab, idp):
    requests.post(lab.signon_url, data={"UserName": "LAB\\bob", "Password": "x"}, verify=lab.ca_file)
    stats = json.loads(requests.get(f"{lab.idp_url}/lab/stats", verify=lab.ca_file).text)
    assert stats["failed_attempts"] == {"bob": 1}
    assert stats["connections"] == 2 and stats["requests"] == 2
    assert stats["events"][0]["outcome"] == "bad_password"


def test_labs_never_touch_the_clients_ntlm_user_file(lab, monkeypatch) -> None:
    """NTLM_USER_FILE is the client's default identity: a Lab neither sets nor clears it."""
    monkeypatch.setenv(NTLM_USER_FILE_ENV, "/client/own/ntlm-user")
    with Lab(kerberos=False) as other:
        assert os.environ[NTLM_USER_FILE_ENV] == "/client/own/ntlm-user"
        assert other.ntlm_user_file != lab.ntlm_user_file
        workdir = other.workdir
    assert os.environ[NTLM_USER_FILE_ENV] == "/client/own/ntlm-user"
    assert not workdir.exists()


def test_the_acceptor_store_holds_only_on_its_own_thread(lab, tmp_path, monkeypatch) -> None:
    import threading

    from spnego import _ntlm

    client_file = tmp_path / "client"
    client_file.write_text("LAB:alice:client-side\n")
    monkeypatch.setenv(NTLM_USER_FILE_ENV, str(client_file))
    seen: list[str | None] = []
    with acceptor_store(lab.ntlm_user_file):
        seen.append(_ntlm._get_credential_file())
        other = threading.Thread(target=lambda: seen.append(_ntlm._get_credential_file()))
        other.start()
        other.join()
    seen.append(_ntlm._get_credential_file())
    assert seen == [str(lab.ntlm_user_file), str(client_file), str(client_file)]


def test_aws_signin_stand_in_lists_accounts_with_aliases_through_the_proxy(lab, password) -> None:
    """The lab answers for signin.aws.amazon.com (through its proxy), as peers that fetch account names expect."""
    from samlbroker.lab.proxy import ConnectProxy
    from samlbroker.lab.trusts import RELYING_PARTIES

    response = lab.idp.saml_response(lab.users["alice"], RELYING_PARTIES["urn:amazon:webservices"])
    port = int(lab.idp_url.rsplit(":", 1)[1])
    proxy = ConnectProxy({"signin.aws.amazon.com": port})
    try:
        page = requests.post(
            "https://signin.aws.amazon.com/saml",
            data={"SAMLResponse": response},
            timeout=10,
            proxies={"https": proxy.url},
            verify=str(lab.ca_file),
        )
    finally:
        proxy.close()
    assert page.status_code == 200
    assert "Account: lab-prod (111122223333)" in page.text
    assert "Account: lab-dev (444455556666)" in page.text
    assert proxy.tunnels == ["signin.aws.amazon.com:443"]
