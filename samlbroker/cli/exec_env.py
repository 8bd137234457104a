"""``samlbroker exec --profile NAME -- CMD...`` and ``samlbroker env --profile NAME [--shell ...]``."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence

from ..errors import SAMLBrokerError
from .child import not_started, shell_exit_code

SHELLS = ("sh", "fish", "powershell")
REMOVED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")


def register(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("exec", help="run a command with the profile's credentials in its environment")
    run.add_argument("--profile", required=True, help="a role profile of the AWS config file")
    run.add_argument(
        "--server",
        action="store_true",
        help="give CMD a loopback credentials endpoint that stays fresh while it runs, instead of static keys",
    )
    run.add_argument(
        "command", nargs=argparse.REMAINDER, metavar="-- CMD...", help="the command and its arguments"
    )
    run.set_defaults(run=run_exec)
    env = commands.add_parser("env", help="print the profile's credentials as shell export lines")
    env.add_argument("--profile", required=True, help="a role profile of the AWS config file")
    env.add_argument("--shell", choices=SHELLS, default="sh", help="sh (also bash, zsh), fish or powershell")
    env.set_defaults(run=run_env)


def credential_variables(profile_name: str) -> dict[str, str]:
    """The AWS_* variables for the profile's fresh credentials (and its region, when it has one)."""
    from ..cache import iso_utc
    from .process import terminal_credentials

    credentials = terminal_credentials(profile_name)
    creds = credentials.get_credentials()
    variables = {
        "AWS_ACCESS_KEY_ID": creds.access_key_id,
        "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
        "AWS_SESSION_TOKEN": creds.session_token,
        "AWS_CREDENTIAL_EXPIRATION": iso_utc(creds.expiration),
    }
    variables.update(region_variables(credentials.profile.region))
    return variables


def region_variables(region: str | None) -> dict[str, str]:
    """AWS_REGION and AWS_DEFAULT_REGION for ``region``; none without one."""
    return {"AWS_REGION": region, "AWS_DEFAULT_REGION": region} if region else {}


def run_exec(args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise SAMLBrokerError("say what to run: samlbroker exec --profile NAME -- CMD...")
    if args.server:
        from .serve import run_exec_server

        return run_exec_server(args.profile, command)
    env = {k: v for k, v in os.environ.items() if k not in REMOVED}
    env.update(credential_variables(args.profile))
    try:
        completed = subprocess.run(command, env=env, check=False)
    except (FileNotFoundError, PermissionError) as error:
        return not_started(command, error)
    return shell_exit_code(completed.returncode)


def run_env(args: argparse.Namespace) -> int:
    sys.stdout.write(export_lines(credential_variables(args.profile), args.shell))
    return 0


def export_lines(variables: Mapping[str, str], shell: str, unset: Sequence[str] = REMOVED) -> str:
    """Lines that unset ``unset`` (AWS_PROFILE...) and set ``variables`` in ``shell``, every value quoted for it."""
    lines: list[str] = []
    for name in unset:
        if shell == "fish":
            lines.append(f"set -e {name}")
        elif shell == "powershell":
            lines.append(f"Remove-Item Env:{name} -ErrorAction SilentlyContinue")
        else:
            lines.append(f"unset {name}")
    for name, value in variables.items():
        if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", name):
            raise SAMLBrokerError(f"{name!r} is not a variable name")
        if shell == "fish":
            lines.append(f"set -gx {name} {fish_quote(value)}")
        elif shell == "powershell":
            lines.append(f"$env:{name} = {powershell_quote(value)}")
        else:
            lines.append(f"export {name}={sh_quote(value)}")
    return "".join(line + "\n" for line in lines)


def sh_quote(value: str) -> str:
    """POSIX sh single quotes: nothing inside is special; a ``'`` is closed, escaped and reopened."""
    return "'" + value.replace("'", "'\\''") + "'"


def fish_quote(value: str) -> str:
    """fish single quotes: only ``\\`` and ``'`` are special inside, each escaped with a backslash."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def powershell_quote(value: str) -> str:
    """PowerShell verbatim string: a quote (ASCII or typographic) is doubled, nothing else expands."""
    return "'" + re.sub("(['\u2018\u2019\u201a\u201b])", r"\1\1", value) + "'"
