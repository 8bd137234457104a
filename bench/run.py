"""samlbroker's benchmarks, measured side by side in one run against the local lab.

    python bench/run.py [--runs N] [--skip-peers]

1. One NTLM login: HTTP requests and TCP connections, counted at the lab IdP (protocol minimum: 5 on 1).
2. A silent Kerberos login (ticket from the lab KDC): median wall time, round trips, and the TGS-REQs the
   KDC saw on the first login and on the ones after (the service ticket is cached).
3. A forms ``login`` (sign-on, STS, credentials file) by samlbroker and by aws-adfs 2.13, each as the
   command a user runs, alternated run by run (which goes first alternating too); the ratio of the medians.
Figures go to stdout and to bench/results.json; BENCHMARKS.md records them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from samlbroker import SAMLAuthenticationController, UserCredentials  # noqa: E402
from samlbroker.lab.proxy import ConnectProxy  # noqa: E402
from samlbroker.lab.runner import Lab  # noqa: E402

USER = "bob"  # one role: neither tool has a choice to make
ROLE = "arn:aws:iam::111122223333:role/ReadOnly"


def ntlm_round_trips(lab: Lab) -> dict[str, int]:
    """Requests and connections of one NTLM login, counted by the IdP."""
    password = lab.users[USER].password
    lab.idp.reset()
    controller = SAMLAuthenticationController(verify=str(lab.ca_file))
    controller.get_saml_assertion(lab.signon_url, UserCredentials(f"LAB\\{USER}", password), "ntlm")
    stats = lab.idp.stats()
    return {"requests": stats["requests"], "connections": stats["connections"]}


def kerberos_login(lab: Lab, runs: int) -> dict[str, object] | None:
    """A silent default-identity Kerberos login (ticket from the lab KDC): median wall time and round trips."""
    if lab.kdc is None:
        print(f"Kerberos: skipped ({lab.kdc_unavailable})")
        return None
    ccache = lab.workdir / "bench.ccache"
    lab.kdc.kinit(USER, ccache)
    saved = {k: os.environ.get(k) for k in ("KRB5_CONFIG", "KRB5CCNAME")}
    os.environ.update(lab.kdc.client_env(ccache))
    try:
        times = []
        tgs_requests = []  # TGS-REQs the KDC saw during each login (the service ticket is then cached)
        for _ in range(runs):
            lab.idp.reset()
            lab.kdc.mark()
            controller = SAMLAuthenticationController(verify=str(lab.ca_file))
            start = time.perf_counter()
            controller.get_saml_assertion(lab.signon_url, None, "kerberos")
            times.append(time.perf_counter() - start)
            tgs_requests.append(lab.kdc.requests_seen().get("TGS_REQ", 0))
            assert controller.last_mechanism == "kerberos"
        stats = lab.idp.stats()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return {"median_ms": round(statistics.median(times) * 1000, 1), "runs": runs,
            "requests": stats["requests"], "connections": stats["connections"],
            "tgs_requests": {"first": tgs_requests[0], "after": sum(tgs_requests[1:])}}  # fmt: skip


def totp_login(lab: Lab) -> dict[str, int]:
    """A forms login with a TOTP second factor: requests and connections at the IdP."""
    import pyotp

    user = lab.users["frank"]
    lab.idp.reset()
    controller = SAMLAuthenticationController(
        verify=str(lab.ca_file), mfa_prompt=lambda question: pyotp.TOTP(user.mfa_secret).now()
    )
    controller.get_saml_assertion(lab.signon_url, UserCredentials("LAB\\frank", user.password), "forms")
    stats = lab.idp.stats()
    return {"requests": stats["requests"], "connections": stats["connections"]}


def _isolated_env(lab: Lab, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(home),
        AWS_CONFIG_FILE=str(home / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
        AWS_ENDPOINT_URL_STS=lab.sts_url,
        AWS_CA_BUNDLE=str(lab.ca_file),
        AWS_DEFAULT_REGION="us-east-1",
    )
    return env


def samlbroker_login(lab: Lab, home: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "samlbroker",
        "login",
        "--endpoint-url",
        lab.signon_url,
        "--auth-type",
        "forms",
        "--ca-bundle",
        str(lab.ca_file),
        "--user",
        f"LAB\\{USER}",
        "--password-stdin",
        "--role",
        ROLE,
        "--save-as",
        "bench",
    ]


def aws_adfs_login(exe: Path, lab: Lab, credential_process: bool = False) -> list[str]:
    """aws-adfs's login; ``credential_process``: as that source (JSON on stdout, its session cache on)."""
    host = lab.idp_url.split("//", 1)[1]
    return [
        str(exe),
        "login",
        f"--adfs-host={host}",
        f"--adfs-ca-bundle={lab.ca_file}",
        "--profile=bench",
        "--stdin",
        "--stdout" if credential_process else "--no-session-cache",
        f"--role-arn={ROLE}",
        "--region=us-east-1",
    ]


def aws_adfs_env(lab: Lab, home: Path, proxy: ConnectProxy) -> dict[str, str]:
    """aws-adfs's environment: a home of its own, and signin.aws.amazon.com answered by the lab."""
    env = _isolated_env(lab, home)
    env.update(HTTPS_PROXY=proxy.url, NO_PROXY="localhost,127.0.0.1", REQUESTS_CA_BUNDLE=str(lab.ca_file))
    return env


def time_command(command: list[str], env: dict[str, str], stdin: str) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        command, input=stdin, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return elapsed


def forms_login_ratio(lab: Lab, runs: int) -> dict[str, object]:
    """Alternate the two tools run by run, so both see the same machine state; compare medians."""
    from peers import aws_adfs

    exe = aws_adfs()
    password = lab.users[USER].password
    port = int(lab.idp_url.rsplit(":", 1)[1])
    # aws-adfs always asks https://signin.aws.amazon.com/saml for account names: the lab answers for it.
    proxy = ConnectProxy({"signin.aws.amazon.com": port})
    times: dict[str, list[float]] = {"samlbroker": [], "aws-adfs": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(runs + 1):
                order = ("samlbroker", "aws-adfs") if i % 2 == 0 else ("aws-adfs", "samlbroker")
                for name in order:  # which tool goes first alternates round by round
                    home = Path(tmp) / f"{name}-{i}"
                    home.mkdir()
                    env = _isolated_env(lab, home)
                    if name == "samlbroker":
                        elapsed = time_command(samlbroker_login(lab, home), env, password + "\n")
                    else:
                        env = aws_adfs_env(lab, home, proxy)
                        elapsed = time_command(aws_adfs_login(exe, lab), env, f"LAB\\{USER}\n{password}\n")
                    if i:  # the first round warms disk caches and .pyc files for both
                        times[name].append(elapsed)
    finally:
        proxy.close()
    medians = {name: statistics.median(values) for name, values in times.items()}
    return {
        "runs": runs,
        "median_seconds": {k: round(v, 3) for k, v in medians.items()},
        "aws_adfs_over_samlbroker": round(medians["aws-adfs"] / medians["samlbroker"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--skip-peers", action="store_true", help="only the figures that need no peer tool")
    parser.add_argument(
        "--output", type=Path, default=HERE / "results.json", help="where the JSON figures go"
    )
    args = parser.parse_args()
    results: dict[str, object] = {
        "machine": f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores",
    }
    with Lab() as lab:
        results["ntlm_login"] = ntlm_round_trips(lab)
        print(
            f"NTLM login: {results['ntlm_login']['requests']} HTTP requests on "
            f"{results['ntlm_login']['connections']} TCP connection(s) (protocol minimum: 5 on 1)"
        )
        results["kerberos_login"] = kerberos = kerberos_login(lab, args.runs)
        if kerberos:
            print(
                f"Kerberos default-identity login: {kerberos['median_ms']} ms median of {kerberos['runs']}, "
                f"{kerberos['requests']} HTTP requests on {kerberos['connections']} connection(s); the KDC saw "
                f"{kerberos['tgs_requests']['first']} TGS-REQ on the first login and "
                f"{kerberos['tgs_requests']['after']} on the {kerberos['runs'] - 1} after"
            )
        results["totp_login"] = totp = totp_login(lab)
        print(f"forms + TOTP login: {totp['requests']} HTTP requests on {totp['connections']} connection(s)")
        if not args.skip_peers:
            results["forms_login"] = forms_login_ratio(lab, args.runs)
            forms = results["forms_login"]
            print(
                f"forms login, median of {forms['runs']}: samlbroker {forms['median_seconds']['samlbroker']} s, "
                f"aws-adfs 2.13 {forms['median_seconds']['aws-adfs']} s: "
                f"aws-adfs takes {forms['aws_adfs_over_samlbroker']}x as long"
            )
    args.output.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
