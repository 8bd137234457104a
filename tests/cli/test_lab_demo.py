"""``samlbroker lab demo``: the README's demo performs a full login for each built-in scheme."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("auth", ["ntlm", "negotiate", "digest", "forms"])
def test_lab_demo_logs_in_and_prints_identity_and_expiry(cli_env, auth: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "samlbroker", "lab", "demo", "--auth", auth],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "identity:   arn:aws:sts::111122223333:assumed-role/Developer/" in result.stdout
    assert "expires:" in result.stdout
    expected = "ntlm" if auth == "negotiate" else auth
    assert f"mechanism:  {expected}" in result.stdout
