"""``samlbroker credential-process``: the AWS CLI's view. Real processes, real files, the lab."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cli_runner import run_cli

from samlbroker import cache
from samlbroker.cache_hit import IDENTITY_VARIABLES
from samlbroker.profiles import load_profile
from samlbroker.sts import Credentials

READONLY = "arn:aws:iam::111122223333:role/ReadOnly"
DEVELOPER = "arn:aws:iam::111122223333:role/Developer"
HEAVY = ("botocore", "boto3", "requests", "urllib3", "lxml", "bs4", "signxml", "cryptography", "spnego")
# The modules of a hit whose pointer matches the config file; the first hit (no pointer yet) may add more.
HIT_MODULES = {"samlbroker", "samlbroker.cli", "samlbroker.cache_hit"}
FIRST_HIT_MODULES = HIT_MODULES | {"samlbroker.cli.process", "samlbroker.cache", "samlbroker.ini"}


def write_config(home: Path, lab: object) -> Path:
    path = home / ".aws" / "config"
    path.write_text(
        f"[saml-endpoint lab]\nurl = {lab.signon_url}\nauth_type = ntlm\nca_bundle = {lab.ca_file}\n\n"  # type: ignore[attr-defined]
        f"[profile domain]\nsaml_endpoint = lab\nsaml_role_arn = {READONLY}\n"
        "credential_process = samlbroker credential-process --profile domain\n\n"
        f"[profile alice]\nsaml_endpoint = lab\nsaml_role_arn = {DEVELOPER}\nsaml_user = LAB\\alice\n"
        "credential_process = samlbroker credential-process --profile alice\n"
    )
    return path


@pytest.fixture
def env(cli_env: dict[str, str], aws_home: Path, lab: object) -> dict[str, str]:
    write_config(aws_home, lab)
    return cli_env


@pytest.fixture
def domain_env(env: dict[str, str], tmp_path: Path, password) -> dict[str, str]:
    """The subprocess's default identity is bob (NTLM_USER_FILE)."""
    user_file = tmp_path / "ntlm-user"
    user_file.write_text(f"LAB:bob:{password('bob')}\n")
    user_file.chmod(0o600)
    return {**env, "NTLM_USER_FILE": str(user_file)}


def run(env: dict[str, str], *args: str, stdin: str = "", new_session: bool = True):
    """The CLI as botocore runs it: pipes, and (by default) no controlling terminal."""
    return run_cli(env, *args, stdin=stdin, new_session=new_session)


def seed(
    profile: str, minutes: float, key_id: str = "ASIASEEDED", env: dict[str, str] | None = None
) -> Credentials:
    """Put credentials with ``minutes`` left in the cache entry of ``profile`` (as seen from ``env``)."""
    expiry = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(minutes=minutes)
    creds = Credentials(key_id, "seeded-secret", "seeded-token", expiry)
    with pytest.MonkeyPatch.context() as patch:  # a default identity's key depends on these variables
        for name in IDENTITY_VARIABLES:
            if env and env.get(name):
                patch.setenv(name, env[name])
            else:
                patch.delenv(name, raising=False)
        cache.store(load_profile(profile).cache_key(), creds)
    return creds


def sign_ins(idp: object) -> list[str]:
    return [e["user"] for e in idp.stats()["events"] if e["outcome"] == "success"]  # type: ignore[attr-defined]


def test_cache_hit_prints_only_the_v1_json_without_asking_the_idp(env, idp) -> None:
    seeded = seed("alice", 50)
    result = run(env, "credential-process", "--profile", "alice")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = json.loads(result.stdout)
    assert out == {
        "Version": 1,
        "AccessKeyId": "ASIASEEDED",
        "SecretAccessKey": "seeded-secret",
        "SessionToken": "seeded-token",
        "Expiration": seeded.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert out["Expiration"].endswith("Z")
    assert idp.stats()["requests"] == 0


def test_cache_hit_imports_nothing_heavy(env) -> None:
    seed("alice", 50)
    probe = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "from samlbroker.cli import answer_from_cache\n"  # what the installed command runs first
        "code = answer_from_cache(['credential-process', '--profile', 'alice'])\n"
        "sys.stdout.flush()\n"
        "sys.stderr.write(repr(sorted(set(sys.modules) - before)))\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["AccessKeyId"] == "ASIASEEDED"
    loaded = eval(result.stderr)  # noqa: S307 - our own repr of a list of strings
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY]
    assert heavy == []
    assert "importlib.metadata" not in loaded  # no entry-point scan
    for slow in ("argparse", "logging", "dataclasses", "typing", "hashlib", "tempfile", "datetime"):
        assert slow not in loaded, slow
    assert {m for m in loaded if m.startswith("samlbroker")} <= FIRST_HIT_MODULES
    # The first hit left a pointer: the next one loads three small modules of ours and no config parser or JSON.
    again = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout == result.stdout
    loaded_again = set(eval(again.stderr))  # noqa: S307
    assert not {"configparser", "json", "_sha256", "__future__"} & loaded_again
    assert {m for m in loaded_again if m.startswith("samlbroker")} == HIT_MODULES


@pytest.mark.parametrize("stdout", ["closed", "broken pipe"])
def test_a_hit_that_cannot_write_says_so_in_one_line_and_does_not_log_in(env, idp, stdout: str) -> None:
    seed("alice", 50)
    read_end, write_end = os.pipe()
    os.close(read_end)  # a reader that went away: the write gets EPIPE
    try:
        command = [sys.executable, "-m", "samlbroker", "credential-process", "--profile", "alice"]
        if stdout == "closed":  # the child starts with no file descriptor 1 at all
            command = ["sh", "-c", 'exec "$@" >&-', "sh", *command]
        result = subprocess.run(
            command,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("samlbroker: could not write the credentials to standard output")
    assert idp.stats()["requests"] == 0


def test_a_config_edit_sends_the_hit_down_the_full_path(env) -> None:
    seed("alice", 50)
    assert (
        json.loads(run(env, "credential-process", "--profile", "alice").stdout)["AccessKeyId"] == "ASIASEEDED"
    )
    config = Path(env["AWS_CONFIG_FILE"])
    text = config.read_text()
    assert "role/Developer" in text
    config.write_text(text.replace("role/Developer", "role/ReadOnly"))
    result = run(env, "credential-process", "--profile", "alice")
    # Another role now: the pointer no longer matches the file, and the old role's entry is not served.
    assert "ASIASEEDED" not in result.stdout
    assert result.returncode != 0
    assert "samlbroker login --profile alice" in result.stderr


def test_less_than_15_minutes_left_logs_in_first(domain_env, idp) -> None:
    seed("domain", 14, env=domain_env)
    result = run(domain_env, "credential-process", "--profile", "domain")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["AccessKeyId"] != "ASIASEEDED"
    expires = dt.datetime.strptime(out["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    assert expires - dt.datetime.now(dt.timezone.utc) > dt.timedelta(minutes=50)
    assert sign_ins(idp) == ["bob"]
    again = run(domain_env, "credential-process", "--profile", "domain")
    assert json.loads(again.stdout) == out  # now served from the cache
    assert sign_ins(idp) == ["bob"]


def test_another_ticket_cache_never_gets_the_default_identitys_credentials(domain_env, idp) -> None:
    seed("domain", 50, env=domain_env)
    first = run(domain_env, "credential-process", "--profile", "domain")
    assert json.loads(first.stdout)["AccessKeyId"] == "ASIASEEDED"  # the seeded identity's own hit
    script = {**domain_env, "KRB5CCNAME": f"FILE:{domain_env['HOME']}/service.ccache"}
    other = run(script, "credential-process", "--profile", "domain")
    assert other.returncode == 0, other.stderr
    assert json.loads(other.stdout)["AccessKeyId"] != "ASIASEEDED"  # logged in as itself instead
    assert sign_ins(idp) == ["bob"]
    again = run(domain_env, "credential-process", "--profile", "domain")
    assert json.loads(again.stdout)["AccessKeyId"] == "ASIASEEDED"  # and each keeps its own
    assert sign_ins(idp) == ["bob"]


def test_expired_and_no_terminal_fails_fast_saying_run_login(env, idp) -> None:
    seed("alice", -5)
    result = run(env, "credential-process", "--profile", "alice")  # no terminal: nothing to wait for
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "run `samlbroker login --profile alice`" in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert idp.stats()["events"] == []


def test_login_fills_the_cache_and_leaves_the_credentials_file_alone(env, aws_home, idp, password) -> None:
    result = run(env, "login", "--profile", "alice", "--password-stdin", stdin=password("alice") + "\n")
    assert result.returncode == 0, result.stderr
    assert not (aws_home / ".aws" / "credentials").exists()
    served = run(env, "credential-process", "--profile", "alice")
    assert served.returncode == 0, served.stderr
    assert json.loads(served.stdout)["AccessKeyId"].startswith("ASIA")
    assert sign_ins(idp) == ["alice"]


def test_changing_the_profile_role_never_serves_the_old_roles_credentials(env, aws_home, idp) -> None:
    seed("alice", 50, key_id="ASIADEVELOPER")
    config = aws_home / ".aws" / "config"
    config.write_text(
        config.read_text().replace(
            f"saml_role_arn = {DEVELOPER}\nsaml_user", f"saml_role_arn = {READONLY}\nsaml_user"
        )
    )
    result = run(env, "credential-process", "--profile", "alice")
    assert result.returncode == 1 and "ASIADEVELOPER" not in result.stdout
    assert "samlbroker login --profile alice" in result.stderr


def test_unknown_profile_is_a_one_line_error(env) -> None:
    result = run(env, "credential-process", "--profile", "nope")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == f"samlbroker: profile 'nope' is not in {Path(env['AWS_CONFIG_FILE'])}"


def test_twenty_processes_with_an_expired_cache_log_in_once(domain_env, idp) -> None:
    seed("domain", -1, env=domain_env)

    def one(_: int) -> subprocess.CompletedProcess[str]:
        return run(domain_env, "credential-process", "--profile", "domain")

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(one, range(20)))
    assert [r.returncode for r in results] == [0] * 20, [r.stderr for r in results if r.returncode]
    keys = {json.loads(r.stdout)["AccessKeyId"] for r in results}
    assert len(keys) == 1 and "ASIASEEDED" not in keys
    assert sign_ins(idp) == ["bob"]  # exactly one IdP login, counted at the lab


def test_an_edit_that_keeps_the_config_size_still_invalidates_the_pointer(env, aws_home, idp) -> None:
    seed("alice", 50, key_id="ASIADEVELOPER")
    first = run(env, "credential-process", "--profile", "alice")
    assert json.loads(first.stdout)["AccessKeyId"] == "ASIADEVELOPER"  # and the pointer is written
    config = aws_home / ".aws" / "config"
    before = config.stat()
    other_account = DEVELOPER.replace("111122223333", "444455556666")  # the same length: the same size
    config.write_text(
        config.read_text().replace(
            f"saml_role_arn = {DEVELOPER}\nsaml_user", f"saml_role_arn = {other_account}\nsaml_user"
        )
    )
    later = before.st_mtime_ns + 1_000_000_000  # a clock tick later, whatever the file system's resolution
    os.utime(config, ns=(later, later))
    assert config.stat().st_size == before.st_size and config.stat().st_mtime_ns != before.st_mtime_ns
    result = run(env, "credential-process", "--profile", "alice")
    assert result.returncode == 1 and "ASIADEVELOPER" not in result.stdout
    assert "samlbroker login --profile alice" in result.stderr
