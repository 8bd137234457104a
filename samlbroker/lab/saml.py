"""Build and sign SAML 2.0 Responses with the AWS attributes, as AD FS does, for the lab and for tests.

Signing uses signxml: RSA-SHA256, SHA-256 digests, exclusive c14n, enveloped, the ``ds:Signature`` placed
right after the signed element's ``Issuer`` (where the SAML schema wants it).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import uuid
from collections.abc import Mapping, Sequence

from lxml import etree

from ..assertion import (  # the names the product reads are the names the lab writes
    DS,
    ROLE_ATTRIBUTE,
    ROLE_SESSION_NAME_ATTRIBUTE,
    SAML,
    SAMLP,
    SESSION_DURATION_ATTRIBUTE,
    SUCCESS,
)

_SIGN_MODES = ("assertion", "response", "both", "none")


def _instant(moment: dt.datetime) -> str:
    """SAML's xs:dateTime in UTC with milliseconds, as AD FS writes it."""
    moment = moment.astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _new_id() -> str:
    return "_" + str(uuid.uuid4())


def _sub(parent: etree._Element, ns: str, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _sign(element: etree._Element, key_pem: bytes | None, cert_pem: bytes | None) -> etree._Element:
    """Sign ``element`` (enveloped, by its ID), the signature going where the placeholder after Issuer is."""
    from signxml import methods
    from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
    from signxml.signer import XMLSigner

    if key_pem is None or cert_pem is None:
        raise ValueError("signing needs signing_key_pem and signing_cert_pem")
    issuer = element.find(f"{{{SAML}}}Issuer")
    placeholder = etree.Element(f"{{{DS}}}Signature", Id="placeholder", nsmap={"ds": DS})
    issuer.addnext(placeholder)  # type: ignore[union-attr]
    signer = XMLSigner(
        method=methods.enveloped,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    return signer.sign(
        element, key=key_pem, cert=cert_pem.decode("ascii"), reference_uri="#" + element.get("ID")
    )


def build_assertion(
    *,
    subject: str,
    roles: Sequence[tuple[str, str]],
    issuer: str,
    session_duration: int | None,
    role_session_name: str | None,
    not_on_or_after: dt.datetime,
    audience: str,
    recipient: str,
    principal_first: bool = False,
    extra_attributes: Mapping[str, Sequence[str]] | None = None,
    now: dt.datetime | None = None,
) -> etree._Element:
    """The unsigned ``saml:Assertion`` element (its own root) with the AWS attributes."""
    now = now or dt.datetime.now(dt.timezone.utc)
    assertion = etree.Element(
        f"{{{SAML}}}Assertion",
        {"ID": _new_id(), "IssueInstant": _instant(now), "Version": "2.0"},
        nsmap={"saml": SAML},
    )
    _sub(assertion, SAML, "Issuer", issuer)
    subject_el = _sub(assertion, SAML, "Subject")
    _sub(subject_el, SAML, "NameID", subject, Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
    confirmation = _sub(
        subject_el, SAML, "SubjectConfirmation", Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"
    )
    _sub(
        confirmation,
        SAML,
        "SubjectConfirmationData",
        NotOnOrAfter=_instant(not_on_or_after),
        Recipient=recipient,
    )
    conditions = _sub(
        assertion,
        SAML,
        "Conditions",
        NotBefore=_instant(now - dt.timedelta(seconds=5)),
        NotOnOrAfter=_instant(not_on_or_after),
    )
    _sub(_sub(conditions, SAML, "AudienceRestriction"), SAML, "Audience", audience)

    statement = _sub(assertion, SAML, "AttributeStatement")
    attributes: dict[str, list[str]] = {ROLE_SESSION_NAME_ATTRIBUTE: [role_session_name or subject]}
    if roles:
        attributes[ROLE_ATTRIBUTE] = [
            f"{principal},{role}" if principal_first else f"{role},{principal}" for role, principal in roles
        ]
    if session_duration is not None:
        attributes[SESSION_DURATION_ATTRIBUTE] = [str(session_duration)]
    for name, values in (extra_attributes or {}).items():
        attributes.setdefault(name, []).extend(values)
    for name, values in attributes.items():
        attribute = _sub(statement, SAML, "Attribute", Name=name)
        for value in values:
            _sub(attribute, SAML, "AttributeValue", value)

    authn = _sub(assertion, SAML, "AuthnStatement", AuthnInstant=_instant(now), SessionIndex=_new_id())
    _sub(
        _sub(authn, SAML, "AuthnContext"),
        SAML,
        "AuthnContextClassRef",
        "urn:federation:authentication:windows",
    )
    return assertion


def build_saml_response(
    *,
    subject: str,
    roles: Sequence[tuple[str, str]],
    signing_key_pem: bytes | None,
    signing_cert_pem: bytes | None,
    issuer: str = "http://localhost/adfs/services/trust",
    session_duration: int | None = 3600,
    role_session_name: str | None = None,
    not_on_or_after: dt.datetime | None = None,
    audience: str = "urn:amazon:webservices",
    recipient: str = "https://signin.aws.amazon.com/saml",
    sign: str = "assertion",
    principal_first: bool = False,
    status: str = SUCCESS,
    status_message: str | None = None,
    sub_status: str | None = None,
    extra_attributes: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The ``samlp:Response`` XML text; ``roles`` are ``(role_arn, principal_arn)`` pairs.

    ``sign`` is ``"assertion"``, ``"response"``, ``"both"`` or ``"none"``. A non-Success ``status`` gives a
    Response without an Assertion (as AD FS sends), with ``status_message`` / ``sub_status`` when given.
    ``extra_attributes`` adds raw attribute values (tests use it for malformed Role values).
    """
    if sign not in _SIGN_MODES:
        raise ValueError(f"sign must be one of {', '.join(_SIGN_MODES)}")
    now = dt.datetime.now(dt.timezone.utc)
    expiry = not_on_or_after or now + dt.timedelta(minutes=5)
    response = etree.Element(
        f"{{{SAMLP}}}Response",
        {
            "ID": _new_id(),
            "Version": "2.0",
            "IssueInstant": _instant(now),
            "Destination": recipient,
            "Consent": "urn:oasis:names:tc:SAML:2.0:consent:unspecified",
        },
        nsmap={"samlp": SAMLP, "saml": SAML},
    )
    _sub(response, SAML, "Issuer", issuer)
    status_el = _sub(response, SAMLP, "Status")
    code = _sub(status_el, SAMLP, "StatusCode", Value=status)
    if sub_status:
        _sub(code, SAMLP, "StatusCode", Value=sub_status)
    if status_message:
        _sub(status_el, SAMLP, "StatusMessage", status_message)

    if status == SUCCESS:
        assertion = build_assertion(
            subject=subject,
            roles=roles,
            issuer=issuer,
            session_duration=session_duration,
            role_session_name=role_session_name,
            not_on_or_after=expiry,
            audience=audience,
            recipient=recipient,
            principal_first=principal_first,
            extra_attributes=extra_attributes,
            now=now,
        )
        if sign in ("assertion", "both"):
            assertion = _sign(assertion, signing_key_pem, signing_cert_pem)
        response.append(assertion)
    if sign in ("response", "both"):
        response = _sign(response, signing_key_pem, signing_cert_pem)
    return etree.tostring(response, encoding="unicode")


def encode_response(xml: str) -> str:
    """Base64 of the UTF-8 XML, as it travels in the SAMLResponse form field."""
    return base64.b64encode(xml.encode("utf-8")).decode("ascii")


def auto_post_page(
    saml_response_b64: str,
    action: str = "https://signin.aws.amazon.com:443/saml",
    relay_state: str | None = None,
) -> str:
    """The HTML page AD FS answers with: a hidden form that posts the SAMLResponse on load."""
    fields = f'<input type="hidden" name="SAMLResponse" value="{html.escape(saml_response_b64)}" />'
    if relay_state is not None:
        fields += f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}" />'
    return (
        "<html><head><title>Working...</title></head><body>"
        f'<form method="POST" name="hiddenform" action="{html.escape(action)}">{fields}'
        "<noscript><p>Script is disabled. Click Submit to continue.</p>"
        '<input type="submit" value="Submit" /></noscript></form>'
        "<script language=\"javascript\">window.setTimeout('document.forms[0].submit()', 0);</script>"
        "</body></html>"
    )


def generate_signing_identity(common_name: str, days: int = 365) -> tuple[bytes, bytes]:
    """A throwaway RSA-2048 key and self-signed certificate, both PEM: ``(key_pem, cert_pem)``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)
