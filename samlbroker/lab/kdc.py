"""A throwaway MIT Kerberos realm for the lab: ``krb5kdc`` on a loopback port, everything in one folder.

    kdc = LabKDC(users, workdir).start()
    env = kdc.client_env(ccache)          # KRB5_CONFIG + KRB5CCNAME for a client of the realm
    kdc.kinit("alice", ccache)            # a ticket for tests and the demo (never how the product gets one)

The realm's principals are the lab users (password as in the users file, pre-authentication required,
as Active Directory does; a disabled user cannot get tickets) and ``HTTP/<host>`` for each IdP host
name, whose keys go to ``http.keytab``. No system file is read or written: the KDC and the admin tools
run with ``KRB5_CONFIG``/``KRB5_KDC_PROFILE`` pointing into the folder. Lab only, never a real KDC.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import struct
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from .loopback import free_tcp_udp_port, wait_for_listener
from .processes import stop_process
from .users import LabUsers

SBIN_DIRS = (
    "/usr/sbin",
    "/usr/local/sbin",
    "/sbin",
    "/opt/homebrew/opt/krb5/sbin",
    "/usr/local/opt/krb5/sbin",
)
BIN_DIRS = ("/usr/bin", "/usr/local/bin", "/opt/homebrew/opt/krb5/bin", "/usr/local/opt/krb5/bin")
SERVER_TOOLS = ("krb5kdc", "kdb5_util", "kadmin.local")
CLIENT_TOOLS = ("kinit",)
PACKAGES_HINT = "apt-get install krb5-kdc krb5-admin-server krb5-user libkrb5-dev"
ENCTYPES = "aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96"
# krb5kdc's log: "AS_REQ (...) 127.0.0.1: PREAUTH_FAILED: alice@LAB.EXAMPLE for krbtgt/..., reason".
_REFUSED = re.compile(r" AS_REQ .*?: (PREAUTH_FAILED|CLIENT LOCKED OUT|CLIENT_NOT_FOUND): (\S+) for ")


class KDCUnavailable(RuntimeError):
    """The MIT Kerberos KDC programs are not installed (or the realm could not start); one-line reason."""


def find_tool(name: str) -> str | None:
    """The path of an MIT Kerberos program, looked up on PATH and in the usual sbin folders."""
    found = shutil.which(name)
    if found:
        return found
    for folder in (*SBIN_DIRS, *BIN_DIRS):
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def missing_tools() -> list[str]:
    """The KDC and client programs the lab realm needs that are not installed."""
    return [name for name in (*SERVER_TOOLS, *CLIENT_TOOLS) if find_tool(name) is None]


def _death_signal() -> Callable[[], None] | None:
    """For the KDC child (Linux): get SIGTERM when the lab process dies, however it dies.

    libc's prctl is looked up here, in the parent: the child, forked from a threaded process, only calls it.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG


def _free_port() -> int:
    """A loopback port free for both TCP and UDP (the KDC listens on both)."""
    port = free_tcp_udp_port()
    if port is None:
        raise KDCUnavailable("no free loopback port for the lab KDC")
    return port


def client_config_text(realm: str, kdc: str, hosts: Sequence[str] = (), **libdefaults: str) -> str:
    """A client ``krb5.conf`` for ``realm`` served at ``kdc`` (host:port); canonicalisation off."""
    defaults = {
        "default_realm": realm,
        "dns_lookup_realm": "false",
        "dns_lookup_kdc": "false",
        "dns_canonicalize_hostname": "false",
        "rdns": "false",
        "udp_preference_limit": "1",
        "forwardable": "false",
        "default_tkt_enctypes": ENCTYPES,
        "default_tgs_enctypes": ENCTYPES,
        "permitted_enctypes": ENCTYPES,
        **libdefaults,
    }
    lines = ["[libdefaults]", *(f"    {k} = {v}" for k, v in defaults.items())]
    lines += ["", "[realms]", f"    {realm} = {{", f"        kdc = {kdc}", "    }", "", "[domain_realm]"]
    lines += [f"    {host} = {realm}" for host in hosts]
    lines += [f"    .{realm.lower()} = {realm}", f"    {realm.lower()} = {realm}", ""]
    return "\n".join(lines)


class LabKDC:
    """One MIT realm in ``workdir``; see the module docstring."""

    def __init__(
        self,
        users: LabUsers,
        workdir: Path,
        service_hosts: Sequence[str] = ("localhost",),
        realm: str | None = None,
        port: int = 0,
        clockskew: int = 300,
    ) -> None:
        """``clockskew``: seconds of clock difference (and ticket expiry) the KDC tolerates, AD's 5 minutes."""
        self.users = users
        self.realm = (realm or users.realm).upper()
        self.workdir = Path(workdir)
        self.service_hosts = tuple(service_hosts)
        self.port = port
        self.clockskew = clockskew
        self.krb5_config = self.workdir / "krb5.conf"
        self.kdc_profile = self.workdir / "kdc.conf"
        self.kdc_krb5_config = self.workdir / "kdc-krb5.conf"
        self.keytab = self.workdir / "http.keytab"
        self.log_file = self.workdir / "kdc.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._log_mark = 0

    # lifecycle

    def start(self) -> LabKDC:
        missing = missing_tools()
        if missing:
            raise KDCUnavailable(
                f"MIT Kerberos programs not installed ({', '.join(missing)}): {PACKAGES_HINT}"
            )
        self.workdir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.port = self.port or _free_port()
        self._write_config()
        self._create_database()
        self._start_kdc()
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        stop_process(process, timeout=5)

    def __enter__(self) -> LabKDC:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    # setup

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KRB5")}
        env.update(KRB5_CONFIG=str(self.kdc_krb5_config), KRB5_KDC_PROFILE=str(self.kdc_profile))
        env["KRB5CCNAME"] = f"FILE:{self.workdir / 'admin.ccache'}"
        return env

    def _write_config(self) -> None:
        self.krb5_config.write_text(client_config_text(self.realm, self.address, self.service_hosts))
        self.kdc_krb5_config.write_text(
            client_config_text(self.realm, self.address, self.service_hosts, clockskew=str(self.clockskew))
        )
        d = self.workdir
        self.kdc_profile.write_text(
            "\n".join(
                [
                    "[kdcdefaults]",
                    f"    kdc_listen = 127.0.0.1:{self.port}",
                    f"    kdc_tcp_listen = 127.0.0.1:{self.port}",
                    "",
                    "[realms]",
                    f"    {self.realm} = {{",
                    f"        database_name = {d / 'principal'}",
                    f"        key_stash_file = {d / 'stash'}",
                    f"        acl_file = {d / 'kadm5.acl'}",
                    f"        admin_keytab = {d / 'kadm5.keytab'}",
                    "        max_life = 10h 0m 0s",
                    "        max_renewable_life = 0",
                    "        default_principal_flags = +preauth",
                    f"        supported_enctypes = {' '.join(e + ':normal' for e in ENCTYPES.split())}",
                    "    }",
                    "",
                    "[logging]",
                    f"    kdc = FILE:{self.log_file}",
                    f"    admin_server = FILE:{d / 'kadmin.log'}",
                    f"    default = FILE:{d / 'krb5lib.log'}",
                    "",
                ]
            )
        )
        (d / "kadm5.acl").write_text("")

    def _run(self, argv: list[str], stdin: str | None = None) -> str:
        result = subprocess.run(
            argv, input=stdin, env=self._env(), capture_output=True, text=True, timeout=60, check=False
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise KDCUnavailable(
                f"{Path(argv[0]).name} failed: {detail[-1] if detail else result.returncode}"
            )
        return result.stdout

    def _create_database(self) -> None:
        master = secrets.token_urlsafe(24)
        self._run([find_tool("kdb5_util") or "kdb5_util", "create", "-s", "-r", self.realm, "-P", master])
        commands = []
        for user in self.users:
            if '"' in user.password or "\n" in user.password:
                raise KDCUnavailable(
                    f"lab user {user.name}: a password with quotes cannot go to kadmin.local"
                )
            flags = " -allow_tix" if user.disabled else ""
            commands.append(f'addprinc +requires_preauth{flags} -pw "{user.password}" {user.name}')
        for host in self.service_hosts:
            commands.append(f"addprinc -randkey HTTP/{host}")
            commands.append(f"ktadd -k {self.keytab} HTTP/{host}")
        self._run([find_tool("kadmin.local") or "kadmin.local", "-r", self.realm], "\n".join(commands) + "\n")
        os.chmod(self.keytab, 0o600)

    def _start_kdc(self) -> None:
        self._process = subprocess.Popen(
            [find_tool("krb5kdc") or "krb5kdc", "-n", "-r", self.realm],
            env=self._env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_death_signal(),
        )
        if wait_for_listener(self.port, self._process, timeout=10):
            return
        if self._process.poll() is not None:
            err = self._process.stderr.read().decode(errors="replace").strip() if self._process.stderr else ""
            self._process = None
            raise KDCUnavailable(f"krb5kdc exited: {err.splitlines()[-1] if err else 'no message'}")
        self.stop()
        raise KDCUnavailable("krb5kdc did not start listening within 10 s")

    # for clients (tests, the demo)

    def principal(self, user: str) -> str:
        return f"{self.users[user].name}@{self.realm}"

    def client_env(self, ccache: str | Path | None = None, **extra: str) -> dict[str, str]:
        """``KRB5_CONFIG`` (the realm's client config) and ``KRB5CCNAME`` (a FILE: cache) for a client."""
        env = {"KRB5_CONFIG": str(self.krb5_config)}
        if ccache is not None:
            env["KRB5CCNAME"] = f"FILE:{ccache}"
        env.update(extra)
        return env

    def kinit(
        self, user: str, ccache: str | Path, password: str | None = None, lifetime: str | None = None
    ) -> Path:
        """Get a TGT for the lab user into ``ccache`` with the ``kinit`` program (lab and tests only)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("KRB5")}
        env.update(self.client_env(ccache))
        argv = [find_tool("kinit") or "kinit"]
        if lifetime:
            argv += ["-l", lifetime]
        argv.append(self.principal(user))
        secret = self.users[user].password if password is None else password
        result = subprocess.run(
            argv, input=secret + "\n", env=env, capture_output=True, text=True, timeout=30, check=False
        )
        if result.returncode != 0:
            raise KDCUnavailable(f"kinit {self.principal(user)} failed: {result.stderr.strip()[-200:]}")
        return Path(ccache)

    # what the KDC saw

    def log_lines(self) -> list[str]:
        """KDC log lines written since the last ``mark()``."""
        try:
            with self.log_file.open("rb") as handle:
                handle.seek(self._log_mark)
                return handle.read().decode(errors="replace").splitlines()
        except FileNotFoundError:
            return []

    def mark(self) -> None:
        """Start counting KDC log events from now (tests call it first)."""
        try:
            self._log_mark = self.log_file.stat().st_size
        except FileNotFoundError:
            self._log_mark = 0

    def failed_attempts(self) -> Mapping[str, int]:
        """Failed pre-authentications (wrong passwords: what AD's lockout counts) per principal since ``mark()``."""
        return Counter(p for outcome, p in self.refusals() if outcome == "PREAUTH_FAILED")

    def refusals(self) -> list[tuple[str, str]]:
        """``(outcome, principal)`` of every refused AS request since ``mark()``: wrong password
        (``PREAUTH_FAILED``), disabled account (``CLIENT LOCKED OUT``), unknown (``CLIENT_NOT_FOUND``)."""
        return [m.groups() for m in map(_REFUSED.search, self.log_lines()) if m]  # type: ignore[misc]

    def requests_seen(self) -> Mapping[str, int]:
        """AS_REQ and TGS_REQ counts since ``mark()``."""
        counts: Counter[str] = Counter()
        for line in self.log_lines():
            for kind in ("AS_REQ", "TGS_REQ"):
                if f" {kind} " in line:
                    counts[kind] += 1
        return counts


def skew_ccache(ccache: str | Path, seconds: int) -> None:
    """Make clients using this FILE ccache run ``seconds`` off the KDC's clock (tests of clock skew).

    Rewrites the cache's header to carry a KDC time offset, which MIT Kerberos applies to every
    request it makes from the cache (``kdc_timesync``, on by default): as a client clock that is wrong.
    """
    path = Path(str(ccache).removeprefix("FILE:"))
    data = path.read_bytes()
    if data[:2] != b"\x05\x04":
        raise ValueError(f"{path} is not a version 4 credential cache")
    header_length = struct.unpack(">H", data[2:4])[0]
    header = struct.pack(">HHii", 1, 8, seconds, 0)
    path.write_bytes(data[:2] + struct.pack(">H", len(header)) + header + data[4 + header_length :])
