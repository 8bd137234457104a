"""SAMLAssertion: decoding, attributes, roles, status, signature verification and XML signature wrapping."""

from __future__ import annotations

import base64
import contextlib
import copy
import datetime as dt
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from samlbroker.assertion import ROLE_ATTRIBUTE, SAMLAssertion, decode_base64, parse_instant
from samlbroker.errors import (
    AuthenticationFailedError,
    NoRolesError,
    SAMLBrokerError,
    SAMLResponseError,
    SignatureError,
)
from samlbroker.lab.saml import build_saml_response, encode_response, generate_signing_identity
from samlbroker.roles import RolePair

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"samlp": SAMLP, "saml": SAML, "ds": DS}

DEV_1 = ("arn:aws:iam::111122223333:role/Developer", "arn:aws:iam::111122223333:saml-provider/lab-adfs")
RO_1 = ("arn:aws:iam::111122223333:role/ReadOnly", "arn:aws:iam::111122223333:saml-provider/lab-adfs")
DEV_2 = ("arn:aws:iam::444455556666:role/Developer", "arn:aws:iam::444455556666:saml-provider/lab-adfs")
ADMIN = ("arn:aws:iam::999988887777:role/Admin", "arn:aws:iam::999988887777:saml-provider/lab-adfs")
ALICE = [DEV_1, RO_1, DEV_2]


@pytest.fixture(scope="module")
def idp() -> tuple[bytes, bytes]:
    return generate_signing_identity("lab-idp-signing")


@pytest.fixture(scope="module")
def stranger() -> tuple[bytes, bytes]:
    return generate_signing_identity("not-the-idp")


def make(idp: tuple[bytes, bytes], roles=ALICE, sign: str = "assertion", **kwargs) -> str:
    key, cert = idp
    return build_saml_response(
        subject="alice@lab.example",
        roles=roles,
        signing_key_pem=key,
        signing_cert_pem=cert,
        sign=sign,
        **kwargs,
    )


def b64(xml: str | bytes) -> str:
    return base64.b64encode(xml if isinstance(xml, bytes) else xml.encode()).decode()


def arns(assertion: SAMLAssertion) -> set[str]:
    return {pair.role_arn for pair in assertion.roles.values()}


# --- decoding -------------------------------------------------------------------------------------------


def test_decodes_a_plain_base64_response(idp):
    xml = make(idp, sign="none")
    assertion = SAMLAssertion.from_base64(encode_response(xml))
    assert assertion.xml == xml
    assert base64.b64decode(assertion.base64).decode() == xml
    assert arns(assertion) == {DEV_1[0], RO_1[0], DEV_2[0]}


def test_folded_lines_and_whitespace_in_base64_are_tolerated(idp):
    data = encode_response(make(idp, sign="none"))
    folded = "\r\n  ".join(data[i : i + 64] for i in range(0, len(data), 64)) + "\n"
    assert SAMLAssertion.from_base64(folded).base64 == data


def test_leftover_html_entities_in_base64_are_tolerated(idp):
    data = encode_response(make(idp, sign="none"))
    mangled = data[:76] + "&#13;&#10;" + data[76:152] + "&#xD;&#xA;" + data[152:]
    assert SAMLAssertion.from_base64(mangled).base64 == data


def test_missing_base64_padding_is_tolerated():
    xml = b"<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'/>"
    for extra in (b"", b" ", b"  "):  # three lengths mod 3, so one, two and zero '=' are dropped
        data = base64.b64encode(xml + extra).decode().rstrip("=")
        assert decode_base64(data) == xml + extra


def test_base64_property_is_canonical_even_when_the_input_was_folded(idp):
    data = encode_response(make(idp, sign="none"))
    assertion = SAMLAssertion.from_base64(data[:40] + "\n" + data[40:])
    assert assertion.base64 == data


@pytest.mark.parametrize("bad", ["!!!!", "abc$def", "A", "Zm9v YmFy*", "<html>"])
def test_malformed_base64_is_a_saml_response_error(bad):
    with pytest.raises(SAMLResponseError, match="base64"):
        SAMLAssertion.from_base64(bad)


@pytest.mark.parametrize("empty", ["", "   ", "\r\n", "&#13;&#10;"])
def test_empty_response_is_a_saml_response_error(empty):
    with pytest.raises(SAMLResponseError, match="empty"):
        SAMLAssertion.from_base64(empty)


def test_base64_of_something_that_is_not_xml_is_a_saml_response_error():
    with pytest.raises(SAMLResponseError, match="not well-formed XML"):
        SAMLAssertion.from_base64(b64("this is not XML at all"))


def test_xml_that_is_not_a_saml_response_is_refused():
    with pytest.raises(SAMLResponseError, match=r"not a SAML 2\.0 Response"):
        SAMLAssertion.from_base64(b64("<html><body>hello</body></html>"))


def test_oversized_response_is_refused_before_decoding():
    with pytest.raises(SAMLResponseError, match="too large"):
        SAMLAssertion.from_base64("QUFB" * 400_000)


def test_doctype_in_the_response_is_refused():
    xml = '<!DOCTYPE r [<!ENTITY a "b">]><samlp:Response xmlns:samlp="' + SAMLP + '">&a;</samlp:Response>'
    with pytest.raises(SAMLResponseError, match="DOCTYPE"):
        SAMLAssertion.from_base64(b64(xml))


def test_assertion_module_imports_neither_lxml_nor_signxml_nor_botocore():
    code = (
        "import sys, samlbroker.assertion\n"
        "heavy = ('lxml', 'signxml', 'botocore', 'bs4', 'cryptography')\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# --- attributes -------------------------------------------------------------------------------------------


def test_subject_issuer_session_name_and_duration_are_read(idp):
    xml = make(
        idp,
        sign="none",
        session_duration=28800,
        role_session_name="alice",
        issuer="http://adfs.example/trust",
    )
    assertion = SAMLAssertion.from_base64(encode_response(xml))
    assert assertion.subject == "alice@lab.example"
    assert assertion.issuer == "http://adfs.example/trust"
    assert assertion.role_session_name == "alice"
    assert assertion.session_duration == 28800
    assert isinstance(assertion.session_duration, int)


def test_role_session_name_defaults_to_the_subject_in_the_lab_builder(idp):
    assertion = SAMLAssertion.from_base64(encode_response(make(idp, sign="none")))
    assert assertion.role_session_name == "alice@lab.example"


def test_absent_session_duration_is_none(idp):
    assertion = SAMLAssertion.from_base64(encode_response(make(idp, sign="none", session_duration=None)))
    assert assertion.session_duration is None


@pytest.mark.parametrize("bad", ["soon", "3600s", "-5", "0"])
def test_session_duration_that_is_not_positive_seconds_is_an_error(idp, bad):
    xml = make(
        idp,
        sign="none",
        session_duration=None,
        extra_attributes={"https://aws.amazon.com/SAML/Attributes/SessionDuration": [bad]},
    )
    with pytest.raises(SAMLResponseError, match="SessionDuration"):
        SAMLAssertion.from_base64(encode_response(xml))


def test_not_on_or_after_comes_from_conditions_as_aware_utc(idp):
    expiry = dt.datetime(2031, 5, 6, 7, 8, 9, 123000, tzinfo=dt.timezone.utc)
    assertion = SAMLAssertion.from_base64(encode_response(make(idp, sign="none", not_on_or_after=expiry)))
    assert assertion.not_on_or_after == expiry
    assert assertion.not_on_or_after.utcoffset() == dt.timedelta(0)


def test_not_on_or_after_falls_back_to_subject_confirmation_data(idp):
    root = etree.fromstring(make(idp, sign="none").encode())
    conditions = root.find("saml:Assertion/saml:Conditions", NS)
    del conditions.attrib["NotOnOrAfter"]
    data = root.find("saml:Assertion/saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", NS)
    data.set("NotOnOrAfter", "2032-01-02T03:04:05Z")
    assertion = SAMLAssertion.from_base64(b64(etree.tostring(root)))
    assert assertion.not_on_or_after == dt.datetime(2032, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)


def test_without_any_not_on_or_after_the_assertion_never_expires(idp):
    root = etree.fromstring(make(idp, sign="none").encode())
    for element in root.iter():
        element.attrib.pop("NotOnOrAfter", None)
    assertion = SAMLAssertion.from_base64(b64(etree.tostring(root)))
    assert assertion.not_on_or_after is None
    assert not assertion.is_expired()


def test_is_expired_compares_with_not_on_or_after(idp):
    expiry = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)
    assertion = SAMLAssertion.from_base64(encode_response(make(idp, sign="none", not_on_or_after=expiry)))
    assert not assertion.is_expired()
    assert assertion.is_expired(expiry)
    assert assertion.is_expired(expiry + dt.timedelta(seconds=1))
    assert not assertion.is_expired(expiry - dt.timedelta(seconds=1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-02T03:04:05Z", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)),
        ("2024-01-02T03:04:05.1234567Z", dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.timezone.utc)),
        ("2024-01-02T03:04:05", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)),
        ("2024-01-02T05:04:05+02:00", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)),
        ("2024-01-02T01:34:05-0130", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)),
    ],
)
def test_saml_instants_parse_to_aware_utc(text, expected):
    assert parse_instant(text) == expected


@pytest.mark.parametrize("bad", ["tomorrow", "2024-13-01T00:00:00Z", "2024-01-01 00:00:00Z"])
def test_invalid_instant_is_a_saml_response_error(bad):
    with pytest.raises(SAMLResponseError, match="NotOnOrAfter"):
        parse_instant(bad)


def test_repr_is_short_and_does_not_dump_the_response(idp):
    assertion = SAMLAssertion.from_base64(encode_response(make(idp)))
    text = repr(assertion)
    assert len(text) < 400
    assert assertion.base64[:40] not in text
    assert "Signature" not in text
    assert "alice@lab.example" in text


# --- roles ------------------------------------------------------------------------------------------------


def test_friendly_names_qualify_role_names_shared_by_two_accounts(idp):
    assertion = SAMLAssertion.from_base64(encode_response(make(idp, sign="none")))
    assert assertion.roles == {
        "111122223333:Developer": RolePair(*DEV_1),
        "ReadOnly": RolePair(*RO_1),
        "444455556666:Developer": RolePair(*DEV_2),
    }


def test_account_names_replace_account_ids_in_qualified_names(idp):
    assertion = SAMLAssertion.from_base64(
        encode_response(make(idp, sign="none")), account_names={"111122223333": "prod", "444455556666": "dev"}
    )
    assert set(assertion.roles) == {"prod:Developer", "ReadOnly", "dev:Developer"}


def test_role_values_are_read_in_either_order(idp):
    normal = SAMLAssertion.from_base64(encode_response(make(idp, sign="none")))
    swapped = SAMLAssertion.from_base64(encode_response(make(idp, sign="none", principal_first=True)))
    assert swapped.roles == normal.roles


def test_whitespace_around_and_inside_role_values_is_tolerated(idp):
    values = [f"\n   {DEV_1[0]} ,\n\t {DEV_1[1]}  \n", f"{ADMIN[1]},   {ADMIN[0]}"]
    xml = make(idp, roles=[], sign="none", extra_attributes={ROLE_ATTRIBUTE: values})
    assertion = SAMLAssertion.from_base64(encode_response(xml))
    assert assertion.roles == {"Developer": RolePair(*DEV_1), "Admin": RolePair(*ADMIN)}


def test_role_paths_keep_the_arn_and_name_the_role_by_its_last_segment(idp):
    pair = ("arn:aws:iam::111122223333:role/teams/platform/Operator", DEV_1[1])
    assertion = SAMLAssertion.from_base64(encode_response(make(idp, roles=[pair], sign="none")))
    assert assertion.roles == {"Operator": RolePair(*pair)}


@pytest.mark.parametrize("partition", ["aws", "aws-us-gov", "aws-cn", "aws-iso", "aws-iso-b", "aws-iso-e"])
def test_roles_of_every_partition_are_read(idp, partition):
    pair = (
        f"arn:{partition}:iam::123456789012:role/Ops",
        f"arn:{partition}:iam::123456789012:saml-provider/idp",
    )
    assertion = SAMLAssertion.from_base64(encode_response(make(idp, roles=[pair], sign="none")))
    assert assertion.roles["Ops"].partition == partition


def test_values_that_are_not_role_pairs_are_skipped_and_recorded(idp):
    xml = make(idp, roles=[DEV_1], sign="none", extra_attributes={ROLE_ATTRIBUTE: ["Domain Users", "admins"]})
    assertion = SAMLAssertion.from_base64(encode_response(xml))
    assert assertion.roles == {"Developer": RolePair(*DEV_1)}
    assert assertion.skipped_role_values == ("Domain Users", "admins")


def test_role_attribute_with_no_valid_pair_is_no_roles_error_naming_the_value(idp):
    xml = make(idp, roles=[], sign="none", extra_attributes={ROLE_ATTRIBUTE: ["CN=AWS-Dev,OU=Groups"]})
    with pytest.raises(NoRolesError, match="CN=AWS-Dev,OU=Groups"):
        SAMLAssertion.from_base64(encode_response(xml))


def test_assertion_without_role_attribute_is_no_roles_error_when_parsed(idp):
    with pytest.raises(NoRolesError) as caught:
        SAMLAssertion.from_base64(encode_response(make(idp, roles=[], sign="none")))
    message = str(caught.value)
    assert "grants no AWS role to alice@lab.example: it has no Role attribute" in message
    assert ROLE_ATTRIBUTE in message and "\n" not in message


def test_role_attribute_without_any_value_is_no_roles_error_when_parsed(idp):
    xml = make(idp, roles=[], sign="none", extra_attributes={ROLE_ATTRIBUTE: ["", "  "]})
    with pytest.raises(NoRolesError, match="its Role attribute has no value"):
        SAMLAssertion.from_base64(encode_response(xml))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (f"{DEV_1[0]},{DEV_2[1]}", "the role is in account 111122223333 but the provider in 444455556666"),
        (
            f"{DEV_1[0]},arn:aws-cn:iam::111122223333:saml-provider/x",
            "partition aws but the provider in aws-cn",
        ),
        (f"arn:aws:iam::111122223333:role//,{DEV_1[1]}", "has an empty role name"),
    ],
)
def test_role_attribute_whose_values_aws_would_refuse_is_no_roles_error_with_the_reason(idp, value, reason):
    xml = make(idp, roles=[], sign="none", extra_attributes={ROLE_ATTRIBUTE: [value, "admins"]})
    with pytest.raises(NoRolesError, match="no value of its Role attribute") as caught:
        SAMLAssertion.from_base64(encode_response(xml))
    assert reason in str(caught.value) and "(and 1 more)" in str(caught.value)


def test_a_refused_value_next_to_a_valid_pair_is_skipped_and_recorded(idp):
    bad = f"{DEV_1[0]},{DEV_2[1]}"  # role and provider of two accounts
    xml = make(idp, roles=[RO_1], sign="none", extra_attributes={ROLE_ATTRIBUTE: [bad]})
    assertion = SAMLAssertion.from_base64(encode_response(xml))
    assert assertion.roles == {"ReadOnly": RolePair(*RO_1)}
    assert assertion.skipped_role_values == (bad,)


def test_duplicate_role_values_give_one_role(idp):
    assertion = SAMLAssertion.from_base64(encode_response(make(idp, roles=[DEV_1, DEV_1], sign="none")))
    assert list(assertion.roles) == ["Developer"]


def test_a_comment_inside_a_role_value_does_not_truncate_it(idp):
    xml = make(idp, roles=[ADMIN], sign="none").replace("role/Admin", "role/Ad<!-- split -->min")
    assertion = SAMLAssertion.from_base64(b64(xml))
    assert assertion.roles == {"Admin": RolePair(*ADMIN)}


_names = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+=,.@_-", min_size=1, max_size=20
)
_pairs = st.builds(
    lambda partition, account, path, name, provider, swap: (
        f"arn:{partition}:iam::{account}:role/{path}{name}",
        f"arn:{partition}:iam::{account}:saml-provider/{provider}",
    ),
    st.sampled_from(["aws", "aws-us-gov", "aws-cn", "aws-iso", "aws-iso-b"]),
    st.from_regex(r"\A[0-9]{12}\Z"),
    st.sampled_from(["", "eng/", "a/b/c/"]),
    _names.filter(lambda n: "," not in n),
    st.sampled_from(["adfs", "corp-idp"]),
    st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(_pairs, min_size=1, max_size=6), principal_first=st.booleans())
def test_any_role_list_round_trips_through_build_and_parse(idp, pairs, principal_first):
    xml = make(idp, roles=pairs, sign="none", principal_first=principal_first)
    assertion = SAMLAssertion.from_base64(encode_response(xml))
    assert {(p.role_arn, p.principal_arn) for p in assertion.roles.values()} == set(pairs)
    for name, pair in assertion.roles.items():
        assert name in (pair.role_name, f"{pair.account_id}:{pair.role_name}", pair.role_arn)


# --- status -----------------------------------------------------------------------------------------------


def test_non_success_status_is_authentication_failed_with_the_idp_message(idp):
    xml = make(
        idp,
        status="urn:oasis:names:tc:SAML:2.0:status:Responder",
        sub_status="urn:oasis:names:tc:SAML:2.0:status:AuthnFailed",
        status_message="MSIS7068: Access denied.",
    )
    with pytest.raises(AuthenticationFailedError, match=r"Responder/AuthnFailed.*MSIS7068") as caught:
        SAMLAssertion.from_base64(encode_response(xml))
    assert caught.value.idp_message == "MSIS7068: Access denied."


def test_non_success_status_without_message_carries_the_sub_status(idp):
    xml = make(
        idp,
        status="urn:oasis:names:tc:SAML:2.0:status:Requester",
        sub_status="urn:oasis:names:tc:SAML:2.0:status:RequestDenied",
    )
    with pytest.raises(AuthenticationFailedError, match="Requester/RequestDenied") as caught:
        SAMLAssertion.from_base64(encode_response(xml))
    assert caught.value.idp_message == "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"


def test_non_success_status_wins_over_signature_checking(idp):
    xml = make(idp, status="urn:oasis:names:tc:SAML:2.0:status:Responder", status_message="denied")
    with pytest.raises(AuthenticationFailedError, match="denied"):
        SAMLAssertion.from_base64(encode_response(xml), trusted_certs=idp[1].decode())


def test_response_without_assertion_is_a_saml_response_error():
    success = "urn:oasis:names:tc:SAML:2.0:status:Success"
    xml = (
        f'<samlp:Response xmlns:samlp="{SAMLP}"><samlp:Status>'
        f'<samlp:StatusCode Value="{success}"/></samlp:Status></samlp:Response>'
    )
    with pytest.raises(SAMLResponseError, match="no Assertion"):
        SAMLAssertion.from_base64(b64(xml))


def test_encrypted_assertion_is_refused_clearly():
    xml = f'<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}"><saml:EncryptedAssertion/>'
    xml += "</samlp:Response>"
    with pytest.raises(SAMLResponseError, match="encrypted"):
        SAMLAssertion.from_base64(b64(xml))


def test_encrypted_assertion_with_trusted_certs_names_the_encryption_not_a_missing_signature(idp):
    xml = f'<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}"><saml:EncryptedAssertion/>'
    xml += "</samlp:Response>"
    with pytest.raises(SAMLResponseError, match="encrypted for the service provider"):
        SAMLAssertion.from_base64(b64(xml), trusted_certs=idp[1].decode())


@pytest.mark.parametrize("sign", ["assertion", "response"])
def test_a_sha1_signature_method_is_refused_by_name_with_trusted_certs(idp, sign):
    xml = make(idp, sign=sign).replace(
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
    )
    assert "rsa-sha1" in xml
    with pytest.raises(SignatureError, match=r"signed with SHA-1 \(rsa-sha1\).*SHA-256"):
        SAMLAssertion.from_base64(b64(xml), trusted_certs=idp[1].decode())
    assert SAMLAssertion.from_base64(b64(xml)).roles  # without trusted_certs: read, and left to AWS


def test_two_assertions_without_signature_checking_are_refused(idp):
    root = etree.fromstring(make(idp, sign="none").encode())
    root.append(copy.deepcopy(root.find("saml:Assertion", NS)))
    with pytest.raises(SAMLResponseError, match="2 assertions"):
        SAMLAssertion.from_base64(b64(etree.tostring(root)))


# --- signature --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sign", ["assertion", "response", "both"])
def test_signature_verifies_against_the_trusted_cert(idp, sign):
    assertion = SAMLAssertion.from_base64(
        encode_response(make(idp, sign=sign)), trusted_certs=idp[1].decode()
    )
    assert assertion.signature_verified
    assert arns(assertion) == {DEV_1[0], RO_1[0], DEV_2[0]}
    assert assertion.subject == "alice@lab.example"


def test_signature_is_not_checked_without_trusted_certs(idp, stranger):
    assertion = SAMLAssertion.from_base64(encode_response(make(stranger)))
    assert not assertion.signature_verified
    assert len(assertion.roles) == 3


@pytest.mark.parametrize("sign", ["assertion", "response"])
def test_signature_by_another_key_is_a_signature_error(idp, stranger, sign):
    with pytest.raises(SignatureError):
        SAMLAssertion.from_base64(encode_response(make(stranger, sign=sign)), trusted_certs=idp[1].decode())


def test_any_one_of_several_trusted_certs_may_verify(idp, stranger):
    data = encode_response(make(idp))
    assert SAMLAssertion.from_base64(data, trusted_certs=[stranger[1].decode(), idp[1]]).signature_verified
    bundle = stranger[1].decode() + "\n" + idp[1].decode()
    assert SAMLAssertion.from_base64(data, trusted_certs=bundle).signature_verified


def test_empty_trusted_cert_list_is_a_signature_error(idp):
    with pytest.raises(SignatureError):
        SAMLAssertion.from_base64(encode_response(make(idp)), trusted_certs=[])


def test_unsigned_response_with_trusted_certs_is_a_signature_error(idp):
    with pytest.raises(SignatureError, match="no signature"):
        SAMLAssertion.from_base64(encode_response(make(idp, sign="none")), trusted_certs=idp[1].decode())


@pytest.mark.parametrize("sign", ["assertion", "response", "both"])
def test_tampered_role_breaks_the_signature(idp, sign):
    xml = make(idp, roles=[DEV_1], sign=sign).replace("role/Developer", "role/Administrator")
    with pytest.raises(SignatureError):
        SAMLAssertion.from_base64(b64(xml), trusted_certs=idp[1].decode())


def test_tampered_session_duration_breaks_the_signature(idp):
    xml = make(idp, session_duration=3600).replace(">3600<", ">43200<")
    with pytest.raises(SignatureError):
        SAMLAssertion.from_base64(b64(xml), trusted_certs=idp[1].decode())


# --- XML signature wrapping -------------------------------------------------------------------------------


def _evil_assertion(idp, assertion_id: str | None = None) -> etree._Element:
    evil = etree.fromstring(make(idp, roles=[ADMIN], sign="none").encode()).find("saml:Assertion", NS)
    if assertion_id:
        evil.set("ID", assertion_id)
    return evil


def _only_genuine(data: str, cert: bytes) -> None:
    """Either the wrapped response is refused, or it yields the genuine roles, none of the attacker's."""
    try:
        assertion = SAMLAssertion.from_base64(data, trusted_certs=cert.decode())
    except (SignatureError, SAMLResponseError):
        return
    assert arns(assertion) == {DEV_1[0]}
    assert assertion.subject == "alice@lab.example"


def test_xsw_unsigned_evil_assertion_before_the_signed_one_yields_only_genuine_roles(idp):
    root = etree.fromstring(make(idp, roles=[DEV_1]).encode())
    root.find("samlp:Status", NS).addnext(_evil_assertion(idp))
    assertion = SAMLAssertion.from_base64(b64(etree.tostring(root)), trusted_certs=idp[1].decode())
    assert arns(assertion) == {DEV_1[0]}


def test_xsw_evil_assertion_with_the_genuine_id_before_the_signed_one(idp):
    root = etree.fromstring(make(idp, roles=[DEV_1]).encode())
    genuine = root.find("saml:Assertion", NS)
    root.find("samlp:Status", NS).addnext(_evil_assertion(idp, genuine.get("ID")))
    _only_genuine(b64(etree.tostring(root)), idp[1])


def test_xsw_evil_assertion_carrying_the_genuine_signature_with_the_original_in_its_object(idp):
    # XSW8-style: the evil assertion holds the genuine Signature; the original (unsigned) sits in ds:Object.
    root = etree.fromstring(make(idp, roles=[DEV_1]).encode())
    genuine = root.find("saml:Assertion", NS)
    signature = genuine.find("ds:Signature", NS)
    genuine.remove(signature)
    evil = _evil_assertion(idp)
    evil.find("saml:Issuer", NS).addnext(signature)
    etree.SubElement(signature, f"{{{DS}}}Object").append(genuine)
    root.append(evil)
    _only_genuine(b64(etree.tostring(root)), idp[1])


def test_xsw_evil_assertion_hidden_in_the_signature_object_is_not_read(idp):
    root = etree.fromstring(make(idp, roles=[DEV_1]).encode())
    signature = root.find("saml:Assertion/ds:Signature", NS)
    etree.SubElement(signature, f"{{{DS}}}Object").append(_evil_assertion(idp))
    _only_genuine(b64(etree.tostring(root)), idp[1])


def test_xsw_evil_assertion_wrapping_the_signed_one_in_its_extensions(idp):
    # XSW7-style: the evil assertion takes the genuine one's place, carrying it inside an Extensions element.
    root = etree.fromstring(make(idp, roles=[DEV_1]).encode())
    genuine = root.find("saml:Assertion", NS)
    evil = _evil_assertion(idp)
    etree.SubElement(evil, f"{{{SAMLP}}}Extensions").append(copy.deepcopy(genuine))
    genuine.addprevious(evil)
    root.remove(genuine)
    _only_genuine(b64(etree.tostring(root)), idp[1])


def test_xsw_evil_response_wrapping_the_signed_response(idp):
    # XSW1-style: a new Response carries the genuine Signature, the genuine Response sits in its ds:Object.
    genuine = etree.fromstring(make(idp, roles=[DEV_1], sign="response").encode())
    signature = genuine.find("ds:Signature", NS)
    genuine.remove(signature)
    evil = etree.fromstring(make(idp, roles=[ADMIN], sign="none").encode())
    evil.find("saml:Issuer", NS).addnext(signature)
    etree.SubElement(signature, f"{{{DS}}}Object").append(genuine)
    _only_genuine(b64(etree.tostring(evil)), idp[1])


def test_xsw_copy_of_the_signed_assertion_with_changed_roles_is_refused(idp):
    root = etree.fromstring(make(idp, roles=[DEV_1]).encode())
    genuine = root.find("saml:Assertion", NS)
    forged = copy.deepcopy(genuine)
    value = forged.find(".//saml:Attribute[@Name='" + ROLE_ATTRIBUTE + "']/saml:AttributeValue", NS)
    value.text = f"{ADMIN[0]},{ADMIN[1]}"
    genuine.addprevious(forged)
    _only_genuine(b64(etree.tostring(root)), idp[1])
    root.remove(genuine)  # the forged copy alone: its digest no longer matches
    with pytest.raises(SignatureError):
        SAMLAssertion.from_base64(b64(etree.tostring(root)), trusted_certs=idp[1].decode())


def test_xsw_signed_response_with_an_added_assertion_is_refused(idp):
    root = etree.fromstring(make(idp, roles=[DEV_1], sign="response").encode())
    root.append(_evil_assertion(idp))
    with pytest.raises(SignatureError):
        SAMLAssertion.from_base64(b64(etree.tostring(root)), trusted_certs=idp[1].decode())


def test_a_foreign_signature_placed_first_does_not_hide_the_genuine_one(idp, stranger):
    root = etree.fromstring(make(idp, roles=[DEV_1]).encode())
    foreign = etree.fromstring(make(stranger, roles=[ADMIN], sign="response").encode())
    root.find("saml:Issuer", NS).addnext(foreign.find("ds:Signature", NS))
    assertion = SAMLAssertion.from_base64(b64(etree.tostring(root)), trusted_certs=idp[1].decode())
    assert arns(assertion) == {DEV_1[0]}


# --- credentials ----------------------------------------------------------------------------------------


def test_get_role_credentials_assumes_the_chosen_role_at_the_sts(idp):
    from samlbroker.lab.sts import STSServer
    from samlbroker.sts import STSClient

    server = STSServer(providers={DEV_1[1]: idp[1].decode(), DEV_2[1]: idp[1].decode()}).start()
    try:
        assertion = SAMLAssertion.from_base64(encode_response(make(idp, session_duration=1800)))
        client = STSClient(region="us-east-1", endpoint_url=server.url, max_attempts=1, timeout=10)
        creds = assertion.get_role_credentials("444455556666:Developer", sts=client)
        assert creds.access_key_id in server.issued
        call = server.calls[-1]
        assert (call.role_arn, call.principal_arn) == DEV_2
        assert call.duration == 1800  # the default hour capped at the assertion's SessionDuration
    finally:
        server.stop()


def test_get_role_credentials_needs_a_choice_among_several_roles(idp):
    from samlbroker.errors import RoleNotFoundError

    assertion = SAMLAssertion.from_base64(encode_response(make(idp)))
    with pytest.raises(RoleNotFoundError):
        assertion.get_role_credentials()


# --- any input: a SAMLAssertion or a SAMLBrokerError, never another exception ------------------------------

# Characters XML 1.0 can carry (lxml refuses the others when the test builds the response).
_xml_chars = st.characters(min_codepoint=0x20, exclude_categories=("Cs",), exclude_characters="\ufffe\uffff")
_xml_text = st.text(st.one_of(_xml_chars, st.sampled_from("\t\n\r")), max_size=40)
_zones = st.one_of(
    st.just(""),
    st.just("Z"),
    st.builds(
        lambda sign, hours, minutes, colon: f"{sign}{hours:02d}{colon}{minutes:02d}",
        st.sampled_from("+-"),
        st.integers(0, 99),
        st.integers(0, 99),
        st.sampled_from(["", ":"]),
    ),
)
_instants = st.one_of(
    st.builds(
        lambda moment, digits, zone: (
            moment.strftime("%Y-%m-%dT%H:%M:%S").rjust(19, "0")
            + (f".{moment.microsecond:06d}"[: digits + 1] if digits else "")
            + zone
        ),
        st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59, 999999)),
        st.integers(0, 7),
        _zones,
    ),
    st.from_regex(
        r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:?[0-9]{2})?\Z"
    ),
    _xml_text,
)


def _with_instants(xml: str, not_on_or_after: str, issue_instant: str, where: str) -> str:
    root = etree.fromstring(xml.encode())
    for element in root.iter(f"{{{SAMLP}}}Response", f"{{{SAML}}}Assertion"):
        element.set("IssueInstant", issue_instant)
    conditions = root.find("saml:Assertion/saml:Conditions", NS)
    data = root.find("saml:Assertion/saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", NS)
    if where == "subject":
        del conditions.attrib["NotOnOrAfter"]
    for element in {"conditions": [conditions], "subject": [data], "both": [conditions, data]}[where]:
        element.set("NotOnOrAfter", not_on_or_after)
    return b64(etree.tostring(root))


def _expected_utc(text: str) -> dt.datetime | None:
    """What a well-formed xs:dateTime means in UTC, or None when it names no moment a datetime holds."""
    match = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?", text)
    if not match:
        return None
    *fields, fraction, zone = match.groups()
    try:
        moment = dt.datetime(
            *map(int, fields), int((fraction or "0")[:6].ljust(6, "0")), tzinfo=dt.timezone.utc
        )
    except ValueError:
        return None
    if zone and zone != "Z":
        hours, minutes = int(zone[1:3]), int(zone[-2:])
        if minutes > 59 or hours * 60 + minutes > 14 * 60:
            return None
        try:
            return moment - (1 if zone[0] == "+" else -1) * dt.timedelta(hours=hours, minutes=minutes)
        except OverflowError:
            return None
    return moment


@settings(max_examples=300, deadline=None)
@given(
    not_on_or_after=_instants,
    issue_instant=_instants,
    where=st.sampled_from(["conditions", "subject", "both"]),
)
def test_any_issue_instant_and_not_on_or_after_give_an_assertion_or_a_saml_response_error(
    idp, not_on_or_after, issue_instant, where
):
    data = _with_instants(make(idp, roles=[DEV_1], sign="none"), not_on_or_after, issue_instant, where)
    expected = _expected_utc(not_on_or_after.strip())
    if not not_on_or_after:  # an empty attribute is no attribute: the other one counts, else none
        fallback = SAMLAssertion.from_base64(data).not_on_or_after
        assert (fallback is None) == (where != "conditions")
        return
    try:
        assertion = SAMLAssertion.from_base64(data)
    except SAMLResponseError as exc:
        assert expected is None, exc
        assert "NotOnOrAfter" in str(exc) and "\n" not in str(exc)
        return
    assert assertion.not_on_or_after == expected
    assert assertion.not_on_or_after.utcoffset() == dt.timedelta(0)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.integers(-(10**20), 10**20).map(str),
        st.from_regex(r"\A[ \t]*[+-]?[0-9_]{1,30}[ \t]*\Z"),
        st.sampled_from(["\u0663\u0666\u0660\u0660", "\uff13\uff16\uff10\uff10", "1e3", "3600.0", " 3600 "]),
        _xml_text,
    )
)
def test_any_session_duration_is_positive_seconds_or_a_saml_response_error(idp, value):
    xml = make(idp, roles=[DEV_1], sign="none", session_duration=None, extra_attributes={
        "https://aws.amazon.com/SAML/Attributes/SessionDuration": [value]})  # fmt: skip
    try:
        assertion = SAMLAssertion.from_base64(encode_response(xml))
    except SAMLResponseError as exc:
        assert "SessionDuration" in str(exc)
        text = value.strip()
        assert not (text.isascii() and text.isdigit() and int(text) > 0 and len(text) <= 12), value
        return
    text = " ".join(value.split())
    if not text:
        assert assertion.session_duration is None  # an empty value is no value
        return
    assert text.isascii() and text.isdigit() and assertion.session_duration == int(text) > 0


_arnish = st.builds(
    lambda partition, service, region, account, kind, rest: (
        f"arn:{partition}:{service}:{region}:{account}:{kind}{rest}"
    ),
    st.sampled_from(["aws", "aws-cn", "aws-us-gov", "aws-iso-b", "aws-", "AWS", "azure", ""]),
    st.sampled_from(["iam", "sts", ""]),
    st.sampled_from(["", "us-east-1"]),
    st.sampled_from(["111122223333", "444455556666", "11112222333", "1111222233334", ""]),
    st.sampled_from(["role", "saml-provider", "user", "assumed-role"]),
    st.one_of(st.from_regex(r"\A/[\x21-\x7e]{0,30}\Z"), st.sampled_from(["", "/", "//", "/a//b"])),
)
_role_values = st.one_of(
    _pairs.map(lambda pair: f"{pair[0]},{pair[1]}"),
    st.builds(lambda a, b, sep: f"{a}{sep}{b}", _arnish, _arnish, st.sampled_from([",", " , ", ",,", ""])),
    _xml_text,
)


@settings(max_examples=300, deadline=None)
@given(
    valid=st.lists(_pairs, max_size=3),
    noise=st.lists(_role_values, max_size=4),
    others=st.dictionaries(_xml_text.filter(str.strip), st.lists(_xml_text, max_size=3), max_size=3),
    data=st.data(),
)
def test_any_role_and_attribute_values_give_valid_roles_or_no_roles_error(idp, valid, noise, others, data):
    """Every pair kept is one AWS would accept, the valid ones are all kept; none kept is NoRolesError."""
    values = data.draw(st.permutations([f"{role},{provider}" for role, provider in valid] + noise))
    others.pop("https://aws.amazon.com/SAML/Attributes/SessionDuration", None)
    xml = make(idp, roles=[], sign="none", extra_attributes={**others, ROLE_ATTRIBUTE: values})
    try:
        assertion = SAMLAssertion.from_base64(encode_response(xml))
    except NoRolesError as exc:
        assert not valid
        assert str(exc).startswith("the SAML assertion grants no AWS role") and "\n" not in str(exc)
        return
    assert set(valid) <= {(p.role_arn, p.principal_arn) for p in assertion.roles.values()}
    for name, pair in assertion.roles.items():
        role, provider = pair.role_arn.split(":"), pair.principal_arn.split(":")
        assert role[1] == provider[1] and role[4] == provider[4]  # one partition, one account
        assert re.fullmatch(r"[0-9]{12}", pair.account_id)
        assert re.fullmatch(r"[\w+=,.@-]{1,64}", pair.role_name, re.ASCII)
        assert name in (pair.role_name, f"{pair.account_id}:{pair.role_name}", pair.role_arn)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.text(max_size=200), st.binary(max_size=200).map(lambda raw: base64.b64encode(raw).decode()))
)
def test_any_text_as_a_saml_response_is_a_saml_broker_error(data):
    with pytest.raises(SAMLBrokerError):
        SAMLAssertion.from_base64(data)


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(0, 10_000), length=st.integers(1, 40), junk=_xml_text)
def test_a_damaged_response_is_an_assertion_or_a_saml_broker_error(idp, cut, length, junk):
    xml = make(idp, sign="none")
    cut %= len(xml)
    with contextlib.suppress(SAMLBrokerError):
        SAMLAssertion.from_base64(b64(xml[:cut] + junk + xml[cut + length :]))
