"""First run of `./dev demo`, as a new user meets it: a fresh clone, an empty HOME, no caches.

Prints the wall time and the number of lines the command printed, for each commit given (default: HEAD).
Usage: python bench/first_run.py [COMMIT ...]   (e.g. a commit before a change, then HEAD)
System packages are whatever the machine has; run it where the demo's apt packages are present.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def fresh_clone(top: Path, commit: str | None = None, overlay: Sequence[str] = ()) -> tuple[Path, Path]:
    """``(clone, home)``: this repository cloned into ``top/samlbroker`` (at ``commit``, else HEAD), the
    working tree's ``overlay`` files copied over it, and an empty ``top/home``."""
    clone, home = top / "samlbroker", top / "home"
    home.mkdir()
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    if commit is not None:
        subprocess.run(["git", "-C", str(clone), "checkout", "-q", commit], check=True)
    for name in overlay:
        shutil.copy2(REPO / name, clone / name)
    return clone, home


def run_demo(clone: Path, home: Path, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """``./dev demo`` in ``clone`` as a new user: HOME is ``home``, no samlbroker/AWS variables, no pip cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAMLBROKER_", "AWS_", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), PIP_NO_CACHE_DIR="1")
    return subprocess.run(
        ["./dev", "demo"],
        cwd=clone,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )


def first_run(commit: str) -> tuple[float, int, int, str]:
    """(seconds, lines printed, exit code, last line) of `./dev demo` in a fresh clone of ``commit``."""
    with tempfile.TemporaryDirectory(prefix="samlbroker-first-run-") as top:
        clone, home = fresh_clone(Path(top), commit)
        start = time.perf_counter()
        done = run_demo(clone, home)
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
