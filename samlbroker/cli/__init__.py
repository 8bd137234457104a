"""The ``samlbroker`` command line: :mod:`.main` parses and reports errors, one module per command.

:func:`console_main` is what the installed command runs. It answers a ``credential-process`` cache hit
before any other module of the command loads (the AWS CLI runs it for every call), so this module stays small
and has no ``__future__`` import.
"""

import os
import sys


def console_main() -> int:
    """The installed ``samlbroker`` command; a cache hit ends the process at once.

    A ``credential-process`` hit has printed and flushed its JSON (or its one-line error) and holds nothing to
    clean up, so it skips the interpreter's shutdown, which costs about as much as the hit itself.
    """
    argv = sys.argv[1:]
    code = answer_from_cache(argv)
    if code is not None:
        os._exit(code)
    from .main import run

    return run(argv)


def answer_from_cache(argv: list[str]) -> int | None:
    """Serve ``credential-process --profile NAME`` from the cache: 0 once printed; None: run the full command.

    A profile pointer that still matches the config file answers with :mod:`samlbroker.cache_hit` alone.
    """
    name = _profile_argument(argv[1:]) if argv[:1] == ["credential-process"] else None
    if name is None:
        return None
    from ..cache_hit import config_path, ready_answer

    config = config_path()
    ready = ready_answer(config, name)
    if ready is None:
        from .process import answer_by_reading_the_config

        ready = answer_by_reading_the_config(config, name)
        if ready is None:
            return None
    try:
        if sys.stdout is None:  # started with standard output closed
            raise OSError("standard output is closed")
        sys.stdout.write(ready + "\n")
        sys.stdout.flush()
    except OSError as exc:  # or a broken pipe: say so, and do not log in instead
        if sys.stderr is not None:
            sys.stderr.write(f"samlbroker: could not write the credentials to standard output: {exc}\n")
            sys.stderr.flush()
        return 1  # main.EXIT_ERROR, without loading main
    return 0


def _profile_argument(argv: list[str]) -> str | None:
    """NAME of exactly ``--profile NAME`` / ``--profile=NAME``; None for anything else (argparse handles it)."""
    if len(argv) == 2 and argv[0] == "--profile" and argv[1] and not argv[1].startswith("-"):
        return argv[1]
    if len(argv) == 1 and argv[0].startswith("--profile=") and len(argv[0]) > len("--profile="):
        return argv[0].split("=", 1)[1]
    return None
