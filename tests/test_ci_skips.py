"""Under CI=true a skip that tests/allowed_skips.txt does not explain fails the run (tests/support/ci_skips.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ci_skips import ALLOW_LIST, allowed, load_allow_list

REPO = Path(__file__).resolve().parents[1]


def _pytest(target: str, ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"tests/support/{target}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_skip_under_ci_fails_the_run_naming_the_test_and_the_reason() -> None:
    result = _pytest("skip_probe.py", ci="true")
    assert result.returncode == 1, result.stdout
    assert "1 failed" in result.stdout
    assert (
        "unexpected skip under CI: tests/support/skip_probe.py::test_skips_as_a_missing_part_would: "
        "the probe's part is missing"
    ) in result.stdout


def test_the_same_skip_outside_ci_stays_a_skip() -> None:
    result = _pytest("skip_probe.py", ci=None)
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout and "unexpected skip" not in result.stdout


def test_a_module_level_importorskip_under_ci_fails_the_run() -> None:
    result = _pytest("skip_probe_module.py", ci="true")
    assert result.returncode != 0, result.stdout
    assert "unexpected skip under CI: tests/support/skip_probe_module.py" in result.stdout
    assert "the probe's module is not installed" in result.stdout


def test_the_allow_list_needs_a_reason_on_every_line(tmp_path: Path) -> None:
    listed = tmp_path / "allowed.txt"
    listed.write_text("# comment\n\ntests/a.py::test_x -- the part cannot exist on CI's machine\n")
    entries = load_allow_list(listed)
    assert allowed("tests/a.py::test_x", entries).why == "the part cannot exist on CI's machine"
    assert allowed("tests/a.py::test_y", entries) is None
    listed.write_text("tests/a.py::test_x\n")
    with pytest.raises(pytest.UsageError, match="line 1"):
        load_allow_list(listed)


def test_every_allowed_skip_names_a_test_that_exists() -> None:
    """No stale entries: each pattern matches a test function in the tree, so the list stays short."""
    for entry in load_allow_list(ALLOW_LIST):
        path, _, name = entry.pattern.partition("::")
        assert (REPO / path).is_file(), entry.pattern
        assert f"def {name}(" in (REPO / path).read_text(), entry.pattern
