"""``samlbroker logout``: the profile's keys leave the credentials file (the rest stays), then nothing is left."""

from __future__ import annotations

import stat
from pathlib import Path

from cli_runner import run_cli

from samlbroker import cache
from samlbroker.ini import read_ini
from samlbroker.profiles import load_profile

DEVELOPER = "arn:aws:iam::111122223333:role/Developer"
OTHERS = "# kept by hand\n[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other-secret\n"


def test_logout_removes_the_profiles_keys_and_cache_then_says_nothing_was_cached(
    lab, cli_env, aws_home: Path, password
) -> None:
    (aws_home / ".aws" / "config").write_text(
        f"[saml-endpoint lab]\nurl = {lab.signon_url}\nauth_type = ntlm\nca_bundle = {lab.ca_file}\n\n"
        f"[profile dev]\nsaml_endpoint = lab\nsaml_role_arn = {DEVELOPER}\nsaml_user = LAB\\alice\n"
    )
    credentials = aws_home / ".aws" / "credentials"
    credentials.write_text(OTHERS)
    credentials.chmod(0o600)
    login = run_cli(cli_env, "login", "--profile", "dev", "--password-stdin", stdin=password("alice") + "\n")
    assert login.returncode == 0, login.stderr
    assert read_ini(credentials).get("dev", "aws_access_key_id").startswith("ASIA")
    key = load_profile("dev").cache_key()
    assert cache.load(key) is not None  # login filled the cache too

    result = run_cli(cli_env, "logout", "--profile", "dev")
    assert result.returncode == 0, result.stderr
    expected = f"[dev] keys removed from {credentials}"
    assert expected in result.stderr
    assert "cached credentials removed" in result.stderr
    after = read_ini(credentials)
    assert "ASIA" not in credentials.read_text() and "aws_session_token" not in credentials.read_text()
    assert credentials.read_text().startswith(OTHERS.rstrip("\n"))  # the comment and [other] survive
    assert after.get("other", "aws_secret_access_key") == "other-secret"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert cache.load(key) is None

    again = run_cli(cli_env, "logout", "--profile", "dev")
    assert again.returncode == 0, again.stderr
    assert again.stderr.strip() == "logout dev: nothing was cached"
    assert after.sections() == read_ini(credentials).sections()
