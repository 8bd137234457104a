"""A throwaway Active Directory for the tests: a Samba DC provisioned once per run in a temp folder.

``samba-tool domain provision`` writes the domain (CORP / CORP.EXAMPLE) into the folder (an empty
``etc/smb.conf`` first keeps it off /etc/samba); ``samba -F -M single`` then serves only the KDC (with
kpasswd) on free loopback ports: no LDAP, SMB or DNS, so nothing binds 389 and its pid file is in the
folder, not /run/samba. The users (see ``AD_USERS``), the lockout policy and the IdP's service account
with ``HTTP/localhost`` and its keytab are written with Samba's own library (``samba_directory.py``).
The lab IdP checks NTLM against this DC and Kerberos with that keytab (``samlbroker.lab.samba_bridge``).

Skips, naming ``./dev test``, where Samba's AD DC is not installed. A DC left by a killed run is ended
first (by the pid it recorded); the DC dies with the test process (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from samlbroker.lab.loopback import free_tcp_udp_port, wait_for_listener
from samlbroker.lab.processes import stop_process

REALM = "CORP.EXAMPLE"
DOMAIN = "CORP"
IDP_HOST = "localhost"  # the service account's SPN: HTTP/localhost
MACHINE_SPN_HOST = "127.0.0.1"  # the DC's machine account's: the IdP reached by address, keytab-less acceptor
SERVICE_ACCOUNT = "svc-idp"
DEBIAN_PYTHON = "/usr/bin/python3"
DIRECTORY_SCRIPT = Path(__file__).with_name("samba_directory.py")
LEFTOVER = Path(tempfile.gettempdir()) / "samlbroker-samba-dc.pid"
WORKDIR_PREFIX = "samlbroker-samba-"
LOCKOUT_THRESHOLD = 3
START_TIMEOUT = 60.0
ROLES = "arn:aws:iam::111122223333:role/Developer, arn:aws:iam::111122223333:role/ReadOnly"


def new_password() -> str:
    return f"Ad-{secrets.token_urlsafe(12)}-9x"  # meets AD's complexity rules


@dataclass(frozen=True)
class ADUser:
    """One account in the test domain; its password is made fresh per run."""

    name: str
    disabled: bool = False
    must_change: bool = False
    password_expired: bool = False
    password: str = field(default_factory=new_password, repr=False)


# Each account-state test has its own account, so one test's failures never lock another's user out.
AD_USERS = (
    ADUser("alice"),  # signs in every way that works
    ADUser("dave"),  # wrong passwords: badPwdCount
    ADUser("mallory"),  # locked out after LOCKOUT_THRESHOLD wrong passwords
    ADUser("bob", disabled=True),
    ADUser("carol", must_change=True),
    ADUser("erin", password_expired=True),
    ADUser("frank"),  # password changed in AD behind a remembered one
)


def samba_missing() -> str | None:
    """Why the Samba DC cannot run here, or None."""
    path = f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin"
    for program in ("samba-tool", "samba", "ldbsearch", "kinit"):
        if shutil.which(program, path=path) is None:
            return (
                f"{program} is not installed (Samba AD DC: samba-ad-dc, ldb-tools, krb5-user): run ./dev test"
            )
    probe = subprocess.run(
        [DEBIAN_PYTHON, "-c", "import samba.gensec, samba.samdb"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        return (
            f"Samba's Python bindings are not importable by {DEBIAN_PYTHON} (python3-samba): run ./dev test"
        )
    if os.geteuid() != 0:
        return "a Samba DC runs as root; these tests need root (as in CI)"
    return None


def _free_port() -> int:
    """A port free for both TCP and UDP on loopback (the KDC listens on both)."""
    port = free_tcp_udp_port()
    if port is None:
        raise RuntimeError("no free port")
    return port


def _die_with_parent() -> None:
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _start_time(pid: int) -> str | None:
    """When the process started (clock ticks since boot, /proc/PID/stat field 22): with the pid, its identity."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] == "Z" else fields[19]  # a zombie has ended


def end_leftover_dc() -> None:
    """Clean up after a killed run: end its samba (the pid it recorded, if still that process), remove its folder."""
    try:
        pid_text, started, workdir = LEFTOVER.read_text().split("\n", 2)
        pid = int(pid_text)
    except (OSError, ValueError):
        LEFTOVER.unlink(missing_ok=True)
        return
    workdir = workdir.strip()
    if _start_time(pid) == started.strip():  # still that process (samba rewrites its command line)
        os.kill(pid, signal.SIGTERM)
        for _ in range(200):
            if _start_time(pid) is None:
                break
            time.sleep(0.05)
    if Path(workdir).name.startswith(WORKDIR_PREFIX):
        shutil.rmtree(workdir, ignore_errors=True)
    LEFTOVER.unlink(missing_ok=True)


class SambaDC:
    """The running domain controller: where its files are, and the directory calls the tests need."""

    def __init__(self, workdir: Path, users: tuple[ADUser, ...] = AD_USERS) -> None:
        self.workdir = workdir
        self.users = {user.name: user for user in users}
        self.passwords = {user.name: user.password for user in users}  # as they are now in AD
        self.smb_conf = workdir / "etc" / "smb.conf"
        self.keytab = workdir / "idp.keytab"
        self.krb5_conf = workdir / "krb5.conf"
        self.log = workdir / "samba.log"
        self.kdc_port = _free_port()
        self.kpasswd_port = _free_port()
        self.smb_port = _free_port()
        self.provision_seconds = 0.0
        self._process: subprocess.Popen[bytes] | None = None

    # lifecycle

    def start(self) -> SambaDC:
        end_leftover_dc()
        started = time.monotonic()
        self._provision()
        self.provision_seconds = time.monotonic() - started
        self._directory(
            {
                "op": "populate",
                "users": [
                    {"name": u.name, "password": u.password, "disabled": u.disabled,
                     "must_change": u.must_change, "password_expired": u.password_expired}
                    for u in self.users.values()
                ],
                "service": {"name": SERVICE_ACCOUNT, "password": new_password(), "spn": f"HTTP/{IDP_HOST}",
                            "keytab": str(self.keytab)},
                "machine_spns": [f"HTTP/{MACHINE_SPN_HOST}"],
                "lockout": {"threshold": LOCKOUT_THRESHOLD, "minutes": 30},
            }
        )  # fmt: skip
        self.krb5_conf.write_text(
            f"[libdefaults]\n    default_realm = {REALM}\n    dns_lookup_kdc = false\n"
            "    dns_lookup_realm = false\n    rdns = false\n    dns_canonicalize_hostname = false\n"
            f"[realms]\n    {REALM} = {{\n        kdc = 127.0.0.1:{self.kdc_port}\n"
            f"        kpasswd_server = 127.0.0.1:{self.kpasswd_port}\n    }}\n"
            f"[domain_realm]\n    {IDP_HOST} = {REALM}\n"
        )
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(
                ["samba", "-F", "-M", "single", "-s", str(self.smb_conf), "--debug-stdout"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        LEFTOVER.write_text(f"{self._process.pid}\n{_start_time(self._process.pid)}\n{self.workdir}")
        self._wait_until_it_answers()
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            stop_process(process, timeout=10)
            LEFTOVER.unlink(missing_ok=True)

    def _provision(self) -> None:
        self.smb_conf.parent.mkdir(parents=True)
        self.smb_conf.write_text("")
        admin = new_password()
        subprocess.run(
            ["samba-tool", "domain", "provision", "-s", str(self.smb_conf), f"--targetdir={self.workdir}",
             f"--realm={REALM}", f"--domain={DOMAIN}", "--host-name=dc1", "--server-role=dc",
             "--dns-backend=NONE", f"--adminpass={admin}", "--option=interfaces=lo",
             "--option=bind interfaces only=yes", "--option=ldb:nosync=true"],
            check=True, capture_output=True, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        (self.workdir / "run").mkdir()
        extra = (
            f"\tserver services = kdc\n\tkrb5 port = {self.kdc_port}\n\tkpasswd port = {self.kpasswd_port}\n"
            f"\tsmb ports = {self.smb_port}\n\tpid directory = {self.workdir / 'run'}\n"
            # AD (and Samba) accept the previous password over NTLM for 60 minutes after a change; the
            # tests change passwords and mean the new one at once.
            "\told password allowed period = 0\n"
        )
        text = re.sub(r"\tserver services = [^\n]*\n", extra, self.smb_conf.read_text(), count=1)
        self.smb_conf.write_text(text)

    def _wait_until_it_answers(self) -> None:
        assert self._process is not None
        if wait_for_listener(self.kdc_port, self._process, START_TIMEOUT):
            return
        if self._process.poll() is not None:
            raise RuntimeError(f"samba exited ({self._process.returncode}): see {self.log}")
        raise RuntimeError(
            f"the Samba KDC did not answer on port {self.kdc_port} within {START_TIMEOUT:.0f} s"
        )

    # the directory

    def _directory(self, request: dict[str, object]) -> None:
        result = subprocess.run(
            [DEBIAN_PYTHON, str(DIRECTORY_SCRIPT), str(self.smb_conf)],
            input=json.dumps(request), capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"samba_directory {request['op']} failed: {result.stderr.strip()[-500:]}")

    def attribute(self, name: str, attribute: str) -> str | None:
        """One attribute of an account, as the DC's database has it (ldbsearch through Samba's modules)."""
        result = subprocess.run(
            ["ldbsearch", "-H", str(self.workdir / "private" / "sam.ldb"), f"(sAMAccountName={name})", attribute],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        match = re.search(rf"^{attribute}: (.*)$", result.stdout, re.MULTILINE | re.IGNORECASE)
        return match.group(1).strip() if match else None

    def bad_password_count(self, name: str) -> int:
        """The account's ``badPwdCount``: AD's count of rejected passwords since the last good one."""
        return int(self.attribute(name, "badPwdCount") or 0)

    def set_password(self, name: str, password: str) -> None:
        """An administrator's password reset (``samba-tool user setpassword``), without argv."""
        self._directory({"op": "setpassword", "name": name, "password": password})
        self.passwords[name] = password

    def unlock(self, name: str) -> None:
        self._directory({"op": "unlock", "name": name})

    # Kerberos clients

    def client_env(self, ccache: Path) -> dict[str, str]:
        """KRB5_CONFIG pointing at this DC's KDC, and a ticket cache of the test's own."""
        return {"KRB5_CONFIG": str(self.krb5_conf), "KRB5CCNAME": f"FILE:{ccache}"}

    def kinit(self, name: str, ccache: Path) -> None:
        """A TGT for ``name`` from the Samba KDC into ``ccache`` (the real kinit; the password on stdin)."""
        env = {**os.environ, **self.client_env(ccache)}
        subprocess.run(
            ["kinit", f"{name}@{REALM}"], input=self.passwords[name] + "\n", env=env,
            capture_output=True, text=True, check=True,
        )  # fmt: skip

    def lab_users_text(self) -> str:
        """The lab IdP's directory for this domain: every AD user mapped to lab roles (passwords stay in AD)."""
        lines = [f"[lab]\ndomain = {DOMAIN}\nrealm = {REALM}\nsession_duration = 3600\n"]
        for user in self.users.values():
            lines.append(
                f"[user {user.name}]\npassword = {user.password}\nroles = {ROLES}\nprovider = corp-adfs\n"
            )
        return "\n".join(lines)


@pytest.fixture(scope="session")
def samba_dc() -> Iterator[SambaDC]:
    """The test domain's DC, provisioned once per run; its folder is removed at the end."""
    reason = samba_missing()
    if reason:
        pytest.skip(reason)
    workdir = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX))
    dc = SambaDC(workdir)
    try:
        yield dc.start()
    finally:
        dc.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def ad_lab(samba_dc: SambaDC) -> Iterator[object]:
    """A lab (IdP + STS) whose IdP checks NTLM against the DC and Kerberos with the DC's keytab."""
    from samlbroker.lab.runner import Lab
    from samlbroker.lab.samba_bridge import SambaAcceptor

    users_file = samba_dc.workdir / "lab-users.ini"
    users_file.write_text(samba_dc.lab_users_text())
    users_file.chmod(0o600)
    acceptor = SambaAcceptor(samba_dc.smb_conf, keytab=samba_dc.keytab)
    lab = Lab(users_file=users_file, workdir=samba_dc.workdir / "lab", kerberos=False, acceptor=acceptor)
    with acceptor, lab:
        yield lab


@pytest.fixture
def ad_idp(ad_lab):
    """The AD lab's IdP, its events and counters zeroed for this test."""
    ad_lab.idp.reset()
    return ad_lab.idp


@pytest.fixture
def realm_env(samba_dc: SambaDC, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's Kerberos client: the DC's krb5.conf and an empty ticket cache of its own."""
    ccache = tmp_path / "krb5cc"
    for name, value in samba_dc.client_env(ccache).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KRB5_CLIENT_KTNAME", raising=False)
    return ccache
