"""``samlbroker whoami [--profile NAME]``: GetCallerIdentity with the profile's credentials.

A samlbroker role profile (one with ``saml_endpoint``) gets its credentials through FederatedCredentials
(the cache, or a login); any other profile, or none, through botocore's own chain (credentials file,
environment, ``credential_process``, ``role_arn`` + ``source_profile``). The STS endpoint is botocore's
choice for that profile: its region, ``AWS_ENDPOINT_URL_STS`` / ``endpoint_url``, ``sts_regional_endpoints``,
``use_fips_endpoint``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError, STSError


@dataclass(frozen=True)
class ProfileSession:
    """A profile's AWS credentials as found, with what is known of them."""

    profile: str | None
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(repr=False)
    expiration: dt.datetime | None = None
    role_arn: str | None = None  # the samlbroker profile's role, when known
    region: str | None = None
    federation_url: str | None = None
    issuer: str | None = None  # the IdP sign-on URL the credentials came through, when known


def register(commands: argparse._SubParsersAction) -> None:
    whoami = commands.add_parser("whoami", help="the caller identity of the profile's credentials")
    whoami.add_argument("--profile", help="an AWS profile (default: AWS_PROFILE, else botocore's default)")
    whoami.add_argument("--timeout", type=float, default=30, help="seconds for the STS request (default 30)")
    whoami.set_defaults(run=run_whoami)


def run_whoami(args: argparse.Namespace) -> int:
    session = profile_session(args.profile)
    identity = caller_identity(session, timeout=args.timeout)
    print(f"Account: {identity['Account']}")
    print(f"Arn:     {identity['Arn']}")
    print(f"UserId:  {identity['UserId']}")
    print(f"Expires: {describe_expiry(session.expiration)}")
    return 0


def describe_expiry(expiration: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """``2030-01-01 12:00:00 UTC (in 59 min)``, ``... (expired)``, or ``unknown`` for long-term keys."""
    if expiration is None:
        return "unknown (no expiry recorded for these credentials)"
    now = now or dt.datetime.now(dt.timezone.utc)
    left = int((expiration - now).total_seconds())
    when = expiration.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    if left <= 0:
        return f"{when} (expired)"
    hours, minutes = divmod(left // 60, 60)
    return f"{when} (in {hours} h {minutes} min)" if hours else f"{when} (in {minutes} min)"


def profile_session(name: str | None) -> ProfileSession:
    """The credentials of profile ``name`` (None: ``AWS_PROFILE`` or botocore's default chain)."""
    from ..ini import config_path, profile_section, read_ini

    name = name or os.environ.get("AWS_PROFILE") or None
    parser = read_ini(config_path())
    section = profile_section(parser, name) if name else None
    values = dict(parser.items(section)) if section and parser.has_section(section) else {}
    if name and values.get("saml_endpoint"):
        return _federated(name, values)
    return _from_botocore(name, values)


def _federated(name: str, values: dict[str, str]) -> ProfileSession:
    from .process import terminal_credentials

    federated = terminal_credentials(name)
    creds = federated.get_credentials()
    return ProfileSession(
        profile=name,
        access_key_id=creds.access_key_id,
        secret_access_key=creds.secret_access_key,
        session_token=creds.session_token,
        expiration=creds.expiration,
        role_arn=creds.assumed_role_arn or federated.profile.role_arn,
        region=federated.profile.region,
        federation_url=values.get("federation_url") or None,
        issuer=federated.profile.endpoint.url,
    )


def _from_botocore(name: str | None, values: dict[str, str]) -> ProfileSession:
    import botocore.exceptions
    import botocore.session

    try:
        session = botocore.session.Session(profile=name)
        creds = session.get_credentials()
    except botocore.exceptions.ProfileNotFound:
        raise ConfigError(f"profile {name!r} is not in the AWS config or credentials file") from None
    except botocore.exceptions.BotoCoreError as exc:
        from ..ini import credentials_path, read_ini

        read_ini(credentials_path())  # a file botocore cannot parse: say why (a byte-order mark, the line)
        raise ConfigError(
            f"botocore cannot get credentials for profile {name or '(default)'}: {exc}"
        ) from None
    if creds is None:
        where = f"profile {name!r}" if name else "the default profile or the environment"
        raise ConfigError(f"no AWS credentials found for {where}: run `samlbroker login` first")
    frozen = creds.get_frozen_credentials()
    expiration = getattr(creds, "_expiry_time", None)
    if expiration is None and getattr(creds, "method", "") == "shared-credentials-file" and name:
        expiration = _recorded_expiry(name)
    return ProfileSession(
        profile=name,
        access_key_id=frozen.access_key,
        secret_access_key=frozen.secret_key,
        session_token=frozen.token,
        expiration=expiration,
        role_arn=values.get("role_arn") or values.get("saml_role_arn") or None,
        region=session.get_config_variable("region"),
        federation_url=values.get("federation_url") or None,
    )


def _recorded_expiry(name: str) -> dt.datetime | None:
    """The ``x_security_token_expires`` samlbroker login writes next to a profile's keys."""
    from ..ini import credentials_path, read_ini

    parser = read_ini(credentials_path())
    text = parser.get(name, "x_security_token_expires", fallback="") if parser.has_section(name) else ""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None
    return moment.replace(tzinfo=moment.tzinfo or dt.timezone.utc) if moment else None


def caller_identity(session: ProfileSession, timeout: float = 30) -> dict[str, Any]:
    """GetCallerIdentity, SigV4-signed by botocore with ``session``'s credentials."""
    import botocore.exceptions
    import botocore.session
    from botocore.config import Config

    from ..sts import region_for

    partition = session.role_arn.split(":", 2)[1] if (session.role_arn or "").startswith("arn:") else "aws"
    try:
        botocore_session = botocore.session.Session(profile=session.profile)
        region = session.region or botocore_session.get_config_variable("region") or region_for(partition)
        client = botocore_session.create_client(
            "sts",
            region_name=region,
            aws_access_key_id=session.access_key_id,
            aws_secret_access_key=session.secret_access_key,
            aws_session_token=session.session_token,
            config=Config(
                connect_timeout=timeout,
                read_timeout=timeout,
                retries={"total_max_attempts": 3, "mode": "standard"},
            ),
        )
    except botocore.exceptions.BotoCoreError as exc:
        raise ConfigError(f"cannot set up the AWS STS client: {exc}") from None
    try:
        return client.get_caller_identity()
    except botocore.exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code") or "Unknown"
        message = " ".join(str(error.get("Message") or "no message").split())[:300]
        hint = (
            " (the credentials expired: log in again)"
            if code in ("ExpiredToken", "ExpiredTokenException")
            else ""
        )
        raise STSError(f"AWS STS refused GetCallerIdentity: {code}: {message}{hint}", code=code) from None
    except (botocore.exceptions.HTTPClientError, botocore.exceptions.ConnectionError) as exc:
        reason = " ".join(str(exc).split())[:300]
        raise STSError(f"cannot reach AWS STS at {client.meta.endpoint_url}: {reason}") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise STSError(f"GetCallerIdentity failed: {' '.join(str(exc).split())[:300]}") from None
