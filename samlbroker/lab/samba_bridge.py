"""The lab IdP's acceptor for a real Active Directory (a Samba DC): AD checks NTLM, a keytab checks Kerberos.

NTLM (raw, or inside SPNEGO) goes to ``samba_acceptor.py``, a helper run by Debian's ``/usr/bin/python3``
(Samba's own Python bindings are not in our virtualenv), which validates it with Samba's GENSEC against the
DC's database: NT hashes, disabled and locked-out accounts, expired passwords and ``badPwdCount`` are
Active Directory's own. Kerberos inside SPNEGO is accepted in this process by GSSAPI with the service
account's keytab exported from the DC (``samba-tool domain exportkeytab``), as AD FS's service account does;
without a keytab Kerberos goes to the helper too, which then needs the SPN on the DC's machine account.

Samba 4.17's bindings cannot pass channel bindings, so NTLM's Extended Protection is not checked here.
"""

from __future__ import annotations

import base64
import itertools
import json
import subprocess
import threading
from pathlib import Path
from typing import Any

from .acceptors import NTSTATUS_OUTCOMES, AcceptorContext, AcceptorRefused
from .processes import stop_process
from .wia_tokens import _is_kerberos

DEBIAN_PYTHON = "/usr/bin/python3"
HELPER = Path(__file__).with_name("samba_acceptor.py")
SPNEGO_OID = "1.3.6.1.5.5.2"


class SambaAcceptor:
    """Acceptor (see ``samlbroker.lab.acceptors``) backed by a Samba DC; ``start()`` runs the helper."""

    def __init__(
        self, smb_conf: str | Path, keytab: str | Path | None = None, python: str = DEBIAN_PYTHON
    ) -> None:
        self.smb_conf = Path(smb_conf)
        self.keytab = Path(keytab) if keytab is not None else None
        self.python = python
        self.netbios_name: str | None = None
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def start(self) -> SambaAcceptor:
        if self._process is not None:
            return self
        self._process = subprocess.Popen(
            [self.python, str(HELPER), str(self.smb_conf)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        ready = self._read()
        self.netbios_name = ready.get("netbios_name")
        return self

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        stop_process(process, timeout=5, terminate=False)  # closed stdin ends it

    def __enter__(self) -> SambaAcceptor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def new_context(self, scheme: str, hostname: str) -> AcceptorContext:
        return _SambaContext(self, scheme)

    # the line protocol

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        """One request to the helper and its answer (serialised: the helper serves one at a time)."""
        with self._lock:
            if self._process is None or self._process.stdin is None:
                raise RuntimeError("the Samba acceptor is not running: call start()")
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            return self._read()

    def next_id(self) -> int:
        return next(self._ids)

    def _read(self) -> dict[str, Any]:
        assert self._process is not None and self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self._process.wait(timeout=5)
            detail = (self._process.stderr.read() if self._process.stderr else "").strip().splitlines()
            raise RuntimeError(f"the Samba acceptor helper exited: {detail[-1] if detail else 'no output'}")
        return json.loads(line)


class _SambaContext:
    """One handshake: NTLM (and keytab-less Kerberos) through the helper, Kerberos through GSSAPI."""

    def __init__(self, acceptor: SambaAcceptor, scheme: str) -> None:
        self._acceptor = acceptor
        self._scheme = scheme
        self._id = acceptor.next_id()
        self._kerberos: Any = None
        self._route: str | None = None
        self._principal: str | None = None
        self._protocol: str | None = None
        self.complete = False
        self.channel_bound = False

    @property
    def client_principal(self) -> str | None:
        return self._principal

    @property
    def negotiated_protocol(self) -> str | None:
        return self._protocol

    def step(self, in_token: bytes, *, channel_bindings: Any = None) -> bytes | None:
        if self._route is None:
            kerberos = _is_kerberos(in_token) and b"NTLMSSP\x00" not in in_token
            self._protocol = "kerberos" if kerberos else "ntlm"
            self._route = "keytab" if kerberos and self._acceptor.keytab is not None else "samba"
        if self._route == "keytab":
            return self._keytab_step(in_token, channel_bindings)
        return self._samba_step(in_token)

    def _samba_step(self, token: bytes) -> bytes | None:
        mech = "ntlmssp" if self._scheme == "ntlm" else "spnego"
        answer = self._acceptor.ask(
            {"op": "step", "id": self._id, "mech": mech, "token": base64.b64encode(token).decode()}
        )
        if "error" in answer:
            status = answer["error"]
            raise AcceptorRefused(
                f"{status}: {answer.get('message', '')}".strip(),
                outcome=NTSTATUS_OUTCOMES.get(status, "bad_token"),
                status=status,
            )
        self.complete = bool(answer.get("complete"))
        if self.complete:
            self._principal = answer.get("user")
        return base64.b64decode(answer.get("token") or "") or None

    def _keytab_step(self, token: bytes, channel_bindings: Any) -> bytes | None:
        import gssapi
        import gssapi.exceptions

        if self._kerberos is None:
            assert self._acceptor.keytab is not None
            creds = gssapi.Credentials(
                usage="accept",
                mechs=[gssapi.OID.from_int_seq(SPNEGO_OID)],
                store={"keytab": f"FILE:{self._acceptor.keytab}"},
            )
            bindings = None
            if channel_bindings is not None:
                bindings = gssapi.raw.ChannelBindings(application_data=channel_bindings.application_data)
            self._kerberos = gssapi.SecurityContext(creds=creds, usage="accept", channel_bindings=bindings)
        try:
            out = self._kerberos.step(token)
        except gssapi.exceptions.GSSError as exc:
            raise AcceptorRefused(str(exc).splitlines()[0], outcome="bad_token") from None
        self.complete = bool(self._kerberos.complete)
        if self.complete:
            self._principal = str(self._kerberos.initiator_name)
            self.channel_bound = gssapi.RequirementFlag.channel_bound in self._kerberos.actual_flags
        return out
