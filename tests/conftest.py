"""Shared fixtures: one lab (IdP + STS on loopback) per test run, and an isolated AWS environment per test."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "support"))  # test helpers: pty_session, lab_keyring


def pytest_configure(config: pytest.Config) -> None:
    """Under CI=true an unexpected skip fails the run (tests/support/ci_skips.py, tests/allowed_skips.txt).

    Under CI the property tests run a fixed set of examples (the same on every run, no deadline on a
    loaded 2-core machine), so a landing never depends on the draw; local runs keep exploring new ones.
    """
    from ci_skips import register
    from hypothesis import settings

    register(config)
    settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        settings.load_profile("ci")


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The running lab; its counters are reset by ``lab_counters`` where a test reads them."""
    from samlbroker.lab.runner import Lab

    with Lab(workdir=tmp_path_factory.mktemp("lab")) as running:
        yield running


def drop_aws_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS_* variable from the outside world reaches the test."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)


@pytest.fixture
def clean_aws_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No AWS_* variables and an empty AWS config file: only what a test sets applies. Returns the file."""
    drop_aws_variables(monkeypatch)
    config = tmp_path / "aws-config"
    config.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    return config


@pytest.fixture
def aws_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lab: object) -> Path:
    """A fresh HOME with its own AWS config and credentials files, STS pointed at the lab."""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    drop_aws_variables(monkeypatch)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", lab.sts_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("AWS_CA_BUNDLE", str(lab.ca_file))  # type: ignore[attr-defined]
    return home


@pytest.fixture(scope="session")
def password(lab: object):
    """``password("alice")``: a lab user's password, read from the lab's users file (not repeated in tests)."""
    return lambda name: lab.users[name].password  # type: ignore[attr-defined]


@pytest.fixture
def cli_env(aws_home: Path) -> dict[str, str]:
    """Environment for running the CLI as a subprocess against the lab."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    env.pop("NTLM_USER_FILE", None)
    return env


PYTHON = sys.executable


@pytest.fixture
def idp(lab: object) -> object:
    """The lab IdP with its counters, failures and sessions zeroed for this test."""
    lab.idp.reset()  # type: ignore[attr-defined]
    return lab.idp  # type: ignore[attr-defined]
