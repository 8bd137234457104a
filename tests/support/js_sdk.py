"""The AWS SDK for JavaScript v3 (npm packages, installed by ``./dev test`` into tests/support/jssdk) on Node.js.

:class:`JsSdk` runs ``node probe.js PROVIDER`` there, as an application would (see that script).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PACKAGE = Path(__file__).parent / "jssdk"
PROBE = PACKAGE / "probe.js"
INSTALL = "`./dev test` installs it (npm ci in tests/support/jssdk)"


@dataclass(frozen=True)
class JsSdk:
    node: Path

    def command(self, provider: str, calls: int = 1) -> list[str]:
        """The argv of the probe (for ``samlbroker exec --server -- ARGV``)."""
        return [str(self.node), str(PROBE), provider, str(calls)]

    def env(self, base: dict[str, str], lab: object) -> dict[str, str]:
        """``base`` with the lab's STS URL for the probe and the lab CA trusted by Node.js."""
        return {
            **base,
            "LAB_STS_URL": lab.sts_url,  # type: ignore[attr-defined]
            "NODE_EXTRA_CA_CERTS": str(lab.ca_file),  # type: ignore[attr-defined]
        }

    def run(self, env: dict[str, str], provider: str, calls: int = 1, timeout: float = 120) -> dict[str, Any]:
        """The probe's JSON line (``error`` set when it failed)."""
        return parse(
            subprocess.run(
                self.command(provider, calls),
                capture_output=True,
                text=True,
                env=env,
                timeout=timeout,
                check=False,
                start_new_session=True,
                stdin=subprocess.DEVNULL,
                cwd=PACKAGE,
            )
        )


def parse(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The probe's last stdout line as JSON (a clear failure, with its stderr, when there is none)."""
    lines = result.stdout.strip().splitlines()
    assert lines, f"the probe printed nothing ({result.returncode}): {result.stderr}"
    found = json.loads(lines[-1])
    assert (result.returncode == 0) == ("error" not in found), (result.returncode, found, result.stderr)
    return found


def find_js_sdk() -> JsSdk:
    """Node.js and the installed SDK packages; skips, saying how to install them, when either is missing."""
    node = shutil.which("node")
    if node is None:
        pytest.skip(f"Node.js is not on PATH: {INSTALL} once node and npm are there")
    if not (PACKAGE / "node_modules" / "@aws-sdk" / "client-sts").is_dir():
        pytest.skip(f"the AWS SDK for JavaScript is not installed in {PACKAGE}: {INSTALL}")
    return JsSdk(Path(node))
