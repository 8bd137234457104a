"""The credentials cache: keyed by identity, private files, no secrets of the user, corrupt entries ignored."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

from samlbroker import cache
from samlbroker.ini import read_ini
from samlbroker.profiles import load_profile
from samlbroker.sts import Credentials

URL = "https://adfs.example/adfs/ls/IdpInitiatedSignOn.aspx"
ROLE = "arn:aws:iam::111122223333:role/Dev"


# A fixed expiry, far enough ahead to stay valid, so no check depends on when the test runs.
EXPIRY = dt.datetime(2040, 1, 1, 12, 0, tzinfo=dt.timezone.utc)


def creds(minutes: float = 60) -> Credentials:
    expiry = EXPIRY + dt.timedelta(minutes=minutes - 60)
    return Credentials("ASIACACHE", "secret", "token", expiry, "arn:aws:sts::111122223333:assumed-role/Dev/a")


def test_key_changes_with_endpoint_user_role_and_partition() -> None:
    base = cache.key_for(URL, "CORP\\alice", ROLE)
    others = {
        cache.key_for(URL + "x", "CORP\\alice", ROLE),
        cache.key_for(URL, "CORP\\bob", ROLE),
        cache.key_for(URL, None, ROLE),
        cache.key_for(URL, "CORP\\alice", ROLE.replace("Dev", "Ops")),
        cache.key_for(URL, "CORP\\alice", ROLE.replace("arn:aws:", "arn:aws-us-gov:")),
        cache.key_for(URL, "CORP\\alice", None),
    }
    assert base not in others and len(others) == 6
    assert cache.key_for(URL, "CORP\\alice", ROLE) == base


def test_a_default_identitys_key_follows_its_ticket_cache_and_ntlm_user_file(monkeypatch) -> None:
    monkeypatch.delenv("KRB5CCNAME", raising=False)
    monkeypatch.delenv("NTLM_USER_FILE", raising=False)
    desktop, alice = cache.key_for(URL, None, ROLE), cache.key_for(URL, "CORP\\alice", ROLE)
    monkeypatch.setenv("KRB5CCNAME", "FILE:/tmp/service.ccache")
    service = cache.key_for(URL, None, ROLE)
    monkeypatch.setenv("NTLM_USER_FILE", "/etc/samlbroker/ntlm-user")
    assert len({desktop, service, cache.key_for(URL, None, ROLE)}) == 3
    assert cache.key_for(URL, "CORP\\alice", ROLE) == alice  # a named user is the same user everywhere


def test_profile_key_read_from_raw_config_matches_the_loaded_profile(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(
        f"[saml-endpoint corp]\nurl = {URL}   ; inline comment\n\n[default]\nsaml_endpoint = corp\n\n"
        f"[profile dev]\nsaml_endpoint = corp\nsaml_role_arn = {ROLE}\nsaml_user = CORP\\alice\n\n"
        "[profile bare]\nsaml_endpoint = corp\n\n[profile plain]\nregion = us-east-1\n"
    )
    parser = read_ini(path)
    for name in ("default", "dev", "bare"):
        assert cache.profile_key(parser, name) == load_profile(name, path).cache_key()
    assert cache.profile_key(parser, "dev") == cache.key_for(URL, "CORP\\alice", ROLE)
    assert cache.profile_key(parser, "plain") is None
    assert cache.profile_key(parser, "missing") is None


def test_stored_entry_is_private_and_reads_back(aws_home: Path) -> None:
    key = cache.key_for(URL, None, ROLE)
    path = Path(cache.store(key, creds(), endpoint=URL, role_arn=ROLE))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.parent == aws_home / ".aws" / "samlbroker" / "cache"
    entry = cache.load(key)
    assert entry is not None
    back = cache.to_credentials(entry)
    assert back == creds() and back.expiration.tzinfo is not None
    assert entry["expiration"].endswith("Z")
    assert cache.seconds_left(entry, now=EXPIRY.timestamp() - 3600) == 3600
    assert cache.seconds_left(entry, now=EXPIRY.timestamp() + 1) == -1
    expires_line, ready_line, entry_json = path.read_text().split("\n", 2)
    assert float(expires_line) == entry["expires_at"]
    assert json.loads(ready_line) == json.loads(cache.process_json(entry))
    assert set(json.loads(entry_json)) <= {
        "format", "access_key_id", "secret_access_key", "session_token", "expiration", "expires_at",
        "assumed_role_arn", "endpoint", "role_arn",
    }  # fmt: skip


def test_process_json_is_the_aws_v1_shape(aws_home: Path) -> None:
    key = cache.key_for(URL, None, ROLE)
    cache.store(key, creds())
    out = json.loads(cache.process_json(cache.load(key)))  # type: ignore[arg-type]
    assert out["Version"] == 1
    assert set(out) == {
        "Version",
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
        "AccountId",
    }
    assert dt.datetime.strptime(out["Expiration"], "%Y-%m-%dT%H:%M:%SZ")
    assert out["AccountId"] == "111122223333"  # from the assumed role's ARN (the SDKs read it)


def test_process_json_names_an_account_only_where_an_arn_gives_one(aws_home: Path) -> None:
    plain = {"access_key_id": "A", "secret_access_key": "s", "session_token": "t", "expiration": "x"}
    assert "AccountId" not in json.loads(cache.process_json(plain))
    assert "AccountId" not in json.loads(cache.process_json({**plain, "assumed_role_arn": "not:an:arn"}))
    assert json.loads(cache.process_json({**plain, "role_arn": ROLE}))["AccountId"] == "111122223333"


def test_corrupt_or_foreign_entries_are_a_miss(aws_home: Path) -> None:
    key = cache.key_for(URL, None, ROLE)
    cache.store(key, creds())
    path = Path(cache.entry_path(key))
    for text in ("{not json", "[]", json.dumps({"format": 99}), ""):
        path.write_text(text)
        assert cache.load(key) is None
    cache.remove(key)
    cache.remove(key)  # twice: nothing to remove is fine
    assert cache.load(key) is None
