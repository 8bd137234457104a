"""``samlbroker lab demo``: the README's demo performs a full login for each built-in scheme."""

from __future__ import annotations

import pytest
from cli_runner import run_cli


@pytest.mark.parametrize("auth", ["ntlm", "negotiate", "digest", "forms"])
def test_lab_demo_logs_in_and_prints_identity_and_expiry(cli_env, auth: str) -> None:
    result = run_cli(cli_env, "lab", "demo", "--auth", auth)
    assert result.returncode == 0, result.stderr
    assert "identity:   arn:aws:sts::111122223333:assumed-role/Developer/" in result.stdout
    assert "expires:" in result.stdout
    expected = "ntlm" if auth == "negotiate" else auth
    assert f"mechanism:  {expected}" in result.stdout
