"""Kerberos fixtures: the lab's KDC (skipped, with the reason, where it cannot run) and a client per test."""

from __future__ import annotations

from pathlib import Path

import pytest


def _gssapi_missing() -> str | None:
    try:
        import gssapi  # noqa: F401
        import krb5  # noqa: F401
    except ImportError as exc:
        return f"pyspnego's Kerberos backend is not installed ({exc}): pip install 'samlbroker[kerberos]'"
    return None


@pytest.fixture
def kdc(lab: object, idp: object):
    """The lab KDC, its log mark set: tests read only what happened during them."""
    reason = _gssapi_missing()
    if reason:
        pytest.skip(reason)
    running = lab.kdc  # type: ignore[attr-defined]
    if running is None:
        pytest.skip(f"no lab KDC: {lab.kdc_unavailable}")  # type: ignore[attr-defined]
    running.mark()
    return running


@pytest.fixture
def ccache(kdc, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's ticket cache (empty until a test kinits), with the realm's client config in the environment."""
    path = tmp_path / "krb5cc"
    for name, value in kdc.client_env(path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KRB5_CLIENT_KTNAME", raising=False)
    return path


@pytest.fixture
def alice_ticket(kdc, ccache: Path) -> Path:
    """alice's TGT in this test's cache (got lab-side with kinit), the KDC log mark set after it."""
    kdc.kinit("alice", ccache)
    kdc.mark()
    return ccache


@pytest.fixture
def krb5_conf(kdc, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``krb5_conf(text)``: use another client krb5.conf for this test."""

    def use(text: str) -> Path:
        path = tmp_path / "other-krb5.conf"
        path.write_text(text)
        monkeypatch.setenv("KRB5_CONFIG", str(path))
        return path

    return use
