"""``samlbroker exec --profile NAME --server -- CMD...`` and ``samlbroker serve --profile NAME ...``.

Both run a loopback container-credentials endpoint (:mod:`samlbroker.endpoint`) whose credentials a background
thread keeps fresh (:mod:`samlbroker.refresher`): ``exec --server`` for as long as CMD runs, ``serve`` until
stopped, printing the variables to set. Nothing here is imported on the credential-process path.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import SAMLBrokerError

if TYPE_CHECKING:
    from ..endpoint import CredentialEndpoint
    from ..refresher import BackgroundRefresh

FULL_URI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
TOKEN = "AWS_CONTAINER_AUTHORIZATION_TOKEN"  # noqa: S105 - a variable name
TOKEN_FILE = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"  # noqa: S105 - a variable name
# Taken from CMD's environment: each would be used before the endpoint (static keys, a profile, web identity,
# the ECS relative URI) or would send another token (the token file wins over the token).
REMOVED = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    TOKEN_FILE,
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
)
# What an SDK takes before the container endpoint from the [default] profile (AWS_PROFILE being unset).
SHADOWING_KEYS = (
    "aws_access_key_id",
    "credential_process",
    "role_arn",
    "web_identity_token_file",
    "sso_session",
    "sso_start_url",
)


def register(commands: argparse._SubParsersAction) -> None:
    from .exec_env import SHELLS

    serve = commands.add_parser(
        "serve",
        help="serve the profile's credentials on a loopback container-credentials endpoint until stopped",
    )
    serve.add_argument("--profile", required=True, help="a role profile of the AWS config file")
    serve.add_argument(
        "--port", type=_port, default=0, metavar="N", help="the port on 127.0.0.1 (default: a free one)"
    )
    serve.add_argument(
        "--shell", choices=SHELLS, default="sh", help="sh (also bash, zsh), fish or powershell"
    )
    serve.add_argument(
        "--token-file",
        type=Path,
        metavar="FILE",
        help="write the token to FILE (0600) and print AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE instead of the token",
    )
    serve.set_defaults(run=run_serve)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return int(text)


def primed_endpoint(profile_name: str, port: int = 0) -> tuple[BackgroundRefresh, CredentialEndpoint]:
    """The profile's refresher holding valid credentials (a login may prompt first), and its endpoint bound
    to 127.0.0.1 (a free port for 0); neither is running yet: see :func:`serving`."""
    from ..endpoint import CredentialEndpoint, new_token
    from ..refresher import BackgroundRefresh, silent_credentials
    from .process import terminal_credentials

    refresher = BackgroundRefresh(silent_credentials(profile_name), tell=_tell)
    endpoint = CredentialEndpoint(refresher.document, new_token(), port)  # a port in use fails before a login
    try:
        refresher.prime(terminal_credentials(profile_name))
    except BaseException:
        endpoint.server_close()
        raise
    return refresher, endpoint


@contextlib.contextmanager
def serving(refresher: BackgroundRefresh, endpoint: CredentialEndpoint) -> Iterator[None]:
    """The refresh thread and the endpoint's, for the block."""
    refresher.start()
    endpoint.start()
    try:
        yield
    finally:
        endpoint.stop()
        refresher.stop()


def run_exec_server(profile_name: str, command: list[str]) -> int:
    """``exec --server``: CMD with the endpoint's variables and none that would win over them."""
    from ..profiles import load_profile
    from .child import run_child, signals_held
    from .exec_env import region_variables

    profile = load_profile(profile_name)
    _warn_if_default_profile_shadows()
    refresher, endpoint = primed_endpoint(profile_name)  # before the signals are held: Ctrl-C ends a prompt
    env = {k: v for k, v in os.environ.items() if k not in REMOVED}
    env.update(region_variables(profile.region))
    env[FULL_URI] = endpoint.url
    env[TOKEN] = endpoint.token.decode()
    # The threads started inside inherit the held signals: only the wait for CMD receives them.
    with signals_held(), serving(refresher, endpoint):
        return run_child(command, env)


def run_serve(args: argparse.Namespace) -> int:
    from ..profiles import load_profile
    from .exec_env import export_lines, region_variables

    profile = load_profile(args.profile)
    _warn_if_default_profile_shadows()
    refresher, endpoint = primed_endpoint(args.profile, args.port)
    token = endpoint.token.decode()
    variables = {FULL_URI: endpoint.url, **region_variables(profile.region)}
    token_file = _write_token(args.token_file, token) if args.token_file is not None else None
    if token_file is not None:
        variables[TOKEN_FILE] = str(token_file)
        unset = (*(name for name in REMOVED if name != TOKEN_FILE), TOKEN)
    else:
        variables[TOKEN] = token
        unset = REMOVED
    try:
        with serving(refresher, endpoint):
            stop = f"Stop-Process -Id {os.getpid()}" if args.shell == "powershell" else f"kill {os.getpid()}"
            sys.stdout.write(
                export_lines(variables, args.shell, unset=unset)
                + f"# samlbroker serve (profile {args.profile}): stop it with `{stop}`\n"
            )
            sys.stdout.flush()
            _let_go_of_stdout()  # `eval "$(samlbroker serve ... &)"` returns once the lines are read
            _tell(f"serving profile {args.profile!r} at {endpoint.url} until stopped")
            _wait_for_stop()
    finally:
        if token_file is not None:
            with contextlib.suppress(OSError):
                token_file.unlink()
    _tell("stopped")
    return 0


def _write_token(path: Path, token: str) -> Path:
    """The token alone, no newline (botocore refuses one), 0600, written atomically."""
    from ..store import atomic_write

    path = path.expanduser().absolute()
    try:
        atomic_write(path, token, mode=0o600)
    except OSError as exc:
        raise SAMLBrokerError(f"cannot write the token file {path}: {exc.strerror or exc}") from None
    return path


def _wait_for_stop() -> None:
    """Until SIGTERM, SIGHUP or Ctrl-C."""
    import signal
    import threading

    stopped = threading.Event()
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), lambda *_: stopped.set())
    try:
        while not stopped.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass


def _let_go_of_stdout() -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)


def _warn_if_default_profile_shadows() -> None:
    """SDKs read the [default] profile before the endpoint: say so when it holds credentials of its own."""
    from ..ini import config_path, credentials_path, read_ini

    for path, section in ((credentials_path(), "default"), (config_path(), "default")):
        try:
            parser = read_ini(path)
        except SAMLBrokerError:
            continue
        if parser.has_section(section):
            found = [key for key in SHADOWING_KEYS if parser.has_option(section, key)]
            if found:
                _tell(
                    f"warning: the [default] profile of {path} sets {found[0]}: AWS SDKs use it before the "
                    "endpoint's credentials"
                )


def _tell(message: str) -> None:
    print(f"samlbroker: {message}", file=sys.stderr, flush=True)
