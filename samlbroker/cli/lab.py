"""``samlbroker lab``: run the local lab, or ``lab demo``: a full login against it."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

from ..errors import DependencyMissingError

DEMO_USER = "alice"
DEMO_ROLE = "111122223333:Developer"


def register(commands: argparse._SubParsersAction) -> None:
    lab = commands.add_parser("lab", help="the local lab: an AD FS look-alike IdP and an STS on loopback")
    lab.add_argument("--users", help="users file (default: the bundled lab-users.ini)")
    lab.add_argument("--idp-port", type=int, default=0)
    lab.add_argument("--sts-port", type=int, default=0)
    lab.add_argument("--workdir", help="folder for the lab's CA, keys and state (default: a temp folder)")
    lab.set_defaults(run=run_serve)
    actions = lab.add_subparsers(dest="lab_action", metavar="ACTION")
    demo = actions.add_parser("demo", help="start the lab and perform a full login against it")
    demo.add_argument(
        "--auth",
        default="ntlm",
        choices=["ntlm", "negotiate", "digest", "forms"],
        help="sign-on scheme (default: ntlm)",
    )
    demo.add_argument("--user", default=DEMO_USER, help="lab user (default: alice)")
    demo.add_argument("--role", default=DEMO_ROLE, help=f"role to assume (default: {DEMO_ROLE})")
    demo.set_defaults(run=run_demo)


def _start_lab(args: argparse.Namespace):
    try:
        from ..lab.runner import Lab
    except ImportError as exc:
        raise DependencyMissingError(
            f"the lab needs its extra: pip install 'samlbroker[lab]' ({exc})"
        ) from None
    return Lab(
        users_file=getattr(args, "users", None),
        workdir=Path(args.workdir) if getattr(args, "workdir", None) else None,
        idp_port=getattr(args, "idp_port", 0),
        sts_port=getattr(args, "sts_port", 0),
    ).start()


def run_serve(args: argparse.Namespace) -> int:
    lab = _start_lab(args)
    try:
        print(f"lab IdP sign-on URL: {lab.signon_url}")
        print(f"lab Shibboleth URL:  {lab.shibboleth_url}")
        print(f"lab STS:             {lab.sts_url}")
        print(f"lab CA file:         {lab.ca_file}")
        print(f"users:               {', '.join(u.name for u in lab.users)} (passwords in the users file)")
        print("\nTry it (another shell):")
        print(f"  export AWS_ENDPOINT_URL_STS={lab.sts_url} AWS_CA_BUNDLE={lab.ca_file}")
        print(
            f"  samlbroker roles --endpoint-url '{lab.signon_url}' --auth-type ntlm "
            f"--ca-bundle {lab.ca_file} --user 'LAB\\alice'"
        )
        print("\nCtrl-C stops the lab.", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        lab.stop()
    return 0


def run_demo(args: argparse.Namespace) -> int:
    from ..flow import login
    from ..identity import UserCredentials
    from ..profiles import Endpoint

    say = _stderr
    lab = _start_lab(args)
    try:
        say(f"lab IdP at {lab.idp_url}, STS at {lab.sts_url}, CA {lab.ca_file}")
        user = lab.users[args.user]
        cert_file = lab.pki.signing_cert_file
        # The lab's STS stands in for AWS's: point botocore at it the standard way.
        os.environ["AWS_ENDPOINT_URL_STS"] = lab.sts_url
        os.environ["AWS_CA_BUNDLE"] = str(lab.ca_file)
        endpoint = Endpoint(
            name="lab",
            url=lab.signon_url,
            auth_type=args.auth,
            ca_bundle=str(lab.ca_file),
            trusted_certs=str(cert_file),
        )
        login_name = f"{lab.users.domain}\\{user.name}"
        say(
            f"signing in as {login_name} with {args.auth}; the assertion must verify against the lab's "
            "signing certificate"
        )
        result = login(endpoint, UserCredentials(login_name, user.password), role=args.role, stage=say)
    finally:
        lab.stop()
    creds = result.credentials
    print(f"identity:   {creds.assumed_role_arn or result.role.role_arn}")
    print(f"role:       {result.role.role_arn} (from {len(result.assertion.roles)} roles in the assertion)")
    print(f"mechanism:  {result.mechanism or args.auth}")
    print(f"access key: {creds.access_key_id}")
    print(f"expires:    {creds.expiration.strftime('%Y-%m-%d %H:%M:%S UTC')}")
    return 0


def _stderr(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)
