"""``exec --server`` and ``serve``: a loopback container-credentials endpoint, fetched by real botocore clients.

The endpoint runs in its own samlbroker process against the lab; clients are botocore in other processes.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import select
import signal
import socket
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cli_runner import run_cli, run_python
from endpoint_runner import get, serve

from samlbroker import cache
from samlbroker.cache_hit import IDENTITY_VARIABLES
from samlbroker.lab.variant import IdPVariant
from samlbroker.profiles import load_profile
from samlbroker.refresher import RETRY_AFTER
from samlbroker.sts import Credentials

READONLY = "arn:aws:iam::111122223333:role/ReadOnly"
DEVELOPER = "arn:aws:iam::111122223333:role/Developer"


def write_config(home: Path, lab: object) -> Path:
    path = home / ".aws" / "config"
    path.write_text(
        f"[saml-endpoint lab]\nurl = {lab.signon_url}\nauth_type = ntlm\nca_bundle = {lab.ca_file}\n\n"  # type: ignore[attr-defined]
        f"[profile domain]\nsaml_endpoint = lab\nsaml_role_arn = {READONLY}\nregion = us-east-1\n"
        "credential_process = samlbroker credential-process --profile domain\n\n"
        f"[profile alice]\nsaml_endpoint = lab\nsaml_role_arn = {DEVELOPER}\nsaml_user = LAB\\alice\n"
        "region = us-east-1\n"
    )
    return path


@pytest.fixture
def env(cli_env: dict[str, str], aws_home: Path, lab: object, tmp_path: Path, password) -> dict[str, str]:
    """The CLI's environment: profiles ``domain`` (default identity: bob, through NTLM_USER_FILE) and ``alice``."""
    write_config(aws_home, lab)
    user_file = tmp_path / "ntlm-user"
    user_file.write_text(f"LAB:bob:{password('bob')}\n")
    user_file.chmod(0o600)
    return {**cli_env, "NTLM_USER_FILE": str(user_file)}


@pytest.fixture
def sts(lab: object):
    """The lab STS; a test may set ``sts.issue_lifetime`` (restored afterwards)."""
    lab.sts.reset()  # type: ignore[attr-defined]
    yield lab.sts  # type: ignore[attr-defined]
    lab.sts.issue_lifetime = None  # type: ignore[attr-defined]


def seed(profile: str, minutes: float, env: dict[str, str], key_id: str = "ASIASEEDED") -> Credentials:
    """Credentials with ``minutes`` left in the cache entry of ``profile`` as ``env``'s identity sees it."""
    expiry = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(minutes=minutes)
    creds = Credentials(key_id, "seeded-secret", "seeded-token", expiry, f"{READONLY}/seeded")
    with pytest.MonkeyPatch.context() as patch:
        for name in IDENTITY_VARIABLES:
            if env.get(name):
                patch.setenv(name, env[name])
            else:
                patch.delenv(name, raising=False)
        cache.store(load_profile(profile).cache_key(), creds)
    return creds


def cached(profile: str, env: dict[str, str]) -> dict[str, object]:
    with pytest.MonkeyPatch.context() as patch:
        for name in IDENTITY_VARIABLES:
            if env.get(name):
                patch.setenv(name, env[name])
        entry = cache.load(load_profile(profile).cache_key())
    assert entry is not None
    return entry


def sign_ins(idp: object) -> list[str]:
    return [e["user"] for e in idp.stats()["events"] if e["outcome"] == "success"]  # type: ignore[attr-defined]


def exec_server(env: dict[str, str], code: str, *, profile: str = "domain", timeout: float = 120):
    """``samlbroker exec --profile PROFILE --server -- python -c CODE`` without a terminal."""
    return run_cli(
        env,
        "exec",
        "--profile",
        profile,
        "--server",
        "--",
        sys.executable,
        "-c",
        textwrap.dedent(code),
        new_session=True,
        timeout=timeout,
    )


BOTOCORE_PROBE = """
    import json, os, botocore.session
    session = botocore.session.Session()
    creds = session.get_credentials()
    frozen = creds.get_frozen_credentials()
    sts = session.create_client("sts", endpoint_url=os.environ["AWS_ENDPOINT_URL_STS"])
    print(json.dumps({
        "method": creds.method,
        "key": frozen.access_key,
        "account_id": getattr(creds, "account_id", None),
        "arn": sts.get_caller_identity()["Arn"],
        "env": {k: v for k, v in os.environ.items() if k.startswith("AWS_")},
    }))
"""


def test_botocore_takes_container_role_credentials_from_exec_server(env, idp, sts) -> None:
    result = exec_server(env, BOTOCORE_PROBE)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["method"] == "container-role"
    assert seen["arn"].startswith("arn:aws:sts::111122223333:assumed-role/ReadOnly/")
    assert seen["key"] == cached("domain", env)["access_key_id"]  # what the endpoint served is the cache's
    assert seen["account_id"] == "111122223333"
    uri = seen["env"]["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    assert uri.startswith("http://127.0.0.1:") and uri.endswith("/credentials")
    assert sign_ins(idp) == ["bob"]


def test_cmd_gets_a_32_byte_token_and_none_of_the_variables_that_would_win(env) -> None:
    seed("domain", 50, env)
    outside = {
        "AWS_ACCESS_KEY_ID": "AKIASTATIC",
        "AWS_SECRET_ACCESS_KEY": "static",
        "AWS_SESSION_TOKEN": "static",
        "AWS_PROFILE": "domain",
        "AWS_DEFAULT_PROFILE": "domain",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/other",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/nonexistent/token",
    }
    probe = (
        "import json, os; print(json.dumps({k: v for k, v in os.environ.items() if k.startswith('AWS_')}))"
    )
    result = exec_server({**env, **outside}, probe)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert not set(outside) & set(seen), set(outside) & set(seen)
    token = seen["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) == 32
    assert seen["AWS_REGION"] == "us-east-1"
    again = json.loads(exec_server(env, probe).stdout)
    assert again["AWS_CONTAINER_AUTHORIZATION_TOKEN"] != token  # a new one every run


@pytest.mark.parametrize("code", [0, 3, 42])
def test_exec_server_passes_the_exit_code_through(env, code: int) -> None:
    seed("domain", 50, env)
    assert exec_server(env, f"raise SystemExit({code})").returncode == code


def test_exec_server_of_a_missing_command_is_127(env) -> None:
    seed("domain", 50, env)
    result = run_cli(
        env, "exec", "--profile", "domain", "--server", "--", "no-such-command-here", new_session=True
    )
    assert result.returncode == 127 and "command not found" in result.stderr


EXEC_SERVER = (sys.executable, "-m", "samlbroker", "exec", "--profile", "domain", "--server", "--")
SIGNAL_PROBE = """
    import signal, sys, time
    seen = []
    for name in ("SIGTERM", "SIGINT", "SIGUSR1"):
        signal.signal(getattr(signal, name), lambda n, f: seen.append(signal.Signals(n).name))
    print("ready", flush=True)
    deadline = time.monotonic() + 60
    while "SIGTERM" not in seen and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # a second copy of any signal would arrive by now
    print(",".join(seen), flush=True)
    sys.exit(7)
"""


def test_signals_sent_to_samlbroker_reach_cmd_once_and_its_exit_code_comes_back(env) -> None:
    seed("domain", 50, env)
    process = subprocess.Popen(
        [*EXEC_SERVER, sys.executable, "-c", textwrap.dedent(SIGNAL_PROBE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        assert process.stdout.readline() == "ready\n"  # type: ignore[union-attr]
        for number in (signal.SIGUSR1, signal.SIGINT, signal.SIGTERM):
            process.send_signal(number)
            time.sleep(0.2)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 7, err
    assert sorted(out.strip().split(",")) == ["SIGINT", "SIGTERM", "SIGUSR1"]  # each once


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="tells a terminal's signal apart on Linux")
def test_the_terminals_ctrl_c_is_not_sent_again(env) -> None:
    """The terminal signals its foreground process group itself; samlbroker must not send a second SIGINT.

    CMD leaves that group here, so the only SIGINT it could get is one samlbroker sent (a second one, had CMD
    stayed: terraform then aborts at once instead of stopping cleanly).
    """
    import pty

    seed("domain", 50, env)
    probe = SIGNAL_PROBE.replace("import signal, sys, time", "import os, signal, sys, time; os.setpgid(0, 0)")
    # A session of its own whose controlling terminal is the pty (as a shell in a terminal window has).
    starter = (
        "import os, sys; os.setsid(); os.close(os.open(os.ttyname(0), os.O_RDWR)); "
        "os.execvp(sys.argv[1], sys.argv[1:])"
    )
    leader, follower = pty.openpty()
    command = [
        sys.executable,
        "-c",
        starter,
        sys.executable,
        "-m",
        "samlbroker",
        "exec",
        "--profile",
        "domain",
    ]
    command += ["--server", "--", sys.executable, "-c", textwrap.dedent(probe)]
    process = subprocess.Popen(command, stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"ready" not in seen and time.monotonic() < deadline:
            if select.select([leader], [], [], 1)[0]:
                seen += os.read(leader, 4096)
        os.write(leader, b"\x03")  # Ctrl-C: the terminal signals its foreground process group (samlbroker's)
        time.sleep(0.5)
        assert process.poll() is None  # samlbroker waits for CMD whatever arrives
        process.send_signal(signal.SIGTERM)  # sent by someone: passed on
        process.wait(timeout=60)
        while select.select([leader], [], [], 1)[0]:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if process.poll() is None:
            process.kill()
        os.close(leader)
    assert process.returncode == 7, seen
    lines = seen.decode(errors="replace").replace("\r", "").replace("^C", "").split("\n")
    assert "SIGTERM" in lines, seen  # and no SIGINT before it


def test_wrong_or_missing_token_other_methods_and_a_foreign_host_get_403_json(env) -> None:
    seed("domain", 50, env)
    with serve(env) as served:
        assert get(served.url, served.token)[0] == 200
        for token in (None, "", "wrong", served.token + "x", served.token[:-1]):
            status, body = get(served.url, token)
            assert status == 403 and body["code"] == "AccessDenied", token
            assert served.token not in json.dumps(body)
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"):
            status, body = get(served.url, served.token, method=method)
            assert status == 403, method
        for host in (
            f"attacker.example:{served.port}",
            f"localhost.attacker.example:{served.port}",
            "127.0.0.1",
        ):
            status, body = get(served.url, served.token, host=host)
            assert status == 403 and "Host" in body["message"], host
        assert (
            get(served.url, served.token, host=f"localhost:{served.port}")[0] == 200
        )  # the other loopback name
        status, body = get(served.url.replace("/credentials", "/roles/Admin"), served.token)
        assert status == 404  # no other route: nothing assumes another role


def test_the_endpoint_listens_on_127_0_0_1_alone(env) -> None:
    seed("domain", 50, env)
    with serve(env, "--port", "0") as served:
        with socket.create_connection(("127.0.0.1", served.port), timeout=5):
            pass
        with pytest.raises(OSError), socket.create_connection(("127.0.0.2", served.port), timeout=5):
            pass  # bound to 127.0.0.1, not to every address


def test_serve_prints_sh_lines_that_a_real_shell_and_botocore_use(env) -> None:
    seed("domain", 50, env)
    outside = {
        **env,
        "AWS_PROFILE": "domain",
        "AWS_ACCESS_KEY_ID": "AKIASTATIC",
        "AWS_SECRET_ACCESS_KEY": "x",
    }
    with serve(outside) as served:
        probe = (
            "import botocore.session as s; c = s.Session().get_credentials(); print(c.method, c.access_key)"
        )
        shell = subprocess.run(
            ["sh", "-c", served.printed + f'exec "{sys.executable}" -c "$0"', probe],
            capture_output=True,
            text=True,
            env=outside,
            timeout=60,
            check=False,
        )
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.split() == ["container-role", "ASIASEEDED"]
    assert "# samlbroker serve (profile domain): stop it with `kill" in served.printed
    assert served.process.returncode == 0  # SIGTERM is a clean stop


@pytest.mark.parametrize("shell", ["fish", "powershell"])
def test_serve_prints_fish_and_powershell_lines(env, shell: str) -> None:
    seed("domain", 50, env)
    with serve(env, "--shell", shell) as served:
        printed = served.printed
    if shell == "fish":
        assert (
            "set -e AWS_PROFILE\n" in printed
            and "set -gx AWS_CONTAINER_CREDENTIALS_FULL_URI 'http://127.0.0.1:" in printed
        )
    else:
        assert "$env:AWS_CONTAINER_AUTHORIZATION_TOKEN = '" in printed and "Stop-Process -Id" in printed


def test_token_file_is_0600_without_a_newline_and_botocore_reads_it(env, tmp_path: Path) -> None:
    seed("domain", 50, env)
    token_file = tmp_path / "endpoint.token"
    with serve(env, "--token-file", str(token_file)) as served:
        assert "AWS_CONTAINER_AUTHORIZATION_TOKEN" not in served.variables
        assert served.variables["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] == str(token_file)
        assert "AWS_CONTAINER_AUTHORIZATION_TOKEN" in served.unset
        token = token_file.read_bytes()
        assert token_file.stat().st_mode & 0o777 == 0o600
        assert not token.endswith(b"\n") and len(token) == 43
        assert token.decode() not in served.printed  # the token itself is never printed
        probe = "import botocore.session as s; print(s.Session().get_credentials().access_key)"
        out = subprocess.run(
            [sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            env=served.client_env(env),
            timeout=60,
            check=False,
        )
        assert out.stdout.strip() == "ASIASEEDED", out.stderr
    assert not token_file.exists()  # gone with the endpoint


def test_a_default_profile_with_its_own_keys_is_warned_about(env, aws_home: Path) -> None:
    seed("domain", 50, env)
    (aws_home / ".aws" / "credentials").write_text(
        "[default]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = x\n"
    )
    result = exec_server(env, "pass")
    assert result.returncode == 0, result.stderr
    assert "the [default] profile of" in result.stderr and "aws_access_key_id" in result.stderr
    assert "AKIAOTHER" not in result.stderr


def test_nothing_valid_and_no_terminal_fails_before_cmd_runs_in_one_line(env, idp, tmp_path: Path) -> None:
    seed("alice", -5, env)
    marker = tmp_path / "ran"
    result = exec_server(env, f"open({str(marker)!r}, 'w')", profile="alice")
    assert result.returncode == 1 and not marker.exists()
    assert result.stderr.strip().splitlines()[-1].endswith("run `samlbroker login --profile alice`")
    assert "Traceback" not in result.stderr
    assert idp.stats()["events"] == []


HERD_CLIENT = """
    import datetime as dt, json, sys, botocore.session
    frozen = botocore.session.Session().get_credentials().get_frozen_credentials()
    print(frozen.access_key)
"""


def test_many_clients_while_a_refresh_is_due_cause_one_idp_login(env, idp, sts) -> None:
    seed("domain", 12, env)  # valid, but under 20 minutes: every endpoint and credential-process refreshes
    idp.variant = IdPVariant(delay=0.3)  # a slow IdP: the sign-in is still under way as the herd arrives

    def credential_process(_: int) -> subprocess.CompletedProcess[str]:
        return run_cli(env, "credential-process", "--profile", "domain", new_session=True)

    def botocore_client(served_env: dict[str, str]) -> str:
        out = run_python(served_env, "-c", textwrap.dedent(HERD_CLIENT), timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    with serve(env) as first, serve(env) as second, ThreadPoolExecutor(max_workers=24) as pool:
        processes = [pool.submit(credential_process, i) for i in range(6)]
        clients = [pool.submit(botocore_client, s.client_env(env)) for s in (first, second) for _ in range(8)]
        keys = [c.result() for c in clients]
        results = [p.result() for p in processes]
        deadline = time.monotonic() + 30
        new_key = None
        while new_key is None and time.monotonic() < deadline:  # the refresh finishes in the background
            answers = {get(s.url, s.token)[1]["AccessKeyId"] for s in (first, second)}
            new_key = answers.pop() if len(answers) == 1 and "ASIASEEDED" not in answers else None
            time.sleep(0.1)
    assert [r.returncode for r in results] == [0] * len(results), [r.stderr for r in results]
    assert set(keys) <= {"ASIASEEDED", new_key}  # the still-valid old ones at once, or the new ones
    assert {json.loads(r.stdout)["AccessKeyId"] for r in results} == {new_key}
    assert new_key == cached("domain", env)["access_key_id"]
    assert sign_ins(idp) == ["bob"]  # exactly one IdP login, counted at the lab


EXPIRY_PROBE = """
    import datetime as dt, json, os, time, botocore.session
    session = botocore.session.Session()
    sts = session.create_client("sts", endpoint_url=os.environ["AWS_ENDPOINT_URL_STS"])
    creds = session.get_credentials()
    first = creds.get_frozen_credentials()
    arns = [sts.get_caller_identity()["Arn"]]
    expiry = creds._expiry_time
    while dt.datetime.now(dt.timezone.utc) < expiry + dt.timedelta(seconds=1):
        time.sleep(0.2)  # past the first credentials' real expiry
    arns.append(sts.get_caller_identity()["Arn"])  # the same client, refreshing through the endpoint
    second = creds.get_frozen_credentials()
    stale = session.create_client(
        "sts", endpoint_url=os.environ["AWS_ENDPOINT_URL_STS"],
        aws_access_key_id=first.access_key, aws_secret_access_key=first.secret_key, aws_session_token=first.token,
    )
    try:
        stale.get_caller_identity()
        old = "accepted"
    except Exception as exc:
        old = type(exc).__name__ + ": " + str(exc)
    print(json.dumps({"first": first.access_key, "second": second.access_key, "arns": arns, "old": old,
                      "lifetime": (expiry - dt.datetime.now(dt.timezone.utc)).total_seconds()}))
"""


def test_botocore_refreshes_across_a_real_expiry(env, idp, sts) -> None:
    sts.issue_lifetime = 12  # the lab STS hands out 12-second credentials
    result = exec_server(env, EXPIRY_PROBE)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["first"] != seen["second"]
    assert all(arn.startswith("arn:aws:sts::111122223333:assumed-role/ReadOnly/") for arn in seen["arns"])
    assert "ExpiredToken" in seen["old"]  # the first credentials did expire: the STS refused them


def test_a_refresh_that_needs_the_user_answers_at_once_and_says_what_to_run(env, idp, sts, password) -> None:
    sts.issue_lifetime = 25  # long enough to be served once on a loaded machine, short enough to wait out
    login = run_cli(env, "login", "--profile", "alice", "--password-stdin", stdin=password("alice") + "\n")
    assert login.returncode == 0, login.stderr
    first_key = cached("alice", env)["access_key_id"]
    with serve(env, profile="alice") as served:
        told = served.stderr_until("cannot refresh by itself")
        assert "run `samlbroker login --profile alice`" in told and "password of LAB\\alice" in told
        status, body = get(served.url, served.token)
        assert status == 200 and body["AccessKeyId"] == first_key  # still valid: served at once
        expires = dt.datetime.strptime(body["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=dt.timezone.utc
        )
        while dt.datetime.now(dt.timezone.utc) < expires - dt.timedelta(seconds=4):
            time.sleep(0.2)  # under five seconds left: never handed out
        status, body = get(served.url, served.token)  # answered, not held: the endpoint never prompts
        assert status == 503 and body["code"] == "LoginRequired"
        assert "samlbroker login --profile alice" in body["message"]
        sts.issue_lifetime = None
        login = run_cli(
            env, "login", "--profile", "alice", "--password-stdin", stdin=password("alice") + "\n"
        )
        assert login.returncode == 0, login.stderr
        status, body = get(served.url, served.token)
        assert status == 200 and body["AccessKeyId"] == cached("alice", env)["access_key_id"] != first_key
        served.stderr_until("fresh credentials again")
    assert sign_ins(idp) == ["alice", "alice"]  # the two logins the user ran; the endpoint never signed in


def test_a_refused_sign_in_is_never_retried_by_the_endpoint(env, idp, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong-ntlm-user"
    wrong.write_text("LAB:bob:not-bobs-password\n")
    wrong.chmod(0o600)
    env = {**env, "NTLM_USER_FILE": str(wrong)}
    seed("domain", 12, env)  # valid but due: the endpoint tries a refresh at once
    with serve(env) as served:
        told = served.stderr_until("cannot refresh by itself")
        assert "run `samlbroker login --profile domain`" in told
        for _ in range(20):  # every request wakes the refresher: none may sign in again (AD lockout)
            status, body = get(served.url, served.token)
            assert status == 200 and body["AccessKeyId"] == "ASIASEEDED"
        time.sleep(
            RETRY_AFTER[0] + 2
        )  # past the delay after which a failure the user need not fix is retried
        assert get(served.url, served.token)[0] == 200
    attempts = [e for e in idp.stats()["events"] if e["user"] and "bob" in e["user"].lower()]
    assert len(attempts) == 1 and attempts[0]["outcome"] != "success", attempts


def test_an_unreachable_idp_keeps_the_valid_credentials_served_and_says_it_retries(
    env, aws_home: Path
) -> None:
    config = aws_home / ".aws" / "config"
    config.write_text(config.read_text().replace("url = https://", "url = https://127.0.0.1:9/x?was=", 1))
    seed("domain", 12, env)
    with serve(env) as served:
        told = served.stderr_until("trying again in")
        assert "refreshing profile 'domain' failed" in told
        status, body = get(served.url, served.token)
        assert status == 200 and body["AccessKeyId"] == "ASIASEEDED"


def test_a_port_in_use_is_a_one_line_error_before_any_login(env, idp) -> None:
    seed("domain", -5, env)  # a login would be needed: it must not happen
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = run_cli(env, "serve", "--profile", "domain", "--port", port, new_session=True)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"samlbroker: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]
    assert idp.stats()["events"] == []
