"""The ``samlbroker`` command: argument parsing, logging, and errors as one line on stderr."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    import argparse

    from .. import __version__
    from . import configure, console, exec_env, lab, login, logout, process, serve, whoami

    parser = argparse.ArgumentParser(prog="samlbroker", description="AWS credentials through SAML / AD FS.")
    parser.add_argument("--version", action="version", version=f"samlbroker {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the HTTP flow (never secrets)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (login, logout, configure, process, exec_env, serve, console, whoami, lab):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: this process's arguments); returns the exit code."""
    from . import answer_from_cache

    argv = list(sys.argv[1:] if argv is None else argv)
    code = answer_from_cache(argv)
    return run(argv) if code is None else code


def run(argv: list[str]) -> int:
    """The full command: parse ``argv``, run the command, and turn every error into one line on stderr."""
    import logging

    from ..errors import AuthenticationFailedError, SAMLBrokerError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    _setup_logging(args.verbose)
    try:
        return args.run(args)
    except AuthenticationFailedError as exc:
        return _fail(exc, EXIT_AUTH)
    except SAMLBrokerError as exc:
        return _fail(exc, EXIT_ERROR)
    except KeyboardInterrupt:
        print("samlbroker: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # the last line of defence: never a traceback for a CLI user
        if args.verbose:
            logging.getLogger("samlbroker").exception("internal error")
        return _fail(
            f"internal error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            " (run with -v for details)",
            EXIT_ERROR,
        )


def _fail(message: object, code: int) -> int:
    print(f"samlbroker: {message}", file=sys.stderr)
    return code


def _setup_logging(verbose: bool) -> None:
    """One stderr handler on the root logger, behind :class:`SecretFilter`: no logger's record passes unredacted.

    ``-v`` shows our flow and urllib3's request lines (paths only) at DEBUG, and every other library's INFO.
    """
    import logging

    from ..logsafe import SecretFilter

    # Library warnings (urllib3's, botocore's) go to the log: only -v shows them, never a bare traceback-like line.
    logging.captureWarnings(True)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    handler.addFilter(SecretFilter())
    handler.name = "samlbroker-cli"
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.name == handler.name]:  # run() twice in one process
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    levels = {"samlbroker": logging.DEBUG, "urllib3": logging.DEBUG} if verbose else {}
    levels["py.warnings"] = logging.DEBUG if verbose else logging.ERROR
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


if __name__ == "__main__":
    sys.exit(main())
