"""Set up the peer tools we measure against, each in a venv of its own under bench/.peers (not committed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

PEERS = Path(__file__).resolve().parent / ".peers"
AWS_ADFS = "aws-adfs==2.13.0"


def _system_packages_for_aws_adfs() -> None:
    """aws-adfs pulls requests-kerberos -> gssapi, which compiles against the Kerberos headers."""
    if shutil.which("krb5-config"):
        return
    if not shutil.which("apt-get"):
        raise SystemExit("aws-adfs needs krb5-config (libkrb5-dev) to install; install it and retry")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "libkrb5-dev"],
        check=True,
        env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )


def aws_adfs() -> Path:
    """The aws-adfs 2.13 command, installed on first use."""
    exe = PEERS / "aws-adfs" / "bin" / "aws-adfs"
    if exe.exists():
        return exe
    _system_packages_for_aws_adfs()
    venv = PEERS / "aws-adfs"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    print(f"installing {AWS_ADFS} (it may compile gssapi: a few minutes)...", file=sys.stderr, flush=True)
    # gssapi/krb5 wheels that ./dev built already are used rather than compiled again.
    wheels = Path(os.environ.get("SAMLBROKER_WHEELS", Path.home() / ".cache" / "samlbroker-wheels"))
    find_links = ["--find-links", str(wheels)] if wheels.is_dir() else []
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *find_links, AWS_ADFS], check=True)
    return exe
