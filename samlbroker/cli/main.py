"""The ``samlbroker`` command: argument parsing, logging, and errors as one line on stderr."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import AuthenticationFailedError, SAMLBrokerError

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="samlbroker", description="AWS credentials through SAML / AD FS.")
    parser.add_argument("--version", action="version", version=f"samlbroker {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the HTTP flow (never secrets)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    from . import lab, login

    for module in (login, lab):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
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
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    for name in ("samlbroker", "urllib3.connectionpool"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
        logger.propagate = False


if __name__ == "__main__":
    sys.exit(main())
