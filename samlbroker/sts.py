"""AssumeRoleWithSAML through botocore: the request, its endpoint, its limits, and what comes back.

Only the standard library is imported at module level: the credential-process cache hit imports this
module for :class:`Credentials` and must not pay for botocore.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, STSError

if TYPE_CHECKING:
    from .roles import RolePair

log = logging.getLogger(__name__)

MIN_DURATION = 900
MAX_DURATION = 43200
DEFAULT_DURATION = 3600
MAX_POLICY_CHARS = 2048  # AWS: the inline session policy's plaintext may not exceed 2,048 characters
MAX_POLICY_ARNS = 10  # AWS: up to 10 managed session policies

# Where a partition's STS is reached when no region of that partition is configured.
_PARTITION_REGIONS = {
    "aws": "us-east-1",
    "aws-us-gov": "us-gov-west-1",
    "aws-cn": "cn-north-1",
    "aws-iso": "us-iso-east-1",
    "aws-iso-b": "us-isob-east-1",
}
_POLICY_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}|aws):policy/[\w+=,.@/-]+$")
# What AWS allows in a session policy document: tab, LF, CR and U+0020 to U+00FF.
_POLICY_CHARS = re.compile(r"^[\t\n\r\u0020-\u00ff]*$")
_HINTS = {
    "ExpiredTokenException": "the SAML assertion expired: log in again",
    "IDPRejectedClaim": "the IdP's claims do not satisfy the SAML provider or the role's trust policy",
    "InvalidIdentityToken": "the IAM SAML provider does not trust this assertion (metadata or certificate)",
    "AccessDenied": "the assertion or the role's trust policy does not allow this role",
    "Throttling": "AWS STS is throttling requests: try again later",
}


@dataclass(frozen=True)
class Credentials:
    """Temporary AWS credentials; the secret and the session token never appear in ``repr`` or ``str``."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: dt.datetime
    assumed_role_arn: str | None = None

    def __repr__(self) -> str:
        return (
            f"Credentials(access_key_id={self.access_key_id!r}, expiration={self.expiration.isoformat()!r}, "
            f"assumed_role_arn={self.assumed_role_arn!r})"
        )

    __str__ = __repr__


def resolve_duration(
    requested: int | None, session_duration: int | None, default: int = DEFAULT_DURATION
) -> int:
    """DurationSeconds to ask for: ``requested`` or ``default``, in AWS's range, capped at SessionDuration.

    AWS grants the lesser of DurationSeconds and the assertion's SessionDuration, so asking for more is capped
    here, with a warning when the user asked explicitly. The cap never goes below AWS's 900 s minimum.
    """
    value = default if requested is None else requested
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"duration {value!r} is not a whole number of seconds")
    if not MIN_DURATION <= value <= MAX_DURATION:
        raise ConfigError(
            f"duration {value} s is out of range: AWS allows {MIN_DURATION} to {MAX_DURATION} seconds"
        )
    if session_duration is not None and value > session_duration:
        capped = max(session_duration, MIN_DURATION)
        if requested is not None and capped < value:
            log.warning(
                "requested duration %d s exceeds the assertion's SessionDuration; using %d s", value, capped
            )
        value = min(value, capped)
    return value


def validate_policy(policy: str | None) -> str | None:
    """Check an inline session policy locally and return it compacted (insignificant whitespace removed)."""
    if policy is None:
        return None

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ConfigError("the session policy repeats a key in one JSON object")
        return dict(pairs)

    try:
        document = json.loads(policy, object_pairs_hook=no_duplicates)
    except ValueError as exc:
        raise ConfigError(f"the session policy is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ConfigError("the session policy must be a JSON object")
    compact = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    if not _POLICY_CHARS.match(compact):
        raise ConfigError("the session policy contains characters AWS does not allow (only U+0020 to U+00FF)")
    if len(compact) > MAX_POLICY_CHARS:
        raise ConfigError(
            f"the session policy is {len(compact)} characters without whitespace: "
            f"AWS allows at most {MAX_POLICY_CHARS}"
        )
    return compact


def validate_policy_arns(policy_arns: Sequence[str]) -> tuple[str, ...]:
    """Check managed session policy ARNs locally: at most 10, each a well-formed IAM policy ARN."""
    if isinstance(policy_arns, str):
        policy_arns = [a for a in (p.strip() for p in policy_arns.split(",")) if a]
    arns = tuple(policy_arns)
    if len(arns) > MAX_POLICY_ARNS:
        raise ConfigError(f"{len(arns)} session policy ARNs given: AWS allows at most {MAX_POLICY_ARNS}")
    for arn in arns:
        if not _POLICY_ARN.match(arn):
            raise ConfigError(f"{arn!r} is not an IAM policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)")
    return arns


def region_partition(region: str) -> str | None:
    """The partition botocore places ``region`` in, or None when it knows no such region pattern."""
    for partition in _partitions_data():
        if region in partition.get("regions", {}):
            return partition["id"]
    for partition in _partitions_data():
        if re.match(partition["regionRegex"], region):
            return partition["id"]
    return None


def region_for(partition: str, region: str | None = None) -> str:
    """The region whose STS serves ``partition``: ``region`` if it is in that partition, else its default."""
    if region:
        found = region_partition(region)
        if found == partition:
            return region
        log.debug(
            "region %s is in partition %s, not %s: using that partition's default", region, found, partition
        )
    if partition in _PARTITION_REGIONS:
        return _PARTITION_REGIONS[partition]
    for data in _partitions_data():
        if data["id"] == partition:
            return data["outputs"]["implicitGlobalRegion"]
    raise ConfigError(f"the role's partition {partition!r} is unknown to this botocore: upgrade botocore")


def _partitions_data() -> list[dict[str, Any]]:
    global _PARTITIONS
    if _PARTITIONS is None:
        import botocore.loaders

        _PARTITIONS = botocore.loaders.create_loader().load_data("partitions")["partitions"]
    return _PARTITIONS


_PARTITIONS: list[dict[str, Any]] | None = None


class STSClient:
    """Calls AssumeRoleWithSAML, unsigned, at the STS of the chosen role's partition.

    ``endpoint_url`` wins over everything; without it botocore's own settings apply
    (``AWS_ENDPOINT_URL_STS``, ``AWS_ENDPOINT_URL``, the config file's ``endpoint_url``,
    ``AWS_STS_REGIONAL_ENDPOINTS``, ``AWS_USE_FIPS_ENDPOINT``), read for ``profile``'s config section when
    given (else botocore's default profile); ``use_fips`` (True/False) overrides ``use_fips_endpoint``.
    ``verify`` is True (botocore's trust store, ``AWS_CA_BUNDLE`` honoured)
    or a CA bundle path; ``timeout`` bounds connecting and each read; ``max_attempts`` is the total number of
    tries, the first included, for throttling and transient errors (botocore standard retry mode).
    """

    def __init__(
        self,
        region: str | None = None,
        endpoint_url: str | None = None,
        verify: bool | str = True,
        timeout: float = 30,
        max_attempts: int = 3,
        policy_arns: Sequence[str] = (),
        policy: str | None = None,
        use_fips: bool | None = None,
        profile: str | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ConfigError("max_attempts must be at least 1")
        self.region = region
        self.endpoint_url = endpoint_url
        self.verify = verify
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.policy_arns = validate_policy_arns(policy_arns)
        self.policy = validate_policy(policy)
        self.use_fips = use_fips
        self.profile = profile
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()

    def assume_role_with_saml(
        self,
        assertion_b64: str,
        pair: RolePair,
        duration: int | None,
        session_duration: int | None = None,
    ) -> Credentials:
        """Exchange the base64 SAMLResponse for the credentials of ``pair``'s role."""
        seconds = resolve_duration(duration, session_duration)
        self._check_policy_partition(pair.partition)
        params: dict[str, Any] = {
            "RoleArn": pair.role_arn,
            "PrincipalArn": pair.principal_arn,
            "SAMLAssertion": assertion_b64,
            "DurationSeconds": seconds,
        }
        if self.policy_arns:
            params["PolicyArns"] = [{"arn": arn} for arn in self.policy_arns]
        if self.policy is not None:
            params["Policy"] = self.policy
        client = self._client(pair.partition)
        log.debug("AssumeRoleWithSAML %s at %s for %d s", pair.role_arn, client.meta.endpoint_url, seconds)
        response = self._call(client, params, assertion_b64)
        return _credentials_from(response)

    def warm_up(self, partition: str = "aws") -> None:
        """Build the botocore client ahead of need (e.g. on a thread while the IdP answers); never raises.

        Errors surface, with their clear message, on the real call instead.
        """
        try:
            self._client(partition)
        except Exception:  # a warm-up must never fail the login
            log.debug("STS client warm-up for %s failed; the call will retry", partition)

    def region_for(self, pair: RolePair) -> str:
        """The region whose STS this client would ask for ``pair``'s role."""
        return region_for(pair.partition, self.region)

    def endpoint_url_for(self, pair: RolePair) -> str:
        """The URL this client would send ``pair``'s AssumeRoleWithSAML to (no network needed)."""
        return self._client(pair.partition).meta.endpoint_url

    def _client(self, partition: str) -> Any:
        with self._clients_lock:
            if partition not in self._clients:
                self._clients[partition] = self._make_client(region_for(partition, self.region))
            return self._clients[partition]

    def _make_client(self, region: str) -> Any:
        import botocore.exceptions
        import botocore.session
        from botocore import UNSIGNED
        from botocore.config import Config

        config = Config(
            signature_version=UNSIGNED,
            connect_timeout=self.timeout,
            read_timeout=self.timeout,
            retries={"total_max_attempts": self.max_attempts, "mode": "standard"},  # first try included
        )
        if self.use_fips is not None:
            config = config.merge(Config(use_fips_endpoint=self.use_fips))
        verify: bool | str | None = None if self.verify is True else self.verify
        if verify is False:
            log.warning("TLS certificate verification of AWS STS is off")
        try:
            return botocore.session.Session(profile=self.profile).create_client(
                "sts", region_name=region, endpoint_url=self.endpoint_url, verify=verify, config=config
            )
        except botocore.exceptions.ProfileNotFound as exc:
            raise ConfigError(f"botocore cannot read the AWS config: {exc}") from None
        except (botocore.exceptions.BotoCoreError, ValueError) as exc:
            raise ConfigError(
                f"cannot set up the AWS STS client for {region}: {_one_line(str(exc))}"
            ) from None

    def _call(self, client: Any, params: dict[str, Any], assertion_b64: str) -> dict[str, Any]:
        import botocore.exceptions
        import botocore.parsers

        try:
            return client.assume_role_with_saml(**params)
        except botocore.exceptions.ClientError as exc:
            raise _client_error(exc, assertion_b64, self.max_attempts) from None
        except (botocore.exceptions.HTTPClientError, botocore.exceptions.ConnectionError) as exc:
            reason = _one_line(_scrub(str(exc), assertion_b64))
            raise STSError(f"cannot reach AWS STS at {client.meta.endpoint_url}: {reason}") from None
        except botocore.exceptions.BotoCoreError as exc:
            reason = _one_line(_scrub(str(exc), assertion_b64))
            raise STSError(
                f"the AssumeRoleWithSAML request failed before reaching AWS STS: {reason}"
            ) from None
        except (botocore.parsers.ResponseParserError, ValueError) as exc:
            # Not XML, or values botocore cannot convert: the raw answer may hold secrets, so only its kind.
            raise STSError(
                f"AWS STS at {client.meta.endpoint_url} sent an answer that cannot be read ({type(exc).__name__})"
            ) from None

    def _check_policy_partition(self, partition: str) -> None:
        for arn in self.policy_arns:
            arn_partition = arn.split(":", 2)[1]
            if arn_partition != partition:
                raise ConfigError(
                    f"session policy {arn} is in partition {arn_partition}, the role in {partition}"
                )


def _client_error(exc: Any, assertion_b64: str, max_attempts: int) -> STSError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code") or "Unknown")
    message = _one_line(_scrub(str(error.get("Message") or "no message"), assertion_b64))
    text = f"AWS STS refused AssumeRoleWithSAML: {code}: {message}"
    hint = _HINTS.get(code)
    if code == "Throttling":
        hint = f"still throttled after {max_attempts} attempts: try again later"
    elif code == "ValidationError" and "MaxSessionDuration" in message:
        hint = "ask for a shorter duration, or raise the role's MaxSessionDuration in IAM"
    if hint:
        text += f" ({hint})"
    return STSError(text, code=code)


def _credentials_from(response: dict[str, Any]) -> Credentials:
    try:
        creds = response["Credentials"]
        expiration = creds["Expiration"]
        if isinstance(expiration, str):
            expiration = dt.datetime.fromisoformat(expiration.replace("Z", "+00:00"))
        if expiration.tzinfo is None:
            expiration = expiration.replace(tzinfo=dt.timezone.utc)
        return Credentials(
            access_key_id=creds["AccessKeyId"],
            secret_access_key=creds["SecretAccessKey"],
            session_token=creds["SessionToken"],
            expiration=expiration.astimezone(dt.timezone.utc),
            assumed_role_arn=(response.get("AssumedRoleUser") or {}).get("Arn"),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise STSError("AWS STS answered AssumeRoleWithSAML without usable credentials") from None


def _scrub(text: str, secret: str) -> str:
    return text.replace(secret, "<SAMLAssertion>") if secret else text


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
