"""The Lab: a throwaway PKI, the AD FS look-alike IdP and the lab STS, all HTTPS on loopback.

    with Lab() as lab:
        requests.get(lab.signon_url, verify=lab.ca_file)

The IdP's NTLM acceptor reads the lab's user file (``lab.ntlm_user_file``) through ``ntlm_store``, never
the ``NTLM_USER_FILE`` environment variable, which stays the client's default identity. pyspnego's
Kerberos acceptor finds its keytab through ``KRB5_KTNAME``, so a running Lab with a KDC sets that for this
process (and restores the old value when it stops).

When the MIT Kerberos programs are installed, the Lab also runs a throwaway realm (``lab.kdc``, see
``samlbroker.lab.kdc``) whose ``HTTP/localhost`` key the IdP accepts Kerberos with; otherwise
``lab.kdc`` is None, ``lab.kdc_unavailable`` says why in one line, and everything else runs.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

from .acceptors import DEFAULT_ACCEPTOR, Acceptor
from .federation import FederationServer
from .idp import SHIBBOLETH_PATH, SIGNON_PATH, IdPServer
from .pingfed import PING_START_PATH
from .pki import LabPKI, create_pki
from .users import LabUsers, load_users
from .variant import DEFAULT_VARIANT, IdPVariant

log = logging.getLogger("samlbroker.lab")

NTLM_USER_FILE_ENV = "NTLM_USER_FILE"
KEYTAB_ENV = "KRB5_KTNAME"
AWS_RELYING_PARTY = "urn:amazon:webservices"
GOVCLOUD_RELYING_PARTY = "urn:amazon:webservices:govcloud"


class Lab:
    """Starts and stops the lab servers; see the module docstring. Not for production, ever."""

    def __init__(
        self,
        users_file: str | Path | None = None,
        workdir: Path | None = None,
        idp_port: int = 0,
        sts_port: int = 0,
        kerberos: bool | None = None,
        variant: IdPVariant = DEFAULT_VARIANT,
        acceptor: Acceptor | None = None,
    ) -> None:
        """``kerberos``: None starts the lab KDC when its programs are installed, True requires it, False skips it.

        ``variant``: how the lab IdP differs from the default, as real deployments do (``lab.variant``).
        ``acceptor``: who checks NTLM/Negotiate tokens (``lab.acceptors``); None is pyspnego's, with the
        lab's users in ``NTLM_USER_FILE``. Another (a domain controller's) leaves that variable alone.
        """
        self.users_file = Path(users_file) if users_file is not None else None
        self._workdir = Path(workdir) if workdir is not None else None
        self.idp_port = idp_port
        self.sts_port = sts_port
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self.users: LabUsers | None = None
        self.pki: LabPKI | None = None
        self.idp: IdPServer | None = None
        self.sts: Any = None
        self.federation: Any = None  # lab.federation.FederationServer: console sign-in stand-in
        self.ntlm_user_file: Path | None = None
        self.kerberos = kerberos
        self.variant = variant
        self.acceptor = acceptor
        self.kdc: Any = None
        self.kdc_unavailable: str | None = None
        self._saved_keytab: str | None = None

    # lifecycle

    def start(self) -> Lab:
        if self.idp is not None:
            return self
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        from .sts import STSServer

        self.users = load_users(self.users_file)
        if self._workdir is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="samlbroker-lab-")
            self._workdir = Path(self._tempdir.name)
        self._workdir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.pki = create_pki(self._workdir)
        self.ntlm_user_file = self.users.write_ntlm_user_file(self._workdir / "ntlm-users.txt")

        self.idp = IdPServer(
            self.users,
            self.pki.signing_key_pem,
            self.pki.signing_cert_pem,
            ssl_context=self.pki.server_context(),
            port=self.idp_port,
            channel_binding_data=self.pki.tls_server_end_point(),
            variant=self.variant,
            ntlm_user_file=self.ntlm_user_file,
            acceptor=self.acceptor or DEFAULT_ACCEPTOR,
        ).start()
        self._start_kdc()
        providers = {arn: self.signing_cert_pem for arn in sorted(self.users.provider_arns())}
        self.sts = STSServer(providers, ssl_context=self.pki.server_context(), port=self.sts_port).start()
        self.federation = FederationServer(self.sts, ssl_context=self.pki.server_context()).start()

    def _start_kdc(self) -> None:
        from .kdc import KDCUnavailable, LabKDC

        if self.kerberos is False:
            self.kdc_unavailable = "Kerberos turned off for this lab"
            return
        assert self.users is not None and self._workdir is not None and self.idp is not None
        try:
            self.kdc = LabKDC(self.users, self._workdir / "kdc", service_hosts=(self.idp.hostname,)).start()
        except KDCUnavailable as exc:
            if self.kerberos:
                raise
            self.kdc_unavailable = str(exc)
            log.warning("lab: no Kerberos (%s); NTLM, Digest and forms still run", exc)
            return
        self._saved_keytab = os.environ.get(KEYTAB_ENV)
        os.environ[KEYTAB_ENV] = f"FILE:{self.kdc.keytab}"

    def _stop_kdc(self) -> None:
        kdc, self.kdc = self.kdc, None
        if kdc is None:
            return
        kdc.stop()
        if os.environ.get(KEYTAB_ENV) == f"FILE:{kdc.keytab}":
            if self._saved_keytab is None:
                os.environ.pop(KEYTAB_ENV, None)
            else:
                os.environ[KEYTAB_ENV] = self._saved_keytab

    def stop(self) -> None:
        self._stop_kdc()
        for server in (self.federation, self.idp, self.sts):
            if server is not None:
                server.stop()
        self.idp = self.sts = self.federation = None
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None
            self._workdir = None

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # where things are

    def _running(self) -> IdPServer:
        if self.idp is None:
            raise RuntimeError("the lab is not running: call start() or use it as a context manager")
        return self.idp

    @property
    def workdir(self) -> Path | None:
        return self._workdir

    @property
    def idp_url(self) -> str:
        return self._running().url

    @property
    def signon_url(self) -> str:
        return f"{self.idp_url}{SIGNON_PATH}?loginToRp={AWS_RELYING_PARTY}"

    @property
    def govcloud_signon_url(self) -> str:
        """The sign-on URL of the GovCloud relying party: its assertions carry the aws-us-gov roles."""
        return f"{self.idp_url}{SIGNON_PATH}?loginToRp={GOVCLOUD_RELYING_PARTY}"

    @property
    def shibboleth_url(self) -> str:
        return f"{self.idp_url}{SHIBBOLETH_PATH}?providerId={AWS_RELYING_PARTY}"

    @property
    def pingfederate_url(self) -> str:
        """The PingFederate-style IdP-initiated sign-on for AWS."""
        return f"{self.idp_url}{PING_START_PATH}?PartnerSpId={AWS_RELYING_PARTY}"

    @property
    def sts_url(self) -> str:
        self._running()
        return self.sts.url

    @property
    def ca_file(self) -> Path:
        self._running()
        assert self.pki is not None
        return self.pki.ca_file

    @property
    def signing_cert_pem(self) -> str:
        if self.pki is None:
            raise RuntimeError("the lab is not running: call start() or use it as a context manager")
        return self.pki.signing_cert_pem.decode("ascii")
