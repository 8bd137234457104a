"""What the lab STS checks in a SAMLResponse before it issues credentials, as AWS documents it:
safe XML, a signature by the registered provider, audience, recipient, expiry, roles and session name."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from dataclasses import dataclass

from lxml import etree

from ..assertion import (
    DS,
    ROLE_ATTRIBUTE,
    ROLE_SESSION_NAME_ATTRIBUTE,
    SAML,
    SAMLP,
    SESSION_DURATION_ATTRIBUTE,
)
from ..roles import RolePair, parse_role_value

AUDIENCE = "urn:amazon:webservices"
# Per partition: the audiences (relying-party identifiers) and sign-in endpoints (Recipient) AWS accepts.
_AUDIENCES = {
    "aws": {AUDIENCE},
    "aws-us-gov": {"urn:amazon:webservices:govcloud"},
    "aws-cn": {"urn:amazon:webservices:cn", "urn:amazon:webservices:cn-north-1"},
}
_RECIPIENTS = {
    "aws": re.compile(r"^https://([a-z]{2}(-[a-z]+)+-\d\.)?signin\.aws\.amazon\.com(:443)?/saml$"),
    "aws-us-gov": re.compile(r"^https://signin\.amazonaws-us-gov\.com(:443)?/saml$"),
    "aws-cn": re.compile(r"^https://signin\.amazonaws\.cn(:443)?/saml$"),
}
_NAMEID_PREFIX = "urn:oasis:names:tc:SAML:2.0:nameid-format:"


class STSFault(Exception):
    """One STS error answer: the HTTP status and the ``Error`` element's Type, Code and Message."""

    def __init__(self, code: str, message: str, status: int = 400, kind: str = "Sender") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.kind = kind


# -- assertion checks ----------------------------------------------------------------------------------


@dataclass
class AssertionFacts:
    issuer: str
    subject: str | None
    subject_type: str
    recipient: str
    roles: set[RolePair]
    session_name: str | None
    session_duration: int | None


def parse_assertion_xml(assertion_b64: str) -> etree._Element:
    """Base64, then XML with no DTD, no entities and no network; anything else is an InvalidIdentityToken."""
    try:
        data = base64.b64decode(assertion_b64, validate=True)
    except (binascii.Error, ValueError):
        raise STSFault(
            "InvalidIdentityToken", "Invalid base64 SAMLResponse (Service: AWSSecurityTokenService)"
        ) from None
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        tree = etree.fromstring(data, parser).getroottree()
    except etree.XMLSyntaxError:
        raise STSFault("InvalidIdentityToken", "Response is not a valid SAML XML document") from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise STSFault("InvalidIdentityToken", "Response is not a valid SAML XML document (DTD not allowed)")
    root = tree.getroot()
    if root.tag != f"{{{SAMLP}}}Response":
        raise STSFault("InvalidIdentityToken", "Response is not a SAML 2.0 protocol Response")
    status = root.find(f"{{{SAMLP}}}Status/{{{SAMLP}}}StatusCode")
    if status is None or status.get("Value") != "urn:oasis:names:tc:SAML:2.0:status:Success":
        raise STSFault("InvalidIdentityToken", "Response status is not Success")
    return root


def verified_assertion(root: etree._Element, cert_pem: str) -> etree._Element:
    """The one Assertion covered by a signature that verifies against ``cert_pem`` (Response or Assertion)."""
    from signxml import InvalidInput, InvalidSignature, SignatureConfiguration, XMLVerifier
    from signxml.algorithms import DigestAlgorithm, SignatureMethod

    assertions = root.findall(f"{{{SAML}}}Assertion")
    if len(assertions) != 1:
        raise STSFault("InvalidIdentityToken", "Response must contain exactly one Assertion")
    locations = []
    if root.find(f"{{{DS}}}Signature") is not None:
        locations.append("./")
    if assertions[0].find(f"{{{DS}}}Signature") is not None:
        locations.append(f"./{{{SAML}}}Assertion/")
    if not locations:
        raise STSFault("InvalidIdentityToken", "Response is not signed")
    signed: etree._Element | None = None
    for location in locations:
        try:
            result = XMLVerifier().verify(
                root,
                x509_cert=cert_pem,
                # AWS still accepts RSA-SHA1 and SHA-1 digests besides SHA-256: so does the lab STS.
                expect_config=SignatureConfiguration(
                    location=location,
                    signature_methods=frozenset(SignatureMethod),
                    digest_algorithms=frozenset(DigestAlgorithm),
                ),
            )
        except (InvalidSignature, InvalidInput, ValueError) as exc:
            raise STSFault(
                "InvalidIdentityToken", f"Response signature invalid: {type(exc).__name__}"
            ) from None
        element = result.signed_xml  # type: ignore[union-attr]
        if element.tag == f"{{{SAMLP}}}Response":
            inner = element.findall(f"{{{SAML}}}Assertion")
            element = inner[0] if len(inner) == 1 else None
        if element is None or element.tag != f"{{{SAML}}}Assertion":
            raise STSFault("InvalidIdentityToken", "The signature does not cover the Assertion")
        signed = signed if signed is not None else element
    assert signed is not None
    return signed


def read_assertion(assertion: etree._Element, now: dt.datetime, partition: str) -> AssertionFacts:
    ns = {"saml": SAML}
    path = "saml:Conditions/saml:AudienceRestriction/saml:Audience"
    audiences = {(a.text or "").strip() for a in assertion.iterfind(path, ns)}
    wanted = _AUDIENCES.get(partition, {AUDIENCE})
    if not audiences & wanted:
        raise STSFault("IDPRejectedClaim", "Audience does not match " + " or ".join(sorted(wanted)))
    confirmation = assertion.find("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", ns)
    recipient = (confirmation.get("Recipient") if confirmation is not None else None) or ""
    if not _RECIPIENTS.get(partition, _RECIPIENTS["aws"]).match(recipient):
        raise STSFault("IDPRejectedClaim", f"Recipient is not a valid AWS sign-in endpoint for {partition}")

    conditions = assertion.find("saml:Conditions", ns)
    limits = [e.get("NotOnOrAfter") for e in (conditions, confirmation) if e is not None]
    for limit in filter(None, limits):
        if now >= instant(limit):
            raise STSFault("ExpiredTokenException", "Token must be redeemed before its NotOnOrAfter time")
    not_before = conditions.get("NotBefore") if conditions is not None else None
    if not_before and now + dt.timedelta(minutes=5) < instant(not_before):
        raise STSFault("InvalidIdentityToken", "The SAML assertion is not yet valid (NotBefore)")

    attributes: dict[str, list[str]] = {}
    for attribute in assertion.iterfind("saml:AttributeStatement/saml:Attribute", ns):
        values = [(v.text or "").strip() for v in attribute.iterfind("saml:AttributeValue", ns)]
        attributes.setdefault(attribute.get("Name", ""), []).extend(values)
    roles = {pair for pair in map(parse_role_value, attributes.get(ROLE_ATTRIBUTE, [])) if pair is not None}
    names = attributes.get(ROLE_SESSION_NAME_ATTRIBUTE) or [None]
    session_duration = None
    if attributes.get(SESSION_DURATION_ATTRIBUTE):
        try:
            session_duration = int(attributes[SESSION_DURATION_ATTRIBUTE][0])
        except ValueError:
            raise STSFault("InvalidIdentityToken", "SessionDuration attribute is not a number") from None
        if not 900 <= session_duration <= 43200:
            raise STSFault("InvalidIdentityToken", "SessionDuration attribute must be between 900 and 43200")
    name_id = assertion.find("saml:Subject/saml:NameID", ns)
    fmt = (name_id.get("Format") if name_id is not None else None) or "transient"
    issuer = assertion.find("saml:Issuer", ns)
    return AssertionFacts(
        issuer=(issuer.text or "").strip() if issuer is not None else "",
        subject=(name_id.text or "").strip() if name_id is not None else None,
        subject_type=fmt[len(_NAMEID_PREFIX) :] if fmt.startswith(_NAMEID_PREFIX) else fmt,
        recipient=recipient,
        roles=roles,
        session_name=names[0],
        session_duration=session_duration,
    )


def instant(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise STSFault("InvalidIdentityToken", "Invalid timestamp in the SAML assertion") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def pem_text(pem: str | bytes) -> str:
    return pem.decode("ascii") if isinstance(pem, bytes) else pem
