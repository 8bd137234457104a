"""First run of `./dev demo`, as a new user meets it: a fresh clone, an empty HOME, no caches.

Prints the wall time and the number of lines the command printed, for each commit given (default: HEAD).
Usage: python bench/first_run.py [COMMIT ...]   (e.g. a commit before a change, then HEAD)
System packages are whatever the machine has; run it where the demo's apt packages are present.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def first_run(commit: str) -> tuple[float, int, int, str]:
    """(seconds, lines printed, exit code, last line) of `./dev demo` in a fresh clone of ``commit``."""
    with tempfile.TemporaryDirectory(prefix="samlbroker-first-run-") as top:
        clone = Path(top) / "samlbroker"
        home = Path(top) / "home"
        home.mkdir()
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
        subprocess.run(["git", "-C", str(clone), "checkout", "-q", commit], check=True)
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("SAMLBROKER_", "AWS_", "VIRTUAL_ENV"))
        }
        env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), PIP_NO_CACHE_DIR="1")
        start = time.perf_counter()
        done = subprocess.run(
            ["./dev", "demo"],
            cwd=clone,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        seconds = time.perf_counter() - start
        lines = done.stdout.splitlines()
        return seconds, len(lines), done.returncode, lines[-1] if lines else ""


def main(commits: list[str]) -> int:
    for commit in commits or ["HEAD"]:
        seconds, lines, code, last = first_run(commit)
        print(f"{commit}: ./dev demo took {seconds:.1f} s, printed {lines} lines, exit {code} (last: {last})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
