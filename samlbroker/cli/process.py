"""``samlbroker credential-process --profile NAME``: the AWS ``credential_process`` source.

A cache hit is answered before this module loads (:mod:`samlbroker.cli`, :mod:`samlbroker.cache_hit`):
the AWS CLI and SDKs run this for every command. Anything else (a login, an error to explain) goes through
the full command below.
Only the credentials JSON is ever written to stdout; prompts go to the terminal, messages to stderr.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from ..credentials import CredentialRequest, FederatedCredentials
    from ..identity import UserCredentials
    from ..mfa.base import MFAPrompt


def answer_by_reading_the_config(config: str, name: str) -> str | None:
    """The hit without a valid pointer: derive the key from the config, then remember it for the next call.

    The ready JSON of credentials with more than 15 minutes left, or None (a login is needed).
    """
    from .. import cache
    from ..ini import read_ini

    try:
        key = cache.profile_key(read_ini(config), name)
    except Exception:  # a ConfigError (or worse): the full command explains it
        return None
    entry = cache.load(key) if key else None
    if entry is None or cache.seconds_left(entry) <= cache.ADVISORY_REFRESH:
        return None
    import contextlib

    with contextlib.suppress(OSError):  # only the next call's speed depends on it
        cache.remember_profile(config, name, key)
    return cache.process_json(entry)


def register(commands: argparse._SubParsersAction) -> None:
    process = commands.add_parser(
        "credential-process",
        help="print the profile's credentials as AWS credential_process JSON (logging in when needed)",
    )
    process.add_argument("--profile", required=True, help="a role profile of the AWS config file")
    process.set_defaults(run=run_process)


def run_process(args: argparse.Namespace) -> int:
    from .. import cache

    creds = terminal_credentials(args.profile).get_credentials()
    entry = {
        "access_key_id": creds.access_key_id,
        "secret_access_key": creds.secret_access_key,
        "session_token": creds.session_token,
        "expiration": cache.iso_utc(creds.expiration),
        "assumed_role_arn": creds.assumed_role_arn,  # for AccountId
    }
    sys.stdout.write(cache.process_json(entry) + "\n")
    return 0


def terminal_credentials(profile_name: str) -> FederatedCredentials:
    """The profile's FederatedCredentials, asking on the controlling terminal (password, second factor)."""
    from ..credentials import FederatedCredentials

    return FederatedCredentials(
        profile_name, callback=terminal_callback(profile_name), mfa_prompt=terminal_mfa_prompt(profile_name)
    )


def terminal_callback(profile_name: str) -> Callable[[CredentialRequest], UserCredentials]:
    """A callback that asks for the password on the controlling terminal, or says to run ``login``."""

    def ask(request: CredentialRequest) -> UserCredentials:
        import getpass

        from ..errors import SAMLBrokerError
        from ..identity import UserCredentials

        if not has_terminal():
            raise SAMLBrokerError(
                f"profile {profile_name!r} needs the password of {request.user_identity} and there is no "
                f"terminal to ask on: run `samlbroker login --profile {profile_name}`"
            )
        again = "Wrong password. " if request.previous_authentication_failed else ""
        try:
            password = getpass.getpass(
                f"{again}Password for {request.user_identity} (profile {profile_name}): "
            )
        except EOFError:
            raise SAMLBrokerError("no password given") from None
        return UserCredentials(request.user_identity, password)

    return ask


def terminal_mfa_prompt(profile_name: str) -> Callable[[MFAPrompt], str | None]:
    """Second-factor questions on the controlling terminal, or a fast error saying to run ``login``."""

    def ask(question: MFAPrompt) -> str | None:
        import getpass

        from ..errors import MFAFailedError

        if not has_terminal():
            raise MFAFailedError(
                f"profile {profile_name!r} needs a second factor ({question.method}) and there is no terminal "
                f"to ask on: run `samlbroker login --profile {profile_name}`"
            )
        if question.kind == "push":
            _tell_terminal(f"Approve the sign-in request on your device ({question.method})...")
            return None
        again = f" (attempt {question.attempt})" if question.attempt > 1 else ""
        return getpass.getpass(f"{question.method} code{again}: ") or None

    return ask


def _tell_terminal(message: str) -> None:
    """A line for the person at the terminal (botocore captures our stderr until the process fails)."""
    try:
        with open("/dev/tty", "w", encoding="utf-8") as tty:
            tty.write(message + "\n")
    except OSError:
        print(message, file=sys.stderr)


def has_terminal() -> bool:
    """A controlling terminal can be opened (botocore pipes stdout and stderr, so isatty() says nothing)."""
    if os.name == "nt":
        return sys.stdin.isatty()
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True
