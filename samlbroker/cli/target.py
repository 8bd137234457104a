"""What to log in to: a role profile, an endpoint section, or an endpoint URL given on the command line."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from ..errors import ConfigError
from ..identity import UserCredentials
from ..profiles import Endpoint, Profile, load_endpoint, load_profile
from .terminal import ask_password, read_password_stdin


@dataclass(frozen=True)
class Target:
    """An endpoint plus the choices the command line and the profile made for it."""

    endpoint: Endpoint
    profile: Profile | None
    user: str | None
    role: str | None
    duration: int | None
    region: str | None


def add_target_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``login`` and ``roles`` that choose what to log in to."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--profile", help="a role profile of the AWS config file")
    where.add_argument("--endpoint", help="a [saml-endpoint NAME] section of the AWS config file")
    where.add_argument("--endpoint-url", help="an IdP sign-on URL (with --auth-type)")
    parser.add_argument(
        "--auth-type", help="ntlm, kerberos, negotiate, digest, forms, browser, or a plugin's name"
    )
    parser.add_argument(
        "--ca-bundle", help="CA file for the IdP's TLS certificate (wins over REQUESTS_CA_BUNDLE)"
    )
    parser.add_argument("--user", help="DOMAIN\\USER (absent: your default identity)")
    parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    parser.add_argument("--role", help="role name or ARN")
    parser.add_argument("--duration", type=int, help="session length in seconds")
    parser.add_argument("--region", help="AWS region for STS")


def resolve_target(args: argparse.Namespace) -> Target:
    """Merge the command line over the profile/endpoint it names; the command line wins."""
    profile = load_profile(args.profile) if args.profile else None
    if profile is not None:
        endpoint = profile.endpoint
    elif args.endpoint:
        endpoint = load_endpoint(args.endpoint)
    elif args.endpoint_url:
        endpoint = Endpoint(
            name="command line", url=args.endpoint_url, auth_type=args.auth_type or "kerberos"
        )
    else:
        raise ConfigError("say what to log in to: --profile NAME, --endpoint NAME or --endpoint-url URL")
    if args.auth_type or args.ca_bundle:
        endpoint = Endpoint(
            **{
                **endpoint.__dict__,
                "auth_type": args.auth_type or endpoint.auth_type,
                "ca_bundle": args.ca_bundle or endpoint.ca_bundle,
            }
        )
    return Target(
        endpoint=endpoint,
        profile=profile,
        user=args.user or (profile.user if profile else None),
        role=args.role or (profile.role_arn if profile else None),
        duration=args.duration or (profile.duration if profile else None),
        region=args.region or (profile.region if profile else None),
    )


def user_credentials(target: Target, password_stdin: bool) -> UserCredentials | None:
    """The user's name and password, or None for the default identity (no password asked)."""
    if target.endpoint.uses_browser:
        if password_stdin:
            raise ConfigError(
                "--password-stdin has no use with auth_type = browser: you sign in in the browser"
            )
        return None
    if target.user is None:
        if password_stdin:
            raise ConfigError("--password-stdin needs --user (without it, your default identity is used)")
        return None
    password = read_password_stdin() if password_stdin else ask_password(target.user)
    return UserCredentials(target.user, password)
