"""A local AWS STS for the lab: AssumeRoleWithSAML, AssumeRole and GetCallerIdentity, in STS's own shape.

It checks an assertion the way AWS documents: the XML signature against the SAML provider's registered
certificate, only the signed assertion read, audience and recipient, NotOnOrAfter, the role/provider pair
among the Role attribute values, RoleSessionName, and DurationSeconds against the role's MaxSessionDuration.
AssumeRole must be SigV4-signed by a session this server issued; as every such session is an assumed-role
session, the role-chaining limit applies (DurationSeconds at most one hour), and a role may require an
ExternalId (``external_ids``) or trust only some callers (``role_trust``).
Never a production service; it binds to loopback only.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
import re
import secrets
import ssl
import sys
import threading
import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from ..roles import RolePair
from .httpd import LabHandler, LabHTTPServer
from .sts_checks import (
    AssertionFacts,
    STSFault,
    parse_assertion_xml,
    pem_text,
    read_assertion,
    verified_assertion,
)

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_PROVIDER_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:saml-provider/[\w.-]{1,128}$")
_SESSION_NAME = re.compile(r"^[A-Za-z0-9_+=,.@-]{2,64}$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]+)/(\d{8})/([a-z0-9-]+)/sts/aws4_request")
DEFAULT_MAX_SESSION_DURATION = 3600  # AWS's default MaxSessionDuration of a role: one hour
ROLE_CHAINING_LIMIT = (
    3600  # AWS: a session got by AssumeRole with assumed-role credentials lasts 1 hour at most
)
MAX_ASSERTION_CHARS = 100_000


@dataclass
class STSCall:
    """One request the lab STS answered."""

    action: str
    role_arn: str | None = None
    principal_arn: str | None = None
    duration: int | None = None
    policy_arns: tuple[str, ...] = ()
    policy: str | None = None
    outcome: str = "ok"  # "ok" or the error code
    access_key_id: str | None = None  # issued (AssumeRole*) or presented (signed calls: the caller's)
    external_id: str | None = None
    role_session_name: str | None = None
    source_access_key_id: str | None = None  # AssumeRole: the key id that signed the request


@dataclass
class IssuedSession:
    """What the lab STS handed out for one access key id."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: dt.datetime
    role_arn: str
    principal_arn: str
    assumed_role_arn: str
    assumed_role_id: str
    session_name: str
    subject: str | None
    policy: str | None = None
    policy_arns: tuple[str, ...] = ()
    source_access_key_id: str | None = None  # set for a chained session: the caller's key id

    @property
    def chained(self) -> bool:
        """Got by AssumeRole with assumed-role credentials (role chaining)."""
        return self.source_access_key_id is not None

    @property
    def account_id(self) -> str:
        return self.role_arn.split(":")[4]


class STSServer(LabHTTPServer):
    """The lab STS on 127.0.0.1; ``providers`` maps each saml-provider ARN to its IdP signing certificate PEM.

    ``max_session_duration`` gives a role's MaxSessionDuration (role ARN -> seconds); other roles get
    ``default_max_session_duration`` (one hour, as AWS). ``clock`` returns the aware current time.
    ``external_ids`` maps a role ARN to the ExternalId its trust policy requires for AssumeRole;
    ``role_trust`` maps a role ARN to the role ARNs whose sessions may assume it (absent: any lab session).
    ``issue_lifetime`` (seconds, also settable between tests) makes every AssumeRoleWithSAML session last
    exactly that long whatever DurationSeconds asked: a test switch, as AWS never issues under 900 s, so that
    a client can be watched refreshing across a real expiry without a fake clock in another process.
    """

    def __init__(
        self,
        providers: Mapping[str, str],
        ssl_context: ssl.SSLContext | None = None,
        port: int = 0,
        max_session_duration: Mapping[str, int] | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        default_max_session_duration: int = DEFAULT_MAX_SESSION_DURATION,
        hostname: str = "localhost",
        external_ids: Mapping[str, str] | None = None,
        role_trust: Mapping[str, Sequence[str]] | None = None,
        issue_lifetime: int | None = None,
    ) -> None:
        super().__init__(_STSHandler, ssl_context=ssl_context, port=port, hostname=hostname)
        self.providers: dict[str, str] = {arn: pem_text(pem) for arn, pem in providers.items()}
        self.max_session_duration: dict[str, int] = dict(max_session_duration or {})
        self.default_max_session_duration = default_max_session_duration
        self.external_ids: dict[str, str] = dict(external_ids or {})
        self.role_trust: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in (role_trust or {}).items()}
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.issue_lifetime = issue_lifetime
        self.calls: list[STSCall] = []
        self.issued: dict[str, IssuedSession] = {}
        self._throttle = 0
        self._state = threading.Lock()

    def register_provider(self, principal_arn: str, cert_pem: str | bytes) -> None:
        """Trust ``cert_pem`` for assertions naming ``principal_arn`` (like creating an IAM SAML provider)."""
        self.providers[principal_arn] = pem_text(cert_pem)

    def require_external_id(self, role_arn: str, external_id: str | None) -> None:
        """AssumeRole of ``role_arn`` must carry ``external_id`` (None: no longer required)."""
        with self._state:
            if external_id is None:
                self.external_ids.pop(role_arn, None)
            else:
                self.external_ids[role_arn] = external_id

    def session_for(self, access_key_id: str, session_token: str | None = None) -> IssuedSession | None:
        """The issued session of ``access_key_id`` (with ``session_token``, only when it matches too)."""
        with self._state:
            session = self.issued.get(access_key_id)
        if session is None or (
            session_token is not None and not secrets.compare_digest(session.session_token, session_token)
        ):
            return None
        return session

    def throttle_next(self, n: int) -> None:
        """Answer the next ``n`` requests with Throttling."""
        with self._state:
            self._throttle = n

    def reset(self) -> None:
        """Forget recorded calls and pending throttling (issued credentials stay valid)."""
        with self._state:
            self.calls.clear()
            self._throttle = 0
        self.reset_counters()

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet about clients that drop the connection or refuse our certificate; report the rest."""
        if isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    def calls_for(self, action: str) -> list[STSCall]:
        with self._state:
            return [c for c in self.calls if c.action == action]

    # -- dispatch --------------------------------------------------------------------------------------

    def answer(
        self, params: Mapping[str, str], headers: Mapping[str, str], raw: tuple[str, str, bytes]
    ) -> str:
        """The XML reply to one request's parameters; raises :class:`STSFault` for an error answer."""
        action = params.get("Action", "")
        call = STSCall(action=action or "(none)")
        if action == "AssumeRoleWithSAML":
            call.role_arn = params.get("RoleArn")
            call.principal_arn = params.get("PrincipalArn")
            call.policy = params.get("Policy")
            call.policy_arns = _member_list(params, "PolicyArns", "arn")
            duration = params.get("DurationSeconds", "")
            call.duration = int(duration) if duration.isdigit() else None
        elif action == "AssumeRole":
            call.role_arn = params.get("RoleArn")
            call.policy = params.get("Policy")
            call.policy_arns = _member_list(params, "PolicyArns", "arn")
            call.external_id = params.get("ExternalId")
            call.role_session_name = params.get("RoleSessionName")
            duration = params.get("DurationSeconds", "")
            call.duration = int(duration) if duration.isdigit() else None
        with self._state:
            self.calls.append(call)
            throttled = self._throttle > 0
            if throttled:
                self._throttle -= 1
        try:
            if throttled:
                raise STSFault("Throttling", "Rate exceeded")
            if params.get("Version") != "2011-06-15":
                raise STSFault(
                    "InvalidAction", "Could not find operation for version " + params.get("Version", "")
                )
            if action == "AssumeRoleWithSAML":
                return self._assume_role_with_saml(params, call)
            if action == "AssumeRole":
                return self._assume_role(params, headers, raw, call)
            if action == "GetCallerIdentity":
                return self._get_caller_identity(headers, raw, call)
            raise STSFault("InvalidAction", f"Could not find operation {action} for version 2011-06-15")
        except STSFault as fault:
            call.outcome = fault.code
            raise

    # -- AssumeRoleWithSAML ----------------------------------------------------------------------------

    def _assume_role_with_saml(self, params: Mapping[str, str], call: STSCall) -> str:
        for name in ("RoleArn", "PrincipalArn", "SAMLAssertion"):
            if not params.get(name):
                raise STSFault(
                    "ValidationError",
                    f"1 validation error detected: Value null at '{_camel(name)}' "
                    "failed to satisfy constraint: Member must not be null",
                )
        duration = _duration_param(params.get("DurationSeconds"))
        call.duration = duration
        packed = _packed_policy_size(call.policy, call.policy_arns)
        assertion_b64 = params["SAMLAssertion"]
        if len(assertion_b64) > MAX_ASSERTION_CHARS:
            raise STSFault(
                "ValidationError",
                "1 validation error detected: Value at 'sAMLAssertion' failed to "
                f"satisfy constraint: Member must have length less than or equal to {MAX_ASSERTION_CHARS}",
            )
        if not _ROLE_ARN.match(params["RoleArn"]):
            raise STSFault("ValidationError", f"{params['RoleArn']} is not a valid role ARN")
        if not _PROVIDER_ARN.match(params["PrincipalArn"]):
            raise STSFault("ValidationError", f"{params['PrincipalArn']} is not a valid SAML provider ARN")
        pair = RolePair(role_arn=params["RoleArn"], principal_arn=params["PrincipalArn"])

        cert = self.providers.get(pair.principal_arn)
        root = parse_assertion_xml(assertion_b64)
        if cert is None:
            raise STSFault("InvalidIdentityToken", f"SAML provider {pair.principal_arn} does not exist")
        assertion = verified_assertion(root, cert)
        now = self.clock()
        facts = read_assertion(assertion, now, pair.partition)
        if pair not in facts.roles:
            raise STSFault("AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML", status=403)
        if facts.session_name is None:
            raise STSFault("InvalidIdentityToken", "No RoleSessionName attribute in the SAML assertion")
        if not _SESSION_NAME.match(facts.session_name):
            raise STSFault("ValidationError", "RoleSessionName must be 2 to 64 characters of [\\w+=,.@-]")
        ceiling = self.max_session_duration.get(pair.role_arn, self.default_max_session_duration)
        if duration > ceiling:
            raise STSFault(
                "ValidationError",
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            )
        lifetime = min(duration, facts.session_duration) if facts.session_duration else duration
        if self.issue_lifetime is not None:
            lifetime = self.issue_lifetime
        session = self._issue(pair, facts, now + dt.timedelta(seconds=lifetime), call)
        return _assume_role_xml(session, facts, pair, packed)

    def _issue(
        self, pair: RolePair, facts: AssertionFacts, expiration: dt.datetime, call: STSCall
    ) -> IssuedSession:
        return self._new_session(
            pair.role_arn, pair.principal_arn, facts.session_name or "", facts.subject, expiration, call
        )

    def _new_session(
        self,
        role_arn: str,
        principal_arn: str,
        session_name: str,
        subject: str | None,
        expiration: dt.datetime,
        call: STSCall,
        source_access_key_id: str | None = None,
    ) -> IssuedSession:
        role_path_name = role_arn.split(":role/", 1)[1].rsplit("/", 1)[-1]
        partition, account_id = role_arn.split(":")[1], role_arn.split(":")[4]
        role_id = "AROA" + base64.b32encode(hashlib.sha256(role_arn.encode()).digest()).decode()[:17]
        session = IssuedSession(
            access_key_id="ASIA"
            + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)),
            secret_access_key=secrets.token_urlsafe(30)[:40],
            session_token="FwoGZXIvYXdzE" + base64.b64encode(secrets.token_bytes(180)).decode(),
            expiration=expiration.replace(microsecond=0),
            role_arn=role_arn,
            principal_arn=principal_arn,
            assumed_role_arn=f"arn:{partition}:sts::{account_id}:assumed-role/{role_path_name}/{session_name}",
            assumed_role_id=f"{role_id}:{session_name}",
            session_name=session_name,
            subject=subject,
            policy=call.policy,
            policy_arns=call.policy_arns,
            source_access_key_id=source_access_key_id,
        )
        with self._state:
            self.issued[session.access_key_id] = session
        call.access_key_id = session.access_key_id
        return session

    # -- GetCallerIdentity -----------------------------------------------------------------------------

    def _get_caller_identity(
        self, headers: Mapping[str, str], raw: tuple[str, str, bytes], call: STSCall
    ) -> str:
        session = self._caller(headers, raw, call)
        call.role_arn = session.role_arn
        return (
            f'<GetCallerIdentityResponse xmlns="{STS_NS}"><GetCallerIdentityResult>'
            f"<Arn>{escape(session.assumed_role_arn)}</Arn><UserId>{escape(session.assumed_role_id)}</UserId>"
            f"<Account>{session.account_id}</Account></GetCallerIdentityResult>"
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
        )

    def _caller(
        self, headers: Mapping[str, str], raw: tuple[str, str, bytes], call: STSCall
    ) -> IssuedSession:
        """The issued, unexpired session whose credentials SigV4-signed this request."""
        authorization = headers.get("authorization", "")
        match = _CREDENTIAL.search(authorization)
        if not match:
            raise STSFault(
                "MissingAuthenticationToken", "Request is missing Authentication Token", status=403
            )
        call.access_key_id = match.group(1)
        with self._state:
            session = self.issued.get(match.group(1))
        if session is None or headers.get("x-amz-security-token") != session.session_token:
            raise STSFault(
                "InvalidClientTokenId", "The security token included in the request is invalid.", status=403
            )
        if not _signature_matches(session, headers, raw, match.group(3)):
            raise STSFault(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
                status=403,
            )
        if self.clock() >= session.expiration:
            raise STSFault("ExpiredToken", "The security token included in the request is expired")
        return session

    # -- AssumeRole (role chaining) --------------------------------------------------------------------

    def _assume_role(
        self,
        params: Mapping[str, str],
        headers: Mapping[str, str],
        raw: tuple[str, str, bytes],
        call: STSCall,
    ) -> str:
        caller = self._caller(headers, raw, call)
        call.source_access_key_id, call.access_key_id = caller.access_key_id, None
        for name in ("RoleArn", "RoleSessionName"):
            if not params.get(name):
                raise STSFault(
                    "ValidationError",
                    f"1 validation error detected: Value null at '{_camel(name)}' "
                    "failed to satisfy constraint: Member must not be null",
                )
        role_arn, session_name = params["RoleArn"], params["RoleSessionName"]
        if not _ROLE_ARN.match(role_arn):
            raise STSFault("ValidationError", f"{role_arn} is not a valid role ARN")
        if not _SESSION_NAME.match(session_name):
            raise STSFault(
                "ValidationError",
                f"1 validation error detected: Value '{session_name}' at 'roleSessionName' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* "
                "and have length between 2 and 64",
            )
        external_id = params.get("ExternalId")
        if external_id is not None and not _EXTERNAL_ID.match(external_id):
            raise STSFault(
                "ValidationError",
                "1 validation error detected: Value at 'externalId' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]* and have length between 2 and 1224",
            )
        duration = _duration_param(params.get("DurationSeconds"))
        call.duration = duration
        packed = _packed_policy_size(call.policy, call.policy_arns)
        if duration > ROLE_CHAINING_LIMIT:
            raise STSFault(
                "ValidationError",
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            )
        if role_arn.split(":")[1] != caller.role_arn.split(":")[1]:
            raise STSFault(
                "InvalidClientTokenId", "The security token included in the request is invalid.", 403
            )
        denied = STSFault(
            "AccessDenied",
            f"User: {caller.assumed_role_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            status=403,
        )
        with self._state:
            wanted_id = self.external_ids.get(role_arn)
            trusted = self.role_trust.get(role_arn)
        if trusted is not None and caller.role_arn not in trusted:
            raise denied
        if wanted_id is not None and (
            external_id is None or not secrets.compare_digest(external_id.encode(), wanted_id.encode())
        ):
            raise denied
        now = self.clock()
        session = self._new_session(
            role_arn,
            caller.assumed_role_arn,
            session_name,
            caller.subject,
            now + dt.timedelta(seconds=duration),
            call,
            source_access_key_id=caller.access_key_id,
        )
        call.access_key_id = session.access_key_id
        expiration = session.expiration.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        packed_xml = f"<PackedPolicySize>{packed}</PackedPolicySize>" if packed is not None else ""
        return (
            f'<AssumeRoleResponse xmlns="{STS_NS}"><AssumeRoleResult>'
            f"<AssumedRoleUser><Arn>{escape(session.assumed_role_arn)}</Arn>"
            f"<AssumedRoleId>{escape(session.assumed_role_id)}</AssumedRoleId></AssumedRoleUser>"
            f"<Credentials><AccessKeyId>{session.access_key_id}</AccessKeyId>"
            f"<SecretAccessKey>{session.secret_access_key}</SecretAccessKey>"
            f"<SessionToken>{session.session_token}</SessionToken><Expiration>{expiration}</Expiration></Credentials>"
            f"{packed_xml}</AssumeRoleResult>"
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></AssumeRoleResponse>"
        )


class _STSHandler(LabHandler):
    server: STSServer

    def do_POST(self) -> None:
        self._serve(self.read_body())

    def do_GET(self) -> None:
        self._serve(b"")

    def _serve(self, body: bytes) -> None:
        query = urlsplit(self.path).query
        if urlsplit(self.path).path != "/":
            self._fault(STSFault("UnknownOperation", "Not found", status=404))
            return
        fields = parse_qs(query, keep_blank_values=True)
        ctype = self.headers.get("Content-Type", "")
        if body and ctype.startswith("application/x-www-form-urlencoded"):
            fields.update(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))
        params = {name: values[0] for name, values in fields.items()}
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            xml = self.server.answer(params, headers, (self.command, self.path, body))
        except STSFault as fault:
            self._fault(fault)
            return
        self.reply(200, xml, content_type="text/xml")

    def _fault(self, fault: STSFault) -> None:
        xml = (
            f'<ErrorResponse xmlns="{STS_NS}"><Error><Type>{fault.kind}</Type>'
            f"<Code>{escape(fault.code)}</Code><Message>{escape(fault.message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        )
        self.reply(fault.status, xml, content_type="text/xml")


def _assume_role_xml(
    session: IssuedSession, facts: AssertionFacts, pair: RolePair, packed: int | None
) -> str:
    provider_name = pair.principal_arn.split(":saml-provider/", 1)[-1]
    qualifier = base64.b64encode(
        hashlib.sha1(
            (facts.issuer + pair.account_id + "/" + provider_name).encode(), usedforsecurity=False
        ).digest()
    ).decode()
    expiration = session.expiration.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    packed_xml = f"<PackedPolicySize>{packed}</PackedPolicySize>" if packed is not None else ""
    return (
        f'<AssumeRoleWithSAMLResponse xmlns="{STS_NS}"><AssumeRoleWithSAMLResult>'
        f"<Issuer>{escape(facts.issuer)}</Issuer>"
        f"<AssumedRoleUser><Arn>{escape(session.assumed_role_arn)}</Arn>"
        f"<AssumedRoleId>{escape(session.assumed_role_id)}</AssumedRoleId></AssumedRoleUser>"
        f"<Credentials><AccessKeyId>{session.access_key_id}</AccessKeyId>"
        f"<SecretAccessKey>{session.secret_access_key}</SecretAccessKey>"
        f"<SessionToken>{session.session_token}</SessionToken><Expiration>{expiration}</Expiration></Credentials>"
        f"<Audience>{escape(facts.recipient)}</Audience><SubjectType>{escape(facts.subject_type)}</SubjectType>"
        f"{packed_xml}<NameQualifier>{qualifier}</NameQualifier>"
        f"<Subject>{escape(facts.subject or '')}</Subject>"
        f"</AssumeRoleWithSAMLResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        f"</AssumeRoleWithSAMLResponse>"
    )


# -- small parsing helpers -----------------------------------------------------------------------------


def _duration_param(value: str | None) -> int:
    if value is None or value == "":
        return 3600
    try:
        seconds = int(value)
    except ValueError:
        raise STSFault("ValidationError", f"Value '{value}' at 'durationSeconds' is not a number") from None
    if seconds < 900:
        raise STSFault(
            "ValidationError",
            f"1 validation error detected: Value '{seconds}' at 'durationSeconds' "
            "failed to satisfy constraint: Member must have value greater than or equal to 900",
        )
    if seconds > 43200:
        raise STSFault(
            "ValidationError",
            f"1 validation error detected: Value '{seconds}' at 'durationSeconds' "
            "failed to satisfy constraint: Member must have value less than or equal to 43200",
        )
    return seconds


def _packed_policy_size(policy: str | None, policy_arns: tuple[str, ...]) -> int | None:
    """A stand-in for AWS's PackedPolicySize (percent of the packed limit); None when no policy is passed."""
    if policy is None and not policy_arns:
        return None
    if len(policy_arns) > 10:
        raise STSFault(
            "ValidationError",
            "1 validation error detected: Value at 'policyArns' failed to satisfy "
            "constraint: Member must have length less than or equal to 10",
        )
    if policy is not None:
        if len(policy) > 2048:
            raise STSFault(
                "ValidationError",
                "1 validation error detected: Value at 'policy' failed to satisfy "
                "constraint: Member must have length less than or equal to 2048",
            )
        try:
            document = json.loads(policy)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise STSFault("MalformedPolicyDocument", "The policy is not in the valid JSON format.")
    blob = ((policy or "") + "".join(policy_arns)).encode()
    percent = math.ceil(100 * len(zlib.compress(blob, 9)) / 2048)
    if percent > 100:
        raise STSFault(
            "PackedPolicyTooLarge", f"Packed size of the session policies is {percent}% of the limit"
        )
    return percent


def _member_list(params: Mapping[str, str], name: str, key: str) -> tuple[str, ...]:
    found = []
    for param, value in params.items():
        match = re.fullmatch(rf"{name}\.member\.(\d+)\.{key}", param)
        if match:
            found.append((int(match.group(1)), value))
    return tuple(value for _, value in sorted(found))


def _camel(name: str) -> str:
    return "sAMLAssertion" if name == "SAMLAssertion" else name[0].lower() + name[1:]


def _signature_matches(
    session: IssuedSession, headers: Mapping[str, str], raw: tuple[str, str, bytes], region: str
) -> bool:
    """Recompute the request's SigV4 signature with the issued secret (botocore's signer, lab only)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    authorization = headers.get("authorization", "")
    signed = re.search(r"SignedHeaders=([^,\s]+)", authorization)
    signature = re.search(r"Signature=([0-9a-f]+)", authorization)
    amz_date = headers.get("x-amz-date")
    if not (signed and signature and amz_date):
        return False
    method, path, body = raw
    names = signed.group(1).split(";")
    request = AWSRequest(
        method=method,
        url=f"https://{headers.get('host', 'localhost')}{path}",
        data=body,
        headers={name: headers.get(name, "") for name in names},
    )
    try:
        request.context["timestamp"] = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").strftime(
            "%Y%m%dT%H%M%SZ"
        )
    except ValueError:
        return False
    signer = SigV4Auth(
        BotoCredentials(session.access_key_id, session.secret_access_key, session.session_token),
        "sts",
        region,
    )
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    return secrets.compare_digest(expected, signature.group(1))
