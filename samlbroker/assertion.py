"""The SAML assertion an IdP hands back: its AWS roles, session duration and lifetime.

Heavy modules (lxml, signxml, botocore) are imported inside the functions that need them, so that
importing this module stays cheap on the credential-process cache-hit path.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import AuthenticationFailedError, NoRolesError, SAMLResponseError, SignatureError
from .roles import InvalidRoleValue, RolePair, choose_role, friendly_names, read_role_value
from .xmlsafe import MAX_XML_BYTES, parse_xml

if TYPE_CHECKING:
    from lxml import etree

    from .sts import Credentials, STSClient

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role"
ROLE_SESSION_NAME_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
SESSION_DURATION_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/SessionDuration"

_NS = {"samlp": SAMLP, "saml": SAML, "ds": DS}
_MAX_SIGNATURES_TRIED = 8
# SHA-1 in XML signatures (RFC 3275, RFC 6931): refused when trusted_certs asks for a real check.
_SHA1_ALGORITHMS = frozenset(
    {
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
        "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
        "http://www.w3.org/2000/09/xmldsig#sha1",
    }
)
_INSTANT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$", re.ASCII
)
_SECONDS = re.compile(r"-?[0-9]{1,12}", re.ASCII)
_PEM_CERT = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


@dataclass(frozen=True, repr=False)
class SAMLAssertion:
    """One decoded SAMLResponse.

    Build it with :meth:`from_base64`. Without ``trusted_certs`` the XML signature is *not*
    checked (AWS STS checks it anyway); with them, everything here comes from what the signature covers.
    """

    xml: str
    base64: str
    roles: dict[str, RolePair]
    session_duration: int | None = None
    not_on_or_after: dt.datetime | None = None
    subject: str | None = None
    role_session_name: str | None = None
    issuer: str | None = None
    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Every attribute of the assertion: name -> values."""
    skipped_role_values: tuple[str, ...] = ()
    """Role attribute values AWS would refuse (not a role and a saml-provider ARN of one account): ignored."""
    signature_verified: bool = False

    @classmethod
    def from_base64(
        cls,
        data: str | bytes,
        trusted_certs: str | bytes | Sequence[str | bytes] | None = None,
        *,
        account_names: Mapping[str, str] | None = None,
    ) -> SAMLAssertion:
        """Decode and read a base64 SAMLResponse.

        ``trusted_certs``: PEM text (or a list of them); the signature must then verify against one
        of them and the roles are read only from the signed element. ``account_names`` (account id ->
        alias) qualifies friendly names when two accounts share a role name.

        Every input gives an assertion or a SAMLBrokerError; NoRolesError (with the reason) when no Role
        attribute value is a role/provider pair AWS would accept, so ``roles`` is never empty.
        """
        raw = decode_base64(data)
        root = parse_xml(raw)
        if root.tag != f"{{{SAMLP}}}Response":
            raise SAMLResponseError(
                f"the SAMLResponse is not a SAML 2.0 Response (its root is {_local(root.tag)})"
            )
        _check_status(root)
        _refuse_encrypted(root)  # before the signature check: a signed Response would hide the reason
        if trusted_certs is None:
            assertion = _only_assertion(root)
        else:
            assertion = _signed_assertion(root, _pem_list(trusted_certs))
        return cls._from_element(
            assertion,
            xml=_text_of(raw, root),
            b64=base64.b64encode(raw).decode("ascii"),
            account_names=account_names,
            verified=trusted_certs is not None,
        )

    @classmethod
    def _from_element(
        cls,
        assertion: etree._Element,
        *,
        xml: str,
        b64: str,
        account_names: Mapping[str, str] | None,
        verified: bool,
    ) -> SAMLAssertion:
        attributes = _attributes(assertion)
        subject = _text(assertion.find("saml:Subject/saml:NameID", _NS))
        pairs, skipped = _role_pairs(attributes, subject)
        return cls(
            xml=xml,
            base64=b64,
            roles=friendly_names(pairs, account_names),
            session_duration=_session_duration(attributes),
            not_on_or_after=_not_on_or_after(assertion),
            subject=subject,
            role_session_name=_first(attributes, ROLE_SESSION_NAME_ATTRIBUTE),
            issuer=_text(assertion.find("saml:Issuer", _NS)),
            attributes=attributes,
            skipped_role_values=tuple(skipped),
            signature_verified=verified,
        )

    @property
    def role_pairs(self) -> tuple[RolePair, ...]:
        return tuple(self.roles.values())

    def is_expired(self, now: dt.datetime | None = None) -> bool:
        """True once the assertion's NotOnOrAfter has passed (never, when it has none)."""
        if self.not_on_or_after is None:
            return False
        return (now or dt.datetime.now(dt.timezone.utc)) >= self.not_on_or_after

    def get_role_credentials(
        self, role: str | None = None, duration: int | None = None, sts: STSClient | None = None
    ) -> Credentials:
        """AssumeRoleWithSAML for ``role`` (friendly name or ARN; optional when there is only one)."""
        pair = choose_role(self.roles, role)
        if sts is None:
            from .sts import STSClient

            sts = STSClient()
        return sts.assume_role_with_saml(self.base64, pair, duration, session_duration=self.session_duration)

    def __repr__(self) -> str:
        return (
            f"SAMLAssertion(subject={self.subject!r}, issuer={self.issuer!r}, roles={list(self.roles)!r}, "
            f"session_duration={self.session_duration!r}, not_on_or_after={self.not_on_or_after!r}, "
            f"signature_verified={self.signature_verified!r})"
        )


def decode_base64(data: str | bytes) -> bytes:
    """The bytes of a SAMLResponse field value: folded lines, leftover entities, missing padding tolerated."""
    text = data.decode("ascii", errors="replace") if isinstance(data, bytes) else data
    if "&" in text:
        text = html.unescape(text)
    if "%" in text:
        from urllib.parse import unquote

        text = unquote(text)
    text = "".join(text.split())
    if not text:
        raise SAMLResponseError("the SAMLResponse is empty")
    if len(text) > (MAX_XML_BYTES // 3 + 1) * 4:
        raise SAMLResponseError(f"the SAMLResponse is too large ({len(text)} base64 characters)")
    text = text.replace("-", "+").replace("_", "/").rstrip("=")
    if len(text) % 4 == 1:
        raise SAMLResponseError("the SAMLResponse is not valid base64 (truncated)")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise SAMLResponseError("the SAMLResponse is not valid base64") from None


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _short(value: str, limit: int = 80) -> str:
    value = " ".join(value.split())
    return repr(value if len(value) <= limit else value[: limit - 3] + "...")


def _text(element: etree._Element | None) -> str | None:
    """The element's text content, comments ignored (they must not split a value), stripped."""
    if element is None:
        return None
    text = str(element.xpath("string()")).strip()
    return text or None


def _text_of(raw: bytes, root: etree._Element) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        from lxml import etree

        return etree.tostring(root, encoding="unicode")


def _check_status(response: etree._Element) -> None:
    """Raise AuthenticationFailedError for a non-Success status, with the IdP's message and sub-status."""
    code = response.find("samlp:Status/samlp:StatusCode", _NS)
    if code is None:
        return  # a Status is required by the schema, but an assertion without one is still readable
    value = (code.get("Value") or "").strip()
    if value == SUCCESS:
        return
    sub = code.find("samlp:StatusCode", _NS)
    sub_value = (sub.get("Value") or "").strip() if sub is not None else ""
    message = _text(response.find("samlp:Status/samlp:StatusMessage", _NS))
    status = _local(value.rsplit(":", 1)[-1]) or "unknown"
    if sub_value:
        status += "/" + sub_value.rsplit(":", 1)[-1]
    text = f"the IdP refused the sign-in (SAML status {status})"
    if message:
        text += ": " + " ".join(message.split())
    raise AuthenticationFailedError(text, idp_message=message or sub_value or value or None)


def _only_assertion(response: etree._Element) -> etree._Element:
    assertions = response.findall("saml:Assertion", _NS)
    if not assertions:
        _refuse_encrypted(response)
        raise SAMLResponseError("the SAMLResponse carries no Assertion")
    if len(assertions) > 1:
        raise SAMLResponseError(f"the SAMLResponse carries {len(assertions)} assertions; expected one")
    return assertions[0]


def _refuse_encrypted(response: etree._Element) -> None:
    """SAMLResponseError when the Response holds only an EncryptedAssertion: its roles are sealed for the SP."""
    if (
        response.find("saml:Assertion", _NS) is None
        and response.find("saml:EncryptedAssertion", _NS) is not None
    ):
        raise SAMLResponseError(
            "the SAML assertion is encrypted for the service provider (AWS holds the key), so its roles "
            "cannot be read here; ask the IdP administrator to send AWS a signed, unencrypted assertion"
        )


def _pem_list(trusted_certs: str | bytes | Sequence[str | bytes]) -> list[str]:
    items = [trusted_certs] if isinstance(trusted_certs, (str, bytes)) else list(trusted_certs)
    certs: list[str] = []
    for item in items:
        text = item.decode("ascii", errors="replace") if isinstance(item, bytes) else item
        found = _PEM_CERT.findall(text)
        certs.extend(found or ([text.strip()] if text.strip() else []))
    if not certs:
        raise SignatureError("no trusted signing certificate was given to verify the SAML assertion against")
    return certs


def _signature_locations(response: etree._Element) -> list[str]:
    """signxml locations of the signatures that may cover the Response or one of its Assertions."""
    locations = []
    if response.find("ds:Signature", _NS) is not None:
        locations.append("./")
    for index, assertion in enumerate(response.findall("saml:Assertion", _NS), start=1):
        if assertion.find("ds:Signature", _NS) is not None:
            locations.append(f"./{{{SAML}}}Assertion[{index}]/")
    return locations[:_MAX_SIGNATURES_TRIED]


def _signed_assertion(response: etree._Element, certs: list[str]) -> etree._Element:
    """The Assertion as covered by a signature that verifies against one of ``certs`` (XSW-proof)."""
    from signxml import SignatureConfiguration, XMLVerifier

    locations = _signature_locations(response)
    if not locations:
        raise SignatureError(
            "the SAML response has no signature on the Response or its Assertion, "
            "but a trusted signing certificate is configured"
        )
    reason = "no signature verified"
    weak: list[str] = []
    for location in locations:
        algorithm = _sha1_algorithm(response, location)
        if algorithm is not None:
            weak.append(algorithm)
            continue
        config = SignatureConfiguration(location=location, expect_references=1)
        for cert in certs:
            # signxml, lxml schema and cryptography errors all mean "does not verify": try the next.
            try:
                result = XMLVerifier().verify(response, x509_cert=cert, expect_config=config)
            except Exception as exc:
                reason = (str(exc).splitlines() or [""])[0].strip().rstrip(":").strip() or type(exc).__name__
                continue
            return _assertion_in(result.signed_xml)  # type: ignore[attr-defined]
    if weak and len(weak) == len(locations):
        raise SignatureError(
            f"the SAML response is signed with SHA-1 ({weak[0]}), which samlbroker refuses when trusted_certs "
            "is set because SHA-1 collisions can be forged; ask the IdP administrator to sign with SHA-256"
        )
    raise SignatureError(
        f"the SAML assertion's signature does not verify against the trusted certificate: {reason}"
    )


def _sha1_algorithm(response: etree._Element, location: str) -> str | None:
    """The SHA-1 signature or digest method of the signature at ``location`` (its short name), or None."""
    parent = response if location == "./" else response.find(location.rstrip("/"))
    signature = parent.find("ds:Signature", _NS) if parent is not None else None
    if signature is None:
        return None
    for path in ("ds:SignedInfo/ds:SignatureMethod", "ds:SignedInfo/ds:Reference/ds:DigestMethod"):
        for method in signature.iterfind(path, _NS):
            algorithm = (method.get("Algorithm") or "").strip()
            if algorithm in _SHA1_ALGORITHMS:
                return algorithm.rsplit("#", 1)[-1]
    return None


def _assertion_in(signed: etree._Element | None) -> etree._Element:
    """The Assertion inside what a signature covers: the signed Assertion, or the signed Response's one."""
    if signed is None:
        raise SignatureError("the signed part of the SAML response is not XML")
    if signed.tag == f"{{{SAML}}}Assertion":
        return signed
    if signed.tag == f"{{{SAMLP}}}Response":
        return _only_assertion(signed)
    raise SignatureError(
        f"the signature covers a {_local(signed.tag)} element, neither the Response nor an Assertion"
    )


def _attributes(assertion: etree._Element) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for attribute in assertion.iterfind("saml:AttributeStatement/saml:Attribute", _NS):
        name = (attribute.get("Name") or "").strip()
        values = [_text(value) or "" for value in attribute.iterfind("saml:AttributeValue", _NS)]
        found.setdefault(name, []).extend(v for v in values if v)
    return {name: tuple(values) for name, values in found.items()}


def _first(attributes: Mapping[str, tuple[str, ...]], name: str) -> str | None:
    values = attributes.get(name)
    return values[0] if values else None


def _role_pairs(
    attributes: Mapping[str, tuple[str, ...]], subject: str | None
) -> tuple[list[RolePair], list[str]]:
    """The valid role/provider pairs of the Role attribute, and the values skipped; NoRolesError when none is valid."""
    pairs: list[RolePair] = []
    skipped: list[str] = []
    reasons: list[str] = []
    for value in attributes.get(ROLE_ATTRIBUTE, ()):
        try:
            pairs.append(read_role_value(value))
        except InvalidRoleValue as exc:
            skipped.append(value)
            reasons.append(str(exc))
    if pairs:
        if skipped:
            import logging

            log = logging.getLogger("samlbroker")
            for value, reason in zip(skipped, reasons, strict=True):
                log.info("skipped Role attribute value %s: %s", _short(value), reason)
        return pairs, skipped
    who = f" to {subject}" if subject else ""
    if ROLE_ATTRIBUTE not in attributes:
        why = f"it has no Role attribute ({ROLE_ATTRIBUTE})"
    elif not skipped:
        why = "its Role attribute has no value"
    else:
        more = f" (and {len(skipped) - 1} more)" if len(skipped) > 1 else ""
        why = (
            "no value of its Role attribute is a role/provider ARN pair AWS accepts: "
            f"{_short(skipped[0])}, {reasons[0]}{more}"
        )
    raise NoRolesError(
        f"the SAML assertion grants no AWS role{who}: {why}; ask your IdP administrator for access"
    )


def _session_duration(attributes: Mapping[str, tuple[str, ...]]) -> int | None:
    value = _first(attributes, SESSION_DURATION_ATTRIBUTE)
    if value is None:
        return None
    # Plain ASCII digits only: int() would also take "1_000", "+60" and other scripts' digits.
    if not _SECONDS.fullmatch(value.strip()):
        raise SAMLResponseError(f"the SessionDuration attribute is not a number of seconds: {_short(value)}")
    seconds = int(value)
    if seconds <= 0:
        raise SAMLResponseError(
            f"the SessionDuration attribute is not a positive number of seconds: {seconds}"
        )
    return seconds


def _not_on_or_after(assertion: etree._Element) -> dt.datetime | None:
    conditions = assertion.find("saml:Conditions", _NS)
    value = conditions.get("NotOnOrAfter") if conditions is not None else None
    if not value:
        data = assertion.find("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", _NS)
        value = data.get("NotOnOrAfter") if data is not None else None
    return parse_instant(value) if value else None


def parse_instant(value: str, what: str = "NotOnOrAfter") -> dt.datetime:
    """An xs:dateTime as an aware UTC datetime (no zone means UTC, as SAML requires; 7-digit fractions ok).

    A date that does not exist, a zone beyond +-14:00, or a moment outside what a datetime holds (years 1 to
    9999 in UTC) is a SAMLResponseError naming ``what``.
    """
    invalid = f"the assertion has an invalid {what} time: {_short(value)}"
    match = _INSTANT.match(value.strip())
    if not match:
        raise SAMLResponseError(invalid)
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    offset = dt.timedelta(0)
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if minutes > 59 or hours * 60 + minutes > 14 * 60:
            raise SAMLResponseError(invalid + " (a time zone is at most 14:00 from UTC)")
        offset = (-1 if zone[0] == "-" else 1) * dt.timedelta(hours=hours, minutes=minutes)
    try:
        moment = dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=dt.timezone.utc,
        )
        return moment - offset
    except ValueError:
        raise SAMLResponseError(invalid) from None
    except OverflowError:
        raise SAMLResponseError(invalid + " (outside the years 1 to 9999 in UTC)") from None
