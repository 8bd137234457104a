"""Running ``samlbroker serve`` as a background process, and talking to its endpoint as SDKs do."""

from __future__ import annotations

import http.client
import json
import os
import select
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from samlbroker.lab.processes import stop_process


@dataclass
class Served:
    """A running ``samlbroker serve``: the variables it printed, and its stderr so far."""

    process: subprocess.Popen[str]
    variables: dict[str, str]
    unset: list[str]
    printed: str
    stderr_lines: list[str] = field(default_factory=list)
    _partial: bytes = b""  # stderr read past the last whole line

    @property
    def url(self) -> str:
        return self.variables["AWS_CONTAINER_CREDENTIALS_FULL_URI"]

    @property
    def port(self) -> int:
        return int(self.url.split(":")[2].split("/")[0])

    @property
    def token(self) -> str:
        return self.variables["AWS_CONTAINER_AUTHORIZATION_TOKEN"]

    def client_env(self, base: dict[str, str]) -> dict[str, str]:
        """``base`` as the printed lines would leave a shell: unset names gone, variables set."""
        env = {k: v for k, v in base.items() if k not in self.unset}
        env.update(self.variables)
        return env

    def stderr_until(self, wanted: str, limit: float = 30) -> str:
        """Read serve's stderr until a line containing ``wanted`` (a clear failure when it never comes)."""
        deadline = time.monotonic() + limit
        assert self.process.stderr is not None
        # Raw reads: a buffered readline() can take in two lines, and select() never reports the second.
        fd = self.process.stderr.fileno()
        while not any(wanted in line for line in self.stderr_lines):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"serve never said {wanted!r}: {self.stderr_lines}"
            if select.select([fd], [], [], remaining)[0]:
                chunk = os.read(fd, 65536)
                assert chunk, f"serve ended before saying {wanted!r}: {self.stderr_lines}"
                *lines, self._partial = (self._partial + chunk).split(b"\n")
                self.stderr_lines.extend(line.decode(errors="replace") + "\n" for line in lines)
        return next(line for line in self.stderr_lines if wanted in line)


def parse_sh_lines(text: str) -> tuple[dict[str, str], list[str]]:
    """The ``export NAME='value'`` and ``unset NAME`` lines of sh output (comments skipped)."""
    variables: dict[str, str] = {}
    unset: list[str] = []
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] == ["export"]:
            name, value = words[1].split("=", 1)
            variables[name] = value
        elif words[:1] == ["unset"]:
            unset.extend(words[1:])
    return variables, unset


@contextmanager
def serve(env: dict[str, str], *args: str, profile: str = "domain") -> Iterator[Served]:
    """``samlbroker serve --profile PROFILE ARGS`` until the block ends (then SIGTERM, and its exit checked)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "samlbroker", "serve", "--profile", profile, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # no controlling terminal, as under a job runner
    )
    try:
        assert process.stdout is not None
        printed = process.stdout.read()  # serve lets go of stdout once the lines are out
        if "# samlbroker serve" not in printed:
            process.wait(timeout=30)
            raise AssertionError(f"serve failed ({process.returncode}): {process.stderr.read()}")  # type: ignore[union-attr]
        variables, unset = parse_sh_lines(printed)
        served = Served(process, variables, unset, printed)
        yield served
    finally:
        if process.poll() is None:
            stop_process(process, timeout=20)


def get(
    url: str, token: str | None, method: str = "GET", host: str | None = None
) -> tuple[int, dict[str, Any]]:
    """One request to the endpoint: status and JSON body."""
    rest = url.split("//", 1)[1]
    hostport, path = rest.split("/", 1)
    connection = http.client.HTTPConnection(hostport, timeout=10)
    try:
        connection.putrequest(method, "/" + path, skip_host=True)
        connection.putheader("Host", host or hostport)
        if token is not None:
            connection.putheader("Authorization", token)
        connection.putheader("Content-Length", "0")
        connection.endheaders()
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def without_pythonpath(env: dict[str, str]) -> dict[str, str]:
    """``env`` for a program that is not ours (the AWS CLI): no PYTHONPATH into this checkout."""
    return {k: v for k, v in env.items() if k not in ("PYTHONPATH", "PYTHONHOME")} | {
        "PATH": os.environ["PATH"]
    }
