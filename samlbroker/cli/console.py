"""``samlbroker console --profile NAME [--print] [--destination URL] [--duration S]``."""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import SAMLBrokerError


def register(commands: argparse._SubParsersAction) -> None:
    console = commands.add_parser("console", help="open (or print) an AWS console sign-in URL")
    console.add_argument("--profile", help="an AWS profile (default: AWS_PROFILE, else botocore's default)")
    console.add_argument(
        "--print", action="store_true", dest="print_only", help="print the URL, open nothing"
    )
    console.add_argument("--destination", help="console page to land on (default: the console home)")
    console.add_argument(
        "--duration", type=int, help="console session length, 900 to 43200 seconds (default: AWS's choice)"
    )
    console.add_argument("--timeout", type=float, default=30, help="seconds for the federation request")
    console.set_defaults(run=run_console)


def run_console(args: argparse.Namespace) -> int:
    from ..console import check_duration, signin_url
    from ..sts import Credentials
    from .whoami import profile_session

    check_duration(args.duration)  # before any credentials are fetched or request made
    session = profile_session(args.profile)
    if not session.session_token:
        raise SAMLBrokerError(
            "the console needs temporary credentials (with a session token); these are long-term access keys"
        )
    import datetime as dt

    credentials = Credentials(
        session.access_key_id,
        session.secret_access_key,
        session.session_token,
        session.expiration or dt.datetime.now(dt.timezone.utc),
    )
    url = signin_url(
        credentials,
        destination=args.destination,
        duration=args.duration,
        federation_url=session.federation_url,
        role_arn=session.role_arn,
        issuer=session.issuer,
        verify=os.environ.get("AWS_CA_BUNDLE") or True,
        timeout=args.timeout,
    )
    if args.print_only:
        print(url)
        return 0
    import webbrowser

    if not webbrowser.open(url, new=2):
        raise SAMLBrokerError("no web browser could be started: use --print and open the URL yourself")
    print("opened the AWS console in your browser", file=sys.stderr)
    return 0
