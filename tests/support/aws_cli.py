"""Debian's AWS CLI v2 (``/usr/bin/aws``) as a real consumer of our credentials.

Always called by its full path: a pyenv or pip ``aws`` earlier on PATH may be the v1 CLI. It runs under
Debian's own Python, so it gets no PYTHONPATH into this checkout.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

AWS = Path("/usr/bin/aws")
INSTALL = "`./dev test` installs it (Debian's awscli package: apt-get install awscli)"


@dataclass(frozen=True)
class AwsCli:
    path: Path
    version: str

    def env(self, base: dict[str, str]) -> dict[str, str]:
        """``base`` for the CLI: no PYTHONPATH or PYTHONHOME of ours, no pager."""
        env = {k: v for k, v in base.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env["AWS_PAGER"] = ""
        return env

    def run(self, base: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """``/usr/bin/aws ARGS`` without a terminal (as a script or job runner runs it)."""
        return subprocess.run(
            [str(self.path), *args],
            capture_output=True,
            text=True,
            env=self.env(base),
            timeout=timeout,
            check=False,
            start_new_session=True,
            stdin=subprocess.DEVNULL,
        )


def find_aws_cli() -> AwsCli:
    """The AWS CLI v2 at /usr/bin/aws; skips, saying how to install it, when it is not there."""
    if not os.access(AWS, os.X_OK):
        pytest.skip(f"Debian's AWS CLI v2 is not at {AWS}: {INSTALL}")
    out = subprocess.run(
        [str(AWS), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    match = re.match(r"aws-cli/(\d+)\.(\S+)", out.stdout + out.stderr)
    if match is None or match.group(1) != "2":
        pytest.skip(f"{AWS} is not the AWS CLI v2 ({(out.stdout + out.stderr).strip()[:80]}): {INSTALL}")
    return AwsCli(AWS, f"{match.group(1)}.{match.group(2)}")


@pytest.fixture(scope="session")
def aws_cli() -> AwsCli:
    """:func:`find_aws_cli` once per run (import it into a conftest.py)."""
    return find_aws_cli()
