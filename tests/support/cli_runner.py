"""Running the ``samlbroker`` command as a subprocess, the way scripts and the AWS CLI run it."""

from __future__ import annotations

import subprocess
import sys


def run_python(
    env: dict[str, str], *args: str, stdin: str = "", new_session: bool = False, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` (this interpreter) with pipes; ``new_session`` also drops the controlling terminal."""
    return subprocess.run(
        [sys.executable, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
        start_new_session=new_session,
    )


def run_cli(
    env: dict[str, str], *args: str, stdin: str = "", new_session: bool = False, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m samlbroker ARGS`` with pipes; ``new_session`` also drops the controlling terminal."""
    return run_python(env, "-m", "samlbroker", *args, stdin=stdin, new_session=new_session, timeout=timeout)
