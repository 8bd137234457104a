"""SAMLAssertion: decoding, attributes, roles, status, signature verification and XML signature wrapping."""

from __future__ import annotations

import base64
import copy
import datetime as dt
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


def test_assertion_without_role_attribute_has_no_roles_and_cannot_get_credentials(idp):
    assertion = SAMLAssertion.from_base64(encode_response(make(idp, roles=[], sign="none")))
    assert assertion.roles == {}
    with pytest.raises(NoRolesError):
        assertion.get_role_credentials()


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
