"""The benchmark script runs for a user (its peer-free part), and counts what the protocol needs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_bench_counts_an_ntlm_login_at_the_protocol_minimum(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--skip-peers", "--runs", "3", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    results = json.loads(out.read_text())
    assert results["ntlm_login"] == {"requests": 5, "connections": 1}
    kerberos = results["kerberos_login"]
    assert (kerberos["requests"], kerberos["connections"]) == (4, 1)
    assert kerberos["tgs_requests"] == {"first": 1, "after": 0}  # BENCHMARKS.md: one TGS-REQ, none after
    assert "1 TGS-REQ on the first login and 0 on the 2 after" in result.stdout
