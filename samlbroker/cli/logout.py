"""``samlbroker logout --profile NAME [--forget]``: drop the profile's cached credentials (and password)."""

from __future__ import annotations

import argparse
import sys

# The keys `samlbroker login` writes into the credentials file; a section without them is not ours to touch.
WRITTEN_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token", "x_security_token_expires")


def register(commands: argparse._SubParsersAction) -> None:
    logout = commands.add_parser("logout", help="forget the profile's cached credentials")
    logout.add_argument("--profile", required=True, help="a role profile of the AWS config file")
    logout.add_argument("--forget", action="store_true", help="also remove the password from the OS keyring")
    logout.set_defaults(run=run_logout)


def run_logout(args: argparse.Namespace) -> int:
    from .. import cache, passwords
    from ..ini import credentials_path, read_ini
    from ..profiles import load_profile
    from ..store import write_section

    profile = load_profile(args.profile)
    done = []
    key = profile.cache_key()
    if cache.load(key) is not None:
        cache.remove(key)
        done.append("cached credentials removed")
    path = credentials_path()
    parser = read_ini(path)
    if parser.has_section(profile.name) and parser.has_option(profile.name, "x_security_token_expires"):
        write_section(path, profile.name, dict.fromkeys(WRITTEN_KEYS))
        done.append(f"[{profile.name}] keys removed from {path}")
    if args.forget and profile.user:
        if passwords.forget(profile.endpoint.url, profile.user):
            done.append(f"the password of {profile.user} removed from the keyring")
        else:
            done.append(f"no password of {profile.user} in the keyring")
    print(f"logout {profile.name}: " + ("; ".join(done) or "nothing was cached"), file=sys.stderr)
    return 0
