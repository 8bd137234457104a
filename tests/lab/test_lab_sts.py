"""The lab STS seen through raw HTTP: AWS's rules for AssumeRoleWithSAML and STS's XML shapes."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import http.client
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from lxml import etree

from samlbroker.lab.pki import LabPKI, create_pki
from samlbroker.lab.saml import build_saml_response, encode_response, generate_signing_identity
from samlbroker.lab.sts import STSServer

STS = "{https://sts.amazonaws.com/doc/2011-06-15/}"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
PROVIDER = "arn:aws:iam::111122223333:saml-provider/lab-adfs"
ROLE = "arn:aws:iam::111122223333:role/Developer"
LONG_ROLE = "arn:aws:iam::111122223333:role/LongSessions"
GOV_PROVIDER = "arn:aws-us-gov:iam::111122223333:saml-provider/lab-adfs"
GOV_ROLE = "arn:aws-us-gov:iam::111122223333:role/Developer"
CN_PROVIDER = "arn:aws-cn:iam::111122223333:saml-provider/lab-adfs"
CN_ROLE = "arn:aws-cn:iam::111122223333:role/Developer"


class Clock:
    """A settable clock for the server: real time plus ``offset``."""

    def __init__(self) -> None:
        self.offset = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc) + self.offset


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LabPKI:
    return create_pki(tmp_path_factory.mktemp("lab-sts-pki"))


@pytest.fixture(scope="module")
def module_server(pki: LabPKI) -> Iterator[STSServer]:
    cert = pki.signing_cert_pem.decode()
    server = STSServer(
        {PROVIDER: cert, GOV_PROVIDER: cert, CN_PROVIDER: cert},
        ssl_context=pki.server_context(),
        max_session_duration={LONG_ROLE: 43200},
    ).start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(module_server: STSServer, clock: Clock) -> STSServer:
    module_server.reset()
    module_server.clock = clock
    return module_server


def response_xml(pki: LabPKI, roles: list[tuple[str, str]] | None = None, **kwargs: object) -> str:
    kwargs.setdefault("signing_key_pem", pki.signing_key_pem)
    kwargs.setdefault("signing_cert_pem", pki.signing_cert_pem)
    kwargs.setdefault("subject", "alice@lab.example")
    return build_saml_response(roles=roles if roles is not None else [(ROLE, PROVIDER)], **kwargs)  # type: ignore[arg-type]


def saml(pki: LabPKI, roles: list[tuple[str, str]] | None = None, **kwargs: object) -> str:
    return encode_response(response_xml(pki, roles, **kwargs))


def sign_assertion(response: etree._Element, pki: LabPKI) -> None:
    """Sign the Response's Assertion in place (for assertions the builder cannot make)."""
    from signxml import XMLSigner

    assertion = response.find(f"{{{SAML}}}Assertion")
    signed = XMLSigner().sign(
        assertion,
        key=pki.signing_key_pem,
        cert=pki.signing_cert_pem.decode(),
        reference_uri="#" + assertion.get("ID"),
    )
    response.replace(assertion, signed)


def call(server: STSServer, pki: LabPKI, **params: str) -> tuple[int, etree._Element, str]:
    """POST the form to the lab STS; returns status, parsed XML and the Content-Type."""
    form = {"Action": "AssumeRoleWithSAML", "Version": "2011-06-15", **params}
    url = urlsplit(server.url)
    conn = http.client.HTTPSConnection(url.hostname, url.port, context=pki.client_context(), timeout=10)
    try:
        conn.request(
            "POST", "/", body=urlencode(form), headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        response = conn.getresponse()
        body = response.read()
        return response.status, etree.fromstring(body), response.getheader("Content-Type", "")
    finally:
        conn.close()


def assume(
    server: STSServer, pki: LabPKI, assertion: str, role: str = ROLE, provider: str = PROVIDER, **extra: str
) -> tuple[int, etree._Element]:
    status, root, _ = call(server, pki, RoleArn=role, PrincipalArn=provider, SAMLAssertion=assertion, **extra)
    return status, root


def error_of(root: etree._Element) -> tuple[str, str, str]:
    assert root.tag == f"{STS}ErrorResponse"
    assert root.findtext(f"{STS}RequestId")
    error = root.find(f"{STS}Error")
    return error.findtext(f"{STS}Type"), error.findtext(f"{STS}Code"), error.findtext(f"{STS}Message")


def code_of(status_and_root: tuple[int, etree._Element]) -> tuple[int, str]:
    status, root = status_and_root
    return status, error_of(root)[1]


# -- the success answer ------------------------------------------------------------------------------------


def test_success_answer_has_sts_response_shape(server: STSServer, pki: LabPKI) -> None:
    status, root, ctype = call(
        server, pki, RoleArn=ROLE, PrincipalArn=PROVIDER, SAMLAssertion=saml(pki), DurationSeconds="3600"
    )
    assert status == 200
    assert ctype.startswith("text/xml")
    assert root.tag == f"{STS}AssumeRoleWithSAMLResponse"
    result = root.find(f"{STS}AssumeRoleWithSAMLResult")
    assert {child.tag.removeprefix(STS) for child in result} == {
        "Issuer",
        "AssumedRoleUser",
        "Credentials",
        "Audience",
        "SubjectType",
        "NameQualifier",
        "Subject",
    }
    creds = result.find(f"{STS}Credentials")
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", creds.findtext(f"{STS}AccessKeyId"))
    assert len(creds.findtext(f"{STS}SecretAccessKey")) == 40
    assert creds.findtext(f"{STS}SessionToken")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", creds.findtext(f"{STS}Expiration"))
    user = result.find(f"{STS}AssumedRoleUser")
    assert user.findtext(f"{STS}Arn") == "arn:aws:sts::111122223333:assumed-role/Developer/alice@lab.example"
    assert re.fullmatch(r"AROA[A-Z2-7]{17}:alice@lab\.example", user.findtext(f"{STS}AssumedRoleId"))
    assert result.findtext(f"{STS}Issuer") == "http://localhost/adfs/services/trust"
    assert result.findtext(f"{STS}Audience") == "https://signin.aws.amazon.com/saml"
    assert result.findtext(f"{STS}Subject") == "alice@lab.example"
    assert result.findtext(f"{STS}SubjectType") == "persistent"
    qualifier = hashlib.sha1(
        b"http://localhost/adfs/services/trust111122223333/lab-adfs", usedforsecurity=False
    ).digest()
    assert result.findtext(f"{STS}NameQualifier") == base64.b64encode(qualifier).decode()
    assert root.findtext(f"{STS}ResponseMetadata/{STS}RequestId")


def test_issued_credentials_are_recorded(server: STSServer, pki: LabPKI) -> None:
    _, root = assume(server, pki, saml(pki))
    key = root.findtext(f"{STS}AssumeRoleWithSAMLResult/{STS}Credentials/{STS}AccessKeyId")
    session = server.issued[key]
    assert session.role_arn == ROLE
    assert session.principal_arn == PROVIDER
    assert session.session_name == "alice@lab.example"
    assert server.calls[-1].access_key_id == key
    assert server.calls[-1].outcome == "ok"


def test_packed_policy_size_is_given_only_with_a_session_policy(server: STSServer, pki: LabPKI) -> None:
    policy = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    )
    status, root = assume(
        server, pki, saml(pki), Policy=policy, **{"PolicyArns.member.1.arn": "arn:aws:iam::aws:policy/X"}
    )
    assert status == 200
    size = root.findtext(f"{STS}AssumeRoleWithSAMLResult/{STS}PackedPolicySize")
    assert size is not None and 0 < int(size) <= 100
    assert server.calls[-1].policy == policy
    assert server.calls[-1].policy_arns == ("arn:aws:iam::aws:policy/X",)


def test_malformed_session_policy_is_malformed_policy_document(server: STSServer, pki: LabPKI) -> None:
    assert code_of(assume(server, pki, saml(pki), Policy="{nope")) == (400, "MalformedPolicyDocument")


@pytest.mark.parametrize("sign", ["assertion", "response", "both"])
def test_assertion_or_response_signature_is_accepted(server: STSServer, pki: LabPKI, sign: str) -> None:
    status, _ = assume(server, pki, saml(pki, sign=sign))
    assert status == 200


def test_role_values_in_either_order_are_accepted(server: STSServer, pki: LabPKI) -> None:
    status, _ = assume(server, pki, saml(pki, principal_first=True))
    assert status == 200


@pytest.mark.parametrize(
    ("role", "provider", "audience", "recipient"),
    [
        (ROLE, PROVIDER, "urn:amazon:webservices", "https://signin.aws.amazon.com/saml"),
        (ROLE, PROVIDER, "urn:amazon:webservices", "https://us-east-1.signin.aws.amazon.com/saml"),
        (
            GOV_ROLE,
            GOV_PROVIDER,
            "urn:amazon:webservices:govcloud",
            "https://signin.amazonaws-us-gov.com/saml",
        ),
        (CN_ROLE, CN_PROVIDER, "urn:amazon:webservices:cn", "https://signin.amazonaws.cn/saml"),
    ],
)
def test_each_partitions_audience_and_recipient_are_accepted(
    server: STSServer, pki: LabPKI, role: str, provider: str, audience: str, recipient: str
) -> None:
    assertion = saml(pki, roles=[(role, provider)], audience=audience, recipient=recipient)
    status, root = assume(server, pki, assertion, role=role, provider=provider)
    assert status == 200
    partition = role.split(":")[1]
    arn = root.findtext(f"{STS}AssumeRoleWithSAMLResult/{STS}AssumedRoleUser/{STS}Arn")
    assert arn.startswith(f"arn:{partition}:sts::111122223333:assumed-role/Developer/")


def test_recipient_of_another_partition_is_idp_rejected_claim(server: STSServer, pki: LabPKI) -> None:
    assertion = saml(pki, roles=[(GOV_ROLE, GOV_PROVIDER)], audience="urn:amazon:webservices:govcloud")
    assert code_of(assume(server, pki, assertion, role=GOV_ROLE, provider=GOV_PROVIDER)) == (
        400,
        "IDPRejectedClaim",
    )


def test_wrong_audience_is_idp_rejected_claim(server: STSServer, pki: LabPKI) -> None:
    assert code_of(assume(server, pki, saml(pki, audience="urn:other"))) == (400, "IDPRejectedClaim")


# -- durations -------------------------------------------------------------------------------------------


def test_credentials_last_the_lesser_of_duration_and_session_duration(
    server: STSServer, pki: LabPKI, clock: Clock
) -> None:
    fixed = dt.datetime(2030, 1, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
    clock.offset = fixed - dt.datetime.now(dt.timezone.utc)
    for duration, session, lasts in [("7200", 1800, 1800), ("1800", 7200, 1800), ("", None, 3600)]:
        assertion = saml(
            pki,
            roles=[(LONG_ROLE, PROVIDER)],
            session_duration=session,
            not_on_or_after=fixed + dt.timedelta(minutes=5),
        )
        _, root = assume(server, pki, assertion, role=LONG_ROLE, DurationSeconds=duration)
        expiration = root.findtext(f"{STS}AssumeRoleWithSAMLResult/{STS}Credentials/{STS}Expiration")
        got = dt.datetime.fromisoformat(expiration.replace("Z", "+00:00"))
        assert abs((got - fixed).total_seconds() - lasts) <= 2, (duration, session)


def test_duration_below_900_is_validation_error(server: STSServer, pki: LabPKI) -> None:
    status, root = assume(server, pki, saml(pki), DurationSeconds="899")
    assert (status, error_of(root)[1]) == (400, "ValidationError")
    assert "greater than or equal to 900" in error_of(root)[2]


def test_duration_over_max_session_duration_is_validation_error(server: STSServer, pki: LabPKI) -> None:
    status, root = assume(server, pki, saml(pki, session_duration=43200), DurationSeconds="3601")
    assert status == 400
    assert error_of(root) == (
        "Sender",
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )


def test_default_max_session_duration_is_configurable(pki: LabPKI) -> None:
    server = STSServer(
        {PROVIDER: pki.signing_cert_pem}, ssl_context=pki.server_context(), default_max_session_duration=43200
    ).start()
    try:
        status, _ = assume(server, pki, saml(pki, session_duration=43200), DurationSeconds="43200")
        assert status == 200
    finally:
        server.stop()


# -- refusals --------------------------------------------------------------------------------------------


def test_role_not_in_the_assertion_is_access_denied_with_403(server: STSServer, pki: LabPKI) -> None:
    status, root = assume(server, pki, saml(pki), role="arn:aws:iam::111122223333:role/Admin")
    assert status == 403
    assert error_of(root) == ("Sender", "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML")
    assert server.calls[-1].outcome == "AccessDenied"


def test_role_of_the_assertion_with_another_provider_is_access_denied(server: STSServer, pki: LabPKI) -> None:
    server.register_provider("arn:aws:iam::111122223333:saml-provider/other", pki.signing_cert_pem)
    status, _ = assume(server, pki, saml(pki), provider="arn:aws:iam::111122223333:saml-provider/other")
    assert status == 403


def test_unknown_provider_is_invalid_identity_token(server: STSServer, pki: LabPKI) -> None:
    status, root = assume(server, pki, saml(pki), provider="arn:aws:iam::111122223333:saml-provider/nobody")
    assert (status, error_of(root)[1]) == (400, "InvalidIdentityToken")
    assert "saml-provider/nobody does not exist" in error_of(root)[2]


def test_expired_by_the_servers_clock_is_expired_token_exception(
    server: STSServer, pki: LabPKI, clock: Clock
) -> None:
    assertion = saml(pki)
    clock.offset = dt.timedelta(minutes=6)
    assert code_of(assume(server, pki, assertion)) == (400, "ExpiredTokenException")


def test_assertion_from_the_future_is_invalid_identity_token(
    server: STSServer, pki: LabPKI, clock: Clock
) -> None:
    assertion = saml(pki, not_on_or_after=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2))
    clock.offset = -dt.timedelta(hours=1)
    assert code_of(assume(server, pki, assertion)) == (400, "InvalidIdentityToken")


@pytest.mark.parametrize(
    "assertion",
    [
        "!!! not base64 !!!",
        base64.b64encode(b"this is not XML").decode(),
        base64.b64encode(b"<a><b></a>").decode(),
        base64.b64encode(b"<Response/>").decode(),
    ],
)
def test_garbage_is_invalid_identity_token(server: STSServer, pki: LabPKI, assertion: str) -> None:
    assert code_of(assume(server, pki, assertion)) == (400, "InvalidIdentityToken")


def test_doctype_and_entities_are_refused_without_expansion(
    server: STSServer, pki: LabPKI, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-FILE-CONTENT")
    xml = response_xml(pki)
    evil = (
        f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}"><!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n' + xml.replace("alice@lab.example", "&x;&b;", 1)
    )
    status, root = assume(server, pki, encode_response(evil))
    assert (status, error_of(root)[1]) == (400, "InvalidIdentityToken")
    assert b"TOP-SECRET" not in etree.tostring(root)


def test_unsigned_assertion_is_invalid_identity_token(server: STSServer, pki: LabPKI) -> None:
    assert code_of(assume(server, pki, saml(pki, sign="none"))) == (400, "InvalidIdentityToken")


def test_signature_by_another_key_is_invalid_identity_token(server: STSServer, pki: LabPKI) -> None:
    key, cert = generate_signing_identity("impostor")
    assertion = saml(pki, signing_key_pem=key, signing_cert_pem=cert)
    assert code_of(assume(server, pki, assertion)) == (400, "InvalidIdentityToken")


def test_tampered_signed_assertion_is_invalid_identity_token(server: STSServer, pki: LabPKI) -> None:
    xml = response_xml(pki).replace("role/Developer", "role/Admin")
    assertion = encode_response(xml)
    status, _ = assume(server, pki, assertion, role="arn:aws:iam::111122223333:role/Admin")
    assert status == 400
    assert server.calls[-1].outcome == "InvalidIdentityToken"


def test_wrapped_signed_assertion_beside_an_unsigned_one_is_refused(server: STSServer, pki: LabPKI) -> None:
    """Signature wrapping: the signed assertion hidden in Extensions, an unsigned forged one in its place."""
    signed = etree.fromstring(response_xml(pki).encode())
    forged = etree.fromstring(
        response_xml(pki, [("arn:aws:iam::111122223333:role/Admin", PROVIDER)], sign="none")
    )
    original = signed.find(f"{{{SAML}}}Assertion")
    extensions = etree.SubElement(signed, f"{{{SAMLP}}}Extensions")
    signed.remove(original)
    extensions.append(original)
    fake = forged.find(f"{{{SAML}}}Assertion")
    fake.set("ID", original.get("ID"))
    signed.append(fake)
    assertion = base64.b64encode(etree.tostring(signed)).decode()
    status, _ = assume(server, pki, assertion, role="arn:aws:iam::111122223333:role/Admin")
    assert status == 400
    assert server.calls[-1].outcome == "InvalidIdentityToken"


def test_two_assertions_are_refused(server: STSServer, pki: LabPKI) -> None:
    root = etree.fromstring(response_xml(pki).encode())
    root.append(etree.fromstring(response_xml(pki).encode()).find(f"{{{SAML}}}Assertion"))
    assertion = base64.b64encode(etree.tostring(root)).decode()
    assert code_of(assume(server, pki, assertion)) == (400, "InvalidIdentityToken")


def test_missing_role_session_name_is_invalid_identity_token(server: STSServer, pki: LabPKI) -> None:
    root = etree.fromstring(response_xml(pki, sign="none").encode())
    for attribute in root.iter(f"{{{SAML}}}Attribute"):
        if attribute.get("Name") == "https://aws.amazon.com/SAML/Attributes/RoleSessionName":
            attribute.getparent().remove(attribute)
    sign_assertion(root, pki)
    status, body = assume(server, pki, base64.b64encode(etree.tostring(root)).decode())
    assert (status, error_of(body)[1]) == (400, "InvalidIdentityToken")
    assert "RoleSessionName" in error_of(body)[2]


@pytest.mark.parametrize("name", ["a", "x" * 65, "alice example", "alice/lab"])
def test_malformed_role_session_name_is_validation_error(server: STSServer, pki: LabPKI, name: str) -> None:
    assert code_of(assume(server, pki, saml(pki, role_session_name=name))) == (400, "ValidationError")


def test_malformed_role_arn_is_validation_error(server: STSServer, pki: LabPKI) -> None:
    assert code_of(assume(server, pki, saml(pki), role="Developer")) == (400, "ValidationError")


def test_missing_assertion_is_validation_error(server: STSServer, pki: LabPKI) -> None:
    status, root, _ = call(server, pki, RoleArn=ROLE, PrincipalArn=PROVIDER)
    assert (status, error_of(root)[1]) == (400, "ValidationError")


def test_throttle_next_answers_throttling_that_many_times(server: STSServer, pki: LabPKI) -> None:
    server.throttle_next(2)
    assertion = saml(pki)
    first, second, third = (assume(server, pki, assertion) for _ in range(3))
    assert error_of(first[1]) == ("Sender", "Throttling", "Rate exceeded")
    assert first[0] == second[0] == 400
    assert third[0] == 200
    assert [c.outcome for c in server.calls] == ["Throttling", "Throttling", "ok"]
    assert all(c.role_arn == ROLE for c in server.calls)


def test_unknown_action_is_invalid_action(server: STSServer, pki: LabPKI) -> None:
    status, root, _ = call(server, pki, Action="AssumeRoleWithMagic")
    assert (status, error_of(root)[1]) == (400, "InvalidAction")


# -- GetCallerIdentity -----------------------------------------------------------------------------------


def issue(server: STSServer, pki: LabPKI) -> tuple[str, str, str]:
    _, root = assume(server, pki, saml(pki))
    creds = root.find(f"{STS}AssumeRoleWithSAMLResult/{STS}Credentials")
    return tuple(
        creds.findtext(f"{STS}{name}") for name in ("AccessKeyId", "SecretAccessKey", "SessionToken")
    )  # type: ignore[return-value]


def whoami(server: STSServer, pki: LabPKI, key: str, secret: str, token: str) -> dict[str, object]:
    import botocore.session

    client = botocore.session.Session().create_client(
        "sts",
        region_name="eu-west-1",
        endpoint_url=server.url,
        verify=str(pki.ca_file),
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
    )
    return client.get_caller_identity()


def client_error_code(exc: BaseException) -> str:
    return exc.response["Error"]["Code"]  # type: ignore[attr-defined]


def test_get_caller_identity_with_issued_credentials(server: STSServer, pki: LabPKI) -> None:
    key, secret, token = issue(server, pki)
    identity = whoami(server, pki, key, secret, token)
    assert identity["Arn"] == "arn:aws:sts::111122223333:assumed-role/Developer/alice@lab.example"
    assert identity["Account"] == "111122223333"
    assert str(identity["UserId"]).endswith(":alice@lab.example")
    assert server.calls[-1].action == "GetCallerIdentity"
    assert server.calls[-1].access_key_id == key


def test_get_caller_identity_with_an_unknown_key_is_invalid_client_token_id(
    server: STSServer, pki: LabPKI
) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as caught:
        whoami(server, pki, "ASIAUNKNOWNUNKNOWN00", "secret", "token")
    assert client_error_code(caught.value) == "InvalidClientTokenId"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403  # type: ignore[attr-defined]


def test_get_caller_identity_with_a_wrong_secret_is_signature_does_not_match(
    server: STSServer, pki: LabPKI
) -> None:
    from botocore.exceptions import ClientError

    key, secret, token = issue(server, pki)
    with pytest.raises(ClientError) as caught:
        whoami(server, pki, key, secret[:-1] + ("A" if secret[-1] != "A" else "B"), token)
    assert client_error_code(caught.value) == "SignatureDoesNotMatch"


def test_get_caller_identity_after_expiry_is_expired_token(
    server: STSServer, pki: LabPKI, clock: Clock
) -> None:
    from botocore.exceptions import ClientError

    key, secret, token = issue(server, pki)
    clock.offset = dt.timedelta(hours=2)
    with pytest.raises(ClientError) as caught:
        whoami(server, pki, key, secret, token)
    assert client_error_code(caught.value) == "ExpiredToken"


def test_get_caller_identity_without_a_signature_is_missing_authentication_token(
    server: STSServer, pki: LabPKI
) -> None:
    status, root, _ = call(server, pki, Action="GetCallerIdentity")
    assert (status, error_of(root)[1]) == (403, "MissingAuthenticationToken")


def test_only_the_signed_assertion_is_read_when_a_forged_one_carries_its_signature(
    server: STSServer, pki: LabPKI
) -> None:
    """The forged assertion carries the genuine signature, which still points at the hidden genuine one."""
    signed = etree.fromstring(response_xml(pki).encode())
    forged = etree.fromstring(
        response_xml(pki, [("arn:aws:iam::111122223333:role/Admin", PROVIDER)], sign="none")
    )
    original = signed.find(f"{{{SAML}}}Assertion")
    signature = original.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    fake = forged.find(f"{{{SAML}}}Assertion")
    fake.find(f"{{{SAML}}}Issuer").addnext(signature)
    signed.remove(original)
    etree.SubElement(signed, f"{{{SAMLP}}}Extensions").append(original)
    signed.append(fake)
    assertion = base64.b64encode(etree.tostring(signed)).decode()
    status, root = assume(server, pki, assertion, role="arn:aws:iam::111122223333:role/Admin")
    assert (status, error_of(root)[1]) == (403, "AccessDenied")  # the genuine assertion grants Developer only
    assert all(s.role_arn != "arn:aws:iam::111122223333:role/Admin" for s in server.issued.values())


# -- AssumeRole (role chaining) ----------------------------------------------------------------------------

TARGET = "arn:aws:iam::444455556666:role/Deployer"


def sts_client(server: STSServer, pki: LabPKI, key: str, secret: str, token: str):  # type: ignore[no-untyped-def]
    import botocore.session

    return botocore.session.Session().create_client(
        "sts",
        region_name="us-east-1",
        endpoint_url=server.url,
        verify=str(pki.ca_file),
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
    )


def chain(server: STSServer, pki: LabPKI, **params: object) -> dict[str, object]:
    client = sts_client(server, pki, *issue(server, pki))
    params.setdefault("RoleArn", TARGET)
    params.setdefault("RoleSessionName", "alice-deploys")
    return client.assume_role(**params)


def test_assume_role_with_a_saml_session_issues_a_session_get_caller_identity_knows(
    server: STSServer, pki: LabPKI
) -> None:
    answer = chain(server, pki, DurationSeconds=1800)
    creds = answer["Credentials"]
    assert answer["AssumedRoleUser"]["Arn"] == "arn:aws:sts::444455556666:assumed-role/Deployer/alice-deploys"
    identity = sts_client(
        server, pki, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
    ).get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::444455556666:assumed-role/Deployer/alice-deploys"
    assert identity["Account"] == "444455556666"
    session = server.issued[creds["AccessKeyId"]]
    assert session.chained
    assert (session.expiration - dt.datetime.now(dt.timezone.utc)).total_seconds() == pytest.approx(
        1800, abs=5
    )


def test_assume_role_is_recorded_with_its_parameters(server: STSServer, pki: LabPKI) -> None:
    server.require_external_id(TARGET, "tenant-42")
    try:
        answer = chain(server, pki, ExternalId="tenant-42", PolicyArns=[{"arn": "arn:aws:iam::aws:policy/X"}])
    finally:
        server.require_external_id(TARGET, None)
    recorded = server.calls_for("AssumeRole")[-1]
    assert recorded.outcome == "ok"
    assert (recorded.role_arn, recorded.role_session_name, recorded.external_id) == (
        TARGET,
        "alice-deploys",
        "tenant-42",
    )
    assert recorded.duration == 3600  # AWS's default when DurationSeconds is absent
    assert recorded.policy_arns == ("arn:aws:iam::aws:policy/X",)
    assert recorded.access_key_id == answer["Credentials"]["AccessKeyId"]
    assert server.issued[recorded.source_access_key_id].role_arn == ROLE


@pytest.mark.parametrize("duration", [3601, 43200])
def test_assume_role_over_one_hour_from_an_assumed_role_is_validation_error(
    server: STSServer, pki: LabPKI, duration: int
) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as caught:
        chain(server, pki, DurationSeconds=duration)
    assert client_error_code(caught.value) == "ValidationError"
    assert "1 hour session limit" in caught.value.response["Error"]["Message"]  # type: ignore[attr-defined]
    assert server.calls_for("AssumeRole")[-1].outcome == "ValidationError"


def test_assume_role_of_exactly_one_hour_is_allowed(server: STSServer, pki: LabPKI) -> None:
    assert chain(server, pki, DurationSeconds=3600)["Credentials"]["AccessKeyId"]


@pytest.mark.parametrize("given", [None, "wrong-id"])
def test_assume_role_without_the_required_external_id_is_access_denied(
    server: STSServer, pki: LabPKI, given: str | None
) -> None:
    from botocore.exceptions import ClientError

    server.require_external_id(TARGET, "tenant-42")
    before = set(server.issued)
    try:
        with pytest.raises(ClientError) as caught:
            chain(server, pki, **({"ExternalId": given} if given else {}))
    finally:
        server.require_external_id(TARGET, None)
    assert client_error_code(caught.value) == "AccessDenied"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403  # type: ignore[attr-defined]
    assert not [k for k in set(server.issued) - before if server.issued[k].role_arn == TARGET]
    assert server.calls_for("AssumeRole")[-1].access_key_id is None


def test_assume_role_of_a_role_not_trusting_the_caller_is_access_denied(pki: LabPKI) -> None:
    from botocore.exceptions import ClientError

    server = STSServer(
        {PROVIDER: pki.signing_cert_pem.decode()},
        ssl_context=pki.server_context(),
        role_trust={TARGET: ["arn:aws:iam::111122223333:role/Admin"]},
    ).start()
    try:
        with pytest.raises(ClientError) as caught:
            chain(server, pki)
        assert client_error_code(caught.value) == "AccessDenied"
        assert chain(server, pki, RoleArn="arn:aws:iam::444455556666:role/Other")["Credentials"]
    finally:
        server.stop()


@pytest.mark.parametrize("name", ["a", "x" * 65, "has space", "semi;colon"])
def test_assume_role_with_a_malformed_session_name_is_validation_error(
    server: STSServer, pki: LabPKI, name: str
) -> None:
    key, secret, token = issue(server, pki)
    status, root = signed_call(server, pki, key, secret, token, RoleArn=TARGET, RoleSessionName=name)
    assert (status, error_of(root)[1]) == (400, "ValidationError")


def test_assume_role_without_a_session_name_is_validation_error(server: STSServer, pki: LabPKI) -> None:
    key, secret, token = issue(server, pki)
    status, root = signed_call(server, pki, key, secret, token, RoleArn=TARGET)
    assert (status, error_of(root)[1]) == (400, "ValidationError")
    assert "roleSessionName" in error_of(root)[2]


def test_assume_role_unsigned_is_missing_authentication_token(server: STSServer, pki: LabPKI) -> None:
    status, root, _ = call(server, pki, Action="AssumeRole", RoleArn=TARGET, RoleSessionName="s1")
    assert (status, error_of(root)[1]) == (403, "MissingAuthenticationToken")


def test_assume_role_signed_with_a_wrong_secret_is_signature_does_not_match(
    server: STSServer, pki: LabPKI
) -> None:
    from botocore.exceptions import ClientError

    key, secret, token = issue(server, pki)
    client = sts_client(server, pki, key, secret[::-1], token)
    with pytest.raises(ClientError) as caught:
        client.assume_role(RoleArn=TARGET, RoleSessionName="s1")
    assert client_error_code(caught.value) == "SignatureDoesNotMatch"


def test_assume_role_with_expired_caller_credentials_is_expired_token(
    server: STSServer, pki: LabPKI, clock: Clock
) -> None:
    from botocore.exceptions import ClientError

    client = sts_client(server, pki, *issue(server, pki))
    clock.offset = dt.timedelta(hours=2)
    with pytest.raises(ClientError) as caught:
        client.assume_role(RoleArn=TARGET, RoleSessionName="s1")
    assert client_error_code(caught.value) == "ExpiredToken"


def test_chained_session_may_chain_again_within_one_hour(server: STSServer, pki: LabPKI) -> None:
    from botocore.exceptions import ClientError

    creds = chain(server, pki)["Credentials"]
    client = sts_client(server, pki, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    again = client.assume_role(RoleArn="arn:aws:iam::444455556666:role/Other", RoleSessionName="hop2")
    assert again["AssumedRoleUser"]["Arn"].endswith(":assumed-role/Other/hop2")
    with pytest.raises(ClientError):
        client.assume_role(RoleArn=TARGET, RoleSessionName="hop3", DurationSeconds=7200)


def signed_call(
    server: STSServer, pki: LabPKI, key: str, secret: str, token: str, **params: str
) -> tuple[int, etree._Element]:
    """A SigV4-signed AssumeRole form built by hand (botocore would refuse some bad values client-side)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    form = urlencode({"Action": "AssumeRole", "Version": "2011-06-15", **params})
    url = urlsplit(server.url)
    request = AWSRequest(
        method="POST",
        url=f"{server.url}/",
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    SigV4Auth(BotoCredentials(key, secret, token), "sts", "us-east-1").add_auth(request)
    conn = http.client.HTTPSConnection(url.hostname, url.port, context=pki.client_context(), timeout=10)
    try:
        conn.request("POST", "/", body=form, headers=dict(request.headers.items()))
        response = conn.getresponse()
        return response.status, etree.fromstring(response.read())
    finally:
        conn.close()
