"""``samlbroker login`` and ``samlbroker roles``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .. import passwords
from ..errors import AuthenticationFailedError, MFAFailedError
from ..identity import UserCredentials
from .target import Target, add_target_options, resolve_target, user_credentials
from .terminal import mfa_prompt, pick_role, spinner

if TYPE_CHECKING:
    from ..assertion import SAMLAssertion
    from ..flow import LoginResult


def register(commands: argparse._SubParsersAction) -> None:
    login = commands.add_parser("login", help="log in and store the profile's credentials")
    add_target_options(login)
    login.add_argument(
        "--save-as", help="credentials-file profile to store under (default: --profile's name)"
    )
    login.add_argument(
        "--remember", action="store_true", help="keep the password in the OS keyring (saml_password_store)"
    )
    login.set_defaults(run=run_login)
    roles = commands.add_parser("roles", help="list the roles you may assume")
    add_target_options(roles)
    roles.set_defaults(run=run_roles)


def run_login(args: argparse.Namespace) -> int:
    from .. import cache
    from ..flow import login
    from ..profiles import read_ini
    from ..store import credentials_path, write_credentials

    target = resolve_target(args)
    where = args.save_as or (target.profile.name if target.profile else None)
    store = bool(where) and not (
        target.profile and target.profile.uses_credential_process and not args.save_as
    )
    if store:
        read_ini(credentials_path())  # a corrupt credentials file stops us before the IdP is asked
    policy_arns, policy = target.profile.session_policies() if target.profile else ("", None)
    remember = args.remember or _uses_keyring(target)
    if remember:
        passwords.require_keyring()  # not after a sign-in whose credentials would then be lost
    credentials, remembered = _login_credentials(target, args.password_stdin, remember)

    def sign_in(with_credentials: UserCredentials | None) -> LoginResult:
        with spinner() as spin:
            return login(
                target.endpoint,
                with_credentials,
                role=target.role,
                duration=target.duration,
                region=target.region,
                choose=lambda assertion: pick_role(assertion.roles, account_names=_names(target, assertion)),
                stage=spin.stage,
                policy_arns=policy_arns,
                policy=policy,
                mfa_prompt=mfa_prompt,
                profile_name=target.profile.name if target.profile else None,
            )

    try:
        result = sign_in(credentials)
    except MFAFailedError:
        raise  # the password was accepted: a remembered one is kept
    except AuthenticationFailedError:
        if not remembered or credentials is None:
            raise
        passwords.forget(target.endpoint.url, credentials.username)  # never tried again: AD lockout
        print("samlbroker: the remembered password was refused and removed from the keyring", file=sys.stderr)
        credentials, remembered = user_credentials(target, args.password_stdin), False
        result = sign_in(credentials)
    if remember and credentials is not None and not remembered:
        passwords.remember(target.endpoint.url, credentials.username, credentials.password)
    creds = result.credentials
    expires = creds.expiration.strftime("%Y-%m-%d %H:%M:%S UTC")
    if target.profile is not None:
        # Keyed by what was logged in to (the command line may differ from the profile): credential-process
        # and FederatedCredentials find it only when it is for exactly their endpoint, user and role.
        cache.store(
            cache.key_for(target.endpoint.url, target.user, target.role),
            creds,
            profile=target.profile.name,
            endpoint=target.endpoint.url,
            user=target.user,
            role_arn=result.role.role_arn,
        )
    if store:
        path = write_credentials(where, creds)
        stored = f"stored as [{where}] in {path}"
    elif where:
        stored = f"profile {where} uses credential_process: nothing written to the credentials file"
    else:
        stored = "not stored (give --profile or --save-as)"
    print(f"logged in as {result.role.role_arn} until {expires}; {stored}", file=sys.stderr)
    return 0


def _names(target: Target, assertion: SAMLAssertion) -> dict[str, str]:
    """Account names for the picker (the endpoint's ``account_names``); ids alone when there are none."""
    from ..accounts import account_names_for

    return account_names_for(target.endpoint, assertion)


def _uses_keyring(target: Target) -> bool:
    extra = target.profile.extra if target.profile else {}
    return extra.get("saml_password_store", "").strip().lower() == passwords.KEYRING


def _login_credentials(
    target: Target, password_stdin: bool, remember: bool
) -> tuple[UserCredentials | None, bool]:
    """The credentials to sign in with, and whether they came from the keyring (then nobody is asked)."""
    if target.endpoint.uses_browser:
        return user_credentials(target, password_stdin), False
    if remember and target.user and not password_stdin:
        stored = passwords.recall(target.endpoint.url, target.user)
        if stored is not None:
            return UserCredentials(target.user, stored), True
    return user_credentials(target, password_stdin), False


def run_roles(args: argparse.Namespace) -> int:
    from ..accounts import account_label, account_names_for, with_account_names
    from ..flow import controller_for

    target = resolve_target(args)
    credentials = user_credentials(target, args.password_stdin)
    with spinner() as spin:
        spin.stage("waiting for the IdP")
        controller = controller_for(
            target.endpoint,
            mfa_prompt=mfa_prompt,
            profile_name=target.profile.name if target.profile else None,
        )
        assertion = controller.get_saml_assertion(target.endpoint.url, credentials, target.endpoint.auth_type)
        names = account_names_for(target.endpoint, assertion)  # AWS sign-in page: system trust
    assertion = with_account_names(assertion, names)
    rows = sorted(assertion.roles.items(), key=lambda kv: (kv[1].account_id, kv[1].role_name))
    width = max((len(name) for name, _ in rows), default=4)
    account_width = max((len(account_label(p.account_id, names)) for _, p in rows), default=7)
    print(f"{'NAME':<{width}}  {'ACCOUNT':<{account_width}}  {'ROLE':<24}  ARN")
    for name, pair in rows:
        account = account_label(pair.account_id, names)
        print(f"{name:<{width}}  {account:<{account_width}}  {pair.role_name:<24}  {pair.role_arn}")
    return 0
