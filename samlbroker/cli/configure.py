"""``samlbroker configure``: create and edit endpoint sections and role profiles.

``configure endpoint NAME ...`` and ``configure profile NAME ...`` are for scripts; bare ``configure`` asks
on the terminal: which endpoint, which user, logs in once, lists the roles, and suggests a profile name.
Every write keeps the rest of the config file byte for byte.
"""

from __future__ import annotations

import argparse
import re
import sys

from ..errors import ConfigError, SAMLBrokerError
from ..profiles import ENDPOINT_KEYS  # one list: the config, its checks, these flags


def register(commands: argparse._SubParsersAction) -> None:
    configure = commands.add_parser(
        "configure", help="create or edit endpoint sections and role profiles (no arguments: interactive)"
    )
    configure.set_defaults(run=run_interactive)
    kinds = configure.add_subparsers(dest="configure_kind", metavar="KIND")

    endpoint = kinds.add_parser("endpoint", help="create or edit [saml-endpoint NAME]")
    endpoint.add_argument("name")
    for key, text in ENDPOINT_KEYS.items():
        endpoint.add_argument("--" + key.replace("_", "-"), dest=key, help=text)
    _unset_option(endpoint)
    endpoint.set_defaults(run=run_endpoint)

    profile = kinds.add_parser("profile", help="create or edit a role profile ([profile NAME])")
    profile.add_argument("name")
    profile.add_argument("--endpoint", help="the [saml-endpoint NAME] it logs in through")
    profile.add_argument("--role", help="role ARN (or friendly name) to assume")
    who = profile.add_mutually_exclusive_group()
    who.add_argument("--user", help="DOMAIN\\USER, for non-domain users")
    who.add_argument(
        "--default-identity", action="store_true", help="log in as the signed-on user (removes saml_user)"
    )
    profile.add_argument("--duration", type=int, help="session length in seconds")
    profile.add_argument("--region", help="AWS region")
    profile.add_argument(
        "--no-credential-process",
        action="store_true",
        help="do not set credential_process (then `samlbroker login` writes the credentials file)",
    )
    _unset_option(profile)
    profile.set_defaults(run=run_profile)


def _unset_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--unset", action="append", default=[], metavar="KEY", help="remove KEY (repeatable)")


def run_endpoint(args: argparse.Namespace) -> int:
    from ..profiles import endpoint_names, write_endpoint

    values: dict[str, str | None] = {k: getattr(args, k) for k in ENDPOINT_KEYS if getattr(args, k)}
    values.update(_unsets(args.unset, _endpoint_keys_to_unset(args.name, values.get("auth_type"))))
    if args.name not in endpoint_names() and not values.get("url"):
        raise ConfigError(f"endpoint {args.name!r} is new: give its --url")
    if "url" in values and values["url"] is None:
        raise ConfigError("an endpoint needs its url: it cannot be unset")
    path = write_endpoint(args.name, values)
    print(f"endpoint {args.name!r} written to {path}", file=sys.stderr)
    return 0


def run_profile(args: argparse.Namespace) -> int:
    from ..profiles import config_path, endpoint_names, profile_names, write_profile

    values: dict[str, str | None] = {}
    if args.endpoint:
        if args.endpoint not in endpoint_names():
            raise ConfigError(
                f"endpoint {args.endpoint!r} is not in {config_path()}: "
                f"create it first with `samlbroker configure endpoint {args.endpoint} --url URL`"
            )
        values["saml_endpoint"] = args.endpoint
    elif args.name not in profile_names():
        raise ConfigError(f"profile {args.name!r} is new: give its --endpoint")
    if args.role:
        values["saml_role_arn"] = args.role
    if args.user:
        values["saml_user"] = args.user
    if args.default_identity:
        values["saml_user"] = None
    if args.duration is not None:
        values["duration_seconds"] = str(args.duration)
    if args.region:
        values["region"] = args.region
    if not args.no_credential_process:
        values["credential_process"] = credential_process_line(args.name)
    values.update(_unsets(args.unset, None))
    path = write_profile(args.name, values)
    print(f"profile {args.name!r} written to {path}", file=sys.stderr)
    return 0


def credential_process_line(profile: str) -> str:
    """The ``credential_process`` value for ``profile``."""
    name = profile if re.fullmatch(r"[\w.@+-]+", profile) else '"' + profile.replace('"', '\\"') + '"'
    return f"samlbroker credential-process --profile {name}"


def _endpoint_keys_to_unset(name: str, auth_type: str | None) -> list[str]:
    """Keys ``--unset`` may remove: the known ones (the authenticator's own too) and any the section has."""
    from ..profiles import ENDPOINT_PREFIX, config_path, known_endpoint_keys, read_ini, section_keys

    parser = read_ini(config_path())
    section = ENDPOINT_PREFIX + name
    present = section_keys(parser, section)
    auth_type = auth_type or parser.get(section, "auth_type", fallback="") or "kerberos"
    return [*known_endpoint_keys(auth_type), *present]


def _unsets(keys: list[str], known: list[str] | None) -> dict[str, None]:
    for key in keys:
        if known is not None and key not in known:
            raise ConfigError(
                f"--unset {key}: not an endpoint key (known: {', '.join(dict.fromkeys(known))})"
            )
    return dict.fromkeys(keys)


# -- interactive ---------------------------------------------------------------------------------------


def run_interactive(args: argparse.Namespace) -> int:
    from ..profiles import Endpoint, config_path, endpoint_names, load_endpoint, write_endpoint, write_profile
    from .terminal import ask_password, interactive, pick_role, spinner

    if not interactive():
        raise SAMLBrokerError(
            "`samlbroker configure` asks questions and needs a terminal; scripts use "
            "`samlbroker configure endpoint NAME --url URL` and `samlbroker configure profile NAME --endpoint NAME`"
        )
    path = config_path()
    names = endpoint_names(path)
    say(f"Configuring a role profile in {path}")
    endpoint_name = ask(
        "Endpoint name" + (f" ({', '.join(names)}, or a new one)" if names else ""),
        names[0] if names else "corp",
    )
    if endpoint_name in names:
        endpoint = load_endpoint(endpoint_name, path)
        new_endpoint: dict[str, str | None] = {}
    else:
        url = ask("IdP sign-on URL")
        if not url:
            raise SAMLBrokerError("no sign-on URL given")
        auth_type = ask("Sign-on scheme (ntlm, kerberos, negotiate, digest, forms, browser)", "kerberos")
        ca_bundle = ask("CA file for the IdP's TLS certificate (empty: system trust)") or None
        new_endpoint = {"url": url, "auth_type": auth_type, "ca_bundle": ca_bundle}
        endpoint = Endpoint(name=endpoint_name, url=url, auth_type=auth_type, ca_bundle=ca_bundle)
    user = ask("User, DOMAIN\\user (empty: your default identity)") or None
    credentials = None
    if user and not endpoint.uses_browser:  # in a browser, the user types the password into the IdP's page
        from ..identity import UserCredentials

        credentials = UserCredentials(user, ask_password(user))
    from ..flow import controller_for

    with spinner() as spin:
        spin.stage("waiting for the IdP")
        assertion = controller_for(endpoint).get_saml_assertion(endpoint.url, credentials, endpoint.auth_type)
    if not assertion.roles:
        from ..errors import NoRolesError

        raise NoRolesError("the IdP granted no AWS role to this user: nothing to configure")
    from ..accounts import account_names_for

    names = account_names_for(endpoint, assertion)
    pair = (
        pick_role(assertion.roles, account_names=names)
        if len(assertion.roles) > 1
        else next(iter(assertion.roles.values()))
    )
    suggested = suggest_profile_name(pair.role_name, pair.account_id, endpoint.account_names)
    name = ask("Profile name", suggested)
    region = ask("Region (empty: none)") or None
    if new_endpoint:
        write_endpoint(endpoint_name, {k: v for k, v in new_endpoint.items() if v})
    values: dict[str, str | None] = {
        "saml_endpoint": endpoint_name,
        "saml_role_arn": pair.role_arn,
        "saml_user": user,
        "credential_process": credential_process_line(name),
    }
    if region:
        values["region"] = region
    write_profile(name, values, path)
    say(f"profile {name!r} written to {path}: try `aws sts get-caller-identity --profile {name}`")
    return 0


def suggest_profile_name(role_name: str, account_id: str, account_names: str | None = None) -> str:
    """``ALIAS-role`` (or ``ACCOUNT-role``), lower case, from the endpoint's account_names when it has one."""
    aliases: dict[str, str] = {}
    for item in (account_names or "").split(","):
        if "=" in item:
            key, value = item.split("=", 1)
            aliases[key.strip()] = value.strip()
    account = aliases.get(account_id, account_id)
    return re.sub(r"[^a-z0-9_.-]+", "-", f"{account}-{role_name}".lower()).strip("-")


def ask(question: str, default: str | None = None) -> str:
    """One line from the terminal; empty means ``default``."""
    sys.stderr.write(f"{question}{f' [{default}]' if default else ''}: ")
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        raise SAMLBrokerError("no answer given")
    return line.strip() or (default or "")


def say(message: str) -> None:
    print(message, file=sys.stderr)
