"""The browser benchmark runs for a user and measures what it says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_browser_benchmark_compares_a_browser_and_a_forms_login(chrome, tmp_path: Path) -> None:
    out = tmp_path / "browser.json"
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "browser_login.py"), "--runs", "1", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-800:]
    figures = json.loads(out.read_text())
    assert figures["browser_over_forms"] == figures["browser_median_s"] / figures["forms_median_s"]
    assert "browser / forms" in result.stdout
