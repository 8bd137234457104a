"""The container-credentials endpoint (``samlbroker serve``) against ``credential_process``, as botocore uses them.

    python bench/endpoint.py [--runs 30] [--requests 2000]

Both read the same seeded cache (an hour of credentials for profile ``bench``; no IdP is asked):
- first fetch: ``botocore.session.Session().get_credentials()``, what every new SDK client pays, once with the
  endpoint's variables and once with ``AWS_PROFILE=bench``, whose ``credential_process`` is the installed
  ``samlbroker`` (as ``pip install`` gives it, in bench/.peers/clean). Alternating run by run, medians compared.
- requests per second: keep-alive GETs from 1 and from 4 client threads (this process) to one ``serve``
  process. Both share the machine's cores, so the figure is this machine's, under whatever else runs on it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from cache_hit import clean_install, seeded_home  # noqa: E402 - bench/ is on the path from here on

CONTAINER_VARIABLES = ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN")


def start_serve(env: dict[str, str]) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """``samlbroker serve --profile bench``; returns it and the variables it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "samlbroker", "serve", "--profile", "bench"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**env, "PYTHONPATH": str(HERE.parent)},
    )
    assert process.stdout is not None
    variables = {}
    for line in process.stdout.read().splitlines():
        if line.startswith("export "):
            name, value = line[len("export ") :].split("=", 1)
            variables[name] = value.strip("'")
    if not all(name in variables for name in CONTAINER_VARIABLES):
        process.kill()
        raise SystemExit("samlbroker serve did not start")
    return process, variables


def first_fetch(environ: dict[str, str]) -> tuple[float, str]:
    """Seconds for a fresh botocore Session to get credentials under ``environ``; and the key it got."""
    import botocore.session

    os.environ.clear()
    os.environ.update(environ)
    start = time.perf_counter()
    credentials = botocore.session.Session().get_credentials()
    key = credentials.get_frozen_credentials().access_key
    return time.perf_counter() - start, f"{credentials.method}:{key}"


def requests_per_second(variables: dict[str, str], threads: int, total: int) -> float:
    """Keep-alive GETs of the endpoint from ``threads`` connections, ``total`` in all."""
    url = variables["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    hostport, path = url.split("//", 1)[1].split("/", 1)
    headers = {"Authorization": variables["AWS_CONTAINER_AUTHORIZATION_TOKEN"]}
    per_thread = total // threads
    failures: list[int] = []
    ready = threading.Barrier(threads + 1)

    def client() -> None:
        connection = http.client.HTTPConnection(hostport, timeout=10)
        ready.wait()
        for _ in range(per_thread):
            connection.request("GET", "/" + path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures.append(response.status)
        connection.close()

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    ready.wait()
    start = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise SystemExit(f"{len(failures)} requests failed: {sorted(set(failures))}")
    return per_thread * threads / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--requests", type=int, default=2000, help="requests per throughput figure")
    parser.add_argument("--output", type=Path, default=HERE / "endpoint.json")
    args = parser.parse_args()
    python = clean_install()
    env = seeded_home(python)
    env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"  # credential_process = samlbroker ...
    serve, variables = start_serve(env)
    saved = dict(os.environ)
    try:
        through = {
            "endpoint": {**env, **variables},
            "credential_process": {**env, "AWS_PROFILE": "bench"},
        }
        times: dict[str, list[float]] = {name: [] for name in through}
        for round_ in range(args.runs + 3):
            order = list(through.items())
            for name, environ in order if round_ % 2 else reversed(order):  # which goes first rotates
                seconds, got = first_fetch(environ)
                expected = "container-role" if name == "endpoint" else "custom-process"
                assert got == f"{expected}:ASIABENCH", got
                if round_ >= 3:  # three warm-up rounds
                    times[name].append(seconds)
        os.environ.clear()
        os.environ.update(saved)
        throughput = {n: round(requests_per_second(variables, n, args.requests)) for n in (1, 4)}
    finally:
        os.environ.clear()
        os.environ.update(saved)
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
    medians = {name: statistics.median(values) for name, values in times.items()}
    ratio = medians["credential_process"] / medians["endpoint"]
    for name, median in medians.items():
        print(f"first fetch of a fresh botocore client through {name:18s} {median * 1000:6.1f} ms")
    print(f"credential_process / endpoint: {ratio:.1f}x")
    for threads, rate in throughput.items():
        print(f"endpoint, {threads} keep-alive connection(s): {rate} requests/s")
    summary = {
        "runs": args.runs,
        "first_fetch_ms": {name: round(median * 1000, 2) for name, median in medians.items()},
        "credential_process_over_endpoint": round(ratio, 1),
        "requests_per_second": {f"{n}_connections": rate for n, rate in throughput.items()},
        "requests": args.requests,
    }
    args.output.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
