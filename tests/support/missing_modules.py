"""Run the ``samlbroker`` command in a Python where some modules cannot be imported (an extra not installed)."""

from __future__ import annotations

import subprocess

from cli_runner import run_python

_RUN_WITHOUT = """
import runpy, sys

MISSING = set(sys.argv[1].split(","))


class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in MISSING:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NotInstalled())
sys.argv = ["samlbroker", *sys.argv[2:]]
runpy.run_module("samlbroker", run_name="__main__", alter_sys=True)
"""


def run_cli_without(
    modules: tuple[str, ...], env: dict[str, str], *args: str, stdin: str = "", timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m samlbroker ARGS`` (pipes, no controlling terminal) with ``modules`` not importable."""
    return run_python(
        env, "-c", _RUN_WITHOUT, ",".join(modules), *args, stdin=stdin, new_session=True, timeout=timeout
    )
