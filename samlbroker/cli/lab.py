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
MFA_DEMO_USERS = {"totp": "frank", "push": "grace"}


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
        choices=["ntlm", "negotiate", "kerberos", "digest", "forms"],
        help="sign-on scheme (default: ntlm); kerberos gets the user a ticket from the lab KDC, then signs in "
        "silently with the default identity",
    )
    demo.add_argument("--user", default=DEMO_USER, help="lab user (default: alice)")
    demo.add_argument("--role", default=DEMO_ROLE, help=f"role to assume (default: {DEMO_ROLE})")
    demo.add_argument(
        "--mfa",
        choices=["totp", "push"],
        help="sign in as a lab user with this second factor (the demo answers it itself)",
    )
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
        if lab.kdc is not None:
            print(f"lab KDC:             realm {lab.kdc.realm} at {lab.kdc.address}, SPN HTTP/localhost")
            print("\nKerberos (another shell):")
            print(f"  export KRB5_CONFIG={lab.kdc.krb5_config} KRB5CCNAME=FILE:{lab.workdir / 'my.ccache'}")
            print(f"  kinit {lab.kdc.principal('alice')}")
            print(
                f"  samlbroker roles --endpoint-url '{lab.signon_url}' --auth-type kerberos --ca-bundle {lab.ca_file}"
            )
        else:
            print(f"lab KDC:             none ({lab.kdc_unavailable})")
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
        name = MFA_DEMO_USERS.get(args.mfa or "", args.user)
        user = lab.users[name]
        role = "ReadOnly" if args.mfa else args.role
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
        if args.auth == "kerberos":
            saved = _use_lab_ticket(lab, user.name, say)
            say("signing in silently with the default identity (the ticket cache, no password)")
            try:
                result = login(
                    endpoint, None, role=role, stage=say, mfa_prompt=_demo_second_factor(user, say)
                )
            finally:
                _restore_env(saved)
        else:
            login_name = f"{lab.users.domain}\\{user.name}"
            say(
                f"signing in as {login_name} with {args.auth}; the assertion must verify against the lab's "
                "signing certificate"
            )
            result = login(
                endpoint,
                UserCredentials(login_name, user.password),
                role=role,
                stage=say,
                mfa_prompt=_demo_second_factor(user, say),
            )
    finally:
        lab.stop()
    creds = result.credentials
    print(f"identity:   {creds.assumed_role_arn or result.role.role_arn}")
    print(f"role:       {result.role.role_arn} (from {len(result.assertion.roles)} roles in the assertion)")
    print(f"mechanism:  {result.mechanism or args.auth}")
    print(f"access key: {creds.access_key_id}")
    print(f"expires:    {creds.expiration.strftime('%Y-%m-%d %H:%M:%S UTC')}")
    return 0


def _demo_second_factor(user, say):
    """The demo's own MFA prompt: computes the TOTP code as an authenticator app would; waits for pushes."""

    def answer(question):
        if question.kind == "push":
            say(f"second factor: {question.method} push; the lab approves it after a few polls")
            return None
        import pyotp

        code = pyotp.TOTP(user.mfa_secret).now()
        say(f"second factor: {question.method} asks for a code; the demo's authenticator app says {code}")
        return code

    return answer


def _use_lab_ticket(lab, user: str, say) -> dict[str, str | None]:
    """kinit ``user`` at the lab KDC into a ticket cache in the lab folder; point this process at it."""
    from ..authenticators.kerberos import have_gssapi

    if lab.kdc is None:
        raise DependencyMissingError(f"the lab has no Kerberos: {lab.kdc_unavailable}")
    if sys.platform != "win32" and not have_gssapi():
        raise DependencyMissingError("Kerberos needs the kerberos extra: pip install 'samlbroker[kerberos]'")
    ccache = lab.kdc.kinit(user, lab.workdir / f"{user}.ccache")
    saved = {name: os.environ.get(name) for name in ("KRB5_CONFIG", "KRB5CCNAME")}
    os.environ.update(lab.kdc.client_env(ccache))
    say(f"got a ticket for {lab.kdc.principal(user)} from the lab KDC at {lab.kdc.address} (kinit, lab side)")
    return saved


def _restore_env(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _stderr(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)
