"""`./dev demo` as a new user meets it: a fresh clone, an empty HOME, nothing cached.

The demo installs only what its ``--auth`` needs (no Kerberos wheels for NTLM) and prints only its own
lines (pip's and setuptools' output goes to ``.venv/setup.log``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from bench_scripts import load_bench

# What the demo itself says: the setup line of ./dev, the lab's progress lines, and the result table.
OWN_LINE_PREFIXES = ("dev: ", "... ", "identity:", "role:", "mechanism:", "access key:", "expires:")


@pytest.fixture(scope="module")
def first_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed: the first-run test clones the repository")
    first_run = load_bench("first_run")  # its fresh clone and new-user run, shared with the bench
    # The working tree as it is (a clean checkout in CI; uncommitted edits while developing).
    clone, home = first_run.fresh_clone(
        tmp_path_factory.mktemp("first-run"), overlay=("dev", "pyproject.toml")
    )
    done = first_run.run_demo(clone, home, timeout=600)
    return done, clone


@pytest.mark.timeout(660)
def test_first_demo_logs_in_and_prints_only_its_own_lines(first_demo) -> None:
    done, _ = first_demo
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    foreign = [line for line in lines if not line.startswith(OWN_LINE_PREFIXES)]
    assert foreign == [], "lines the demo did not write itself:\n" + "\n".join(foreign)
    assert any(line.startswith("identity:   arn:aws:sts::") for line in lines)


@pytest.mark.timeout(660)
def test_first_ntlm_demo_installs_no_kerberos_wheels(first_demo) -> None:
    done, clone = first_demo
    assert done.returncode == 0, done.stdout
    python = clone / ".venv" / "bin" / "python"
    for module in ("gssapi", "krb5"):
        probe = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True)
        assert probe.returncode != 0, f"the NTLM demo installed {module}"
    assert not list((clone.parent / "home" / ".cache").glob("samlbroker-wheels/gssapi-*.whl"))
