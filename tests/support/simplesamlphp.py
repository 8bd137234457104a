"""SimpleSAMLphp (Debian's package) as a real SAML IdP written elsewhere, once per test run, on loopback.

PHP's built-in server runs its ``www`` folder with a generated config (``SIMPLESAMLPHP_CONFIG_DIR`` in a
temp folder); the lab's TLS front puts HTTPS before it with a lab certificate. Users sign in through the
``exampleauth:UserPass`` source, whose users carry the AWS Role and RoleSessionName attributes; AWS
(``urn:amazon:webservices``) is a remote SP; IdP-initiated sign-on is ``signon_url``. The lab STS trusts the
generated signing certificate for the users' provider ARN.

Use it from a test folder's conftest: ``from simplesamlphp import simplesamlphp  # noqa: F401``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import ssl

    from samlbroker.lab.tls_front import TLSFront

SIMPLESAMLPHP_HOME = Path("/usr/share/simplesamlphp")
INSTALL_COMMAND = "./dev test (it runs: apt-get install simplesamlphp php-cli php-xml php-mbstring)"
AWS_SP = "urn:amazon:webservices"
AWS_ACS = "https://signin.aws.amazon.com/saml"
ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role"
SESSION_NAME_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
# Its own provider name, so the lab STS trusts this certificate for it without replacing the lab IdP's.
PROVIDER_ARN = "arn:aws:iam::111122223333:saml-provider/simplesamlphp"
CONSENT_PROVIDER_ARN = "arn:aws:iam::111122223333:saml-provider/simplesamlphp-consent"
# SimpleSAMLphp 1.19's words (dictionaries/errors) for a wrong user name or password.
WRONG_PASSWORD_TITLE = "Incorrect username or password"


@dataclass(frozen=True)
class SimpleSAMLphpUser:
    """One user of the ``exampleauth:UserPass`` source and the AWS roles it is given."""

    name: str
    password: str = field(repr=False)
    roles: tuple[str, ...]
    session_name: str

    def role_values(self, provider_arn: str = PROVIDER_ARN) -> list[str]:
        return [f"{role},{provider_arn}" for role in self.roles]


def missing() -> str | None:
    """Why SimpleSAMLphp cannot run here, or None."""
    if shutil.which("php") is None:
        return f"php is not installed; {INSTALL_COMMAND}"
    if not (SIMPLESAMLPHP_HOME / "www" / "_include.php").is_file():
        return f"SimpleSAMLphp is not installed at {SIMPLESAMLPHP_HOME}; {INSTALL_COMMAND}"
    modules = subprocess.run(["php", "-m"], capture_output=True, text=True, check=False).stdout.lower()
    for module, package in (("dom", "php-xml"), ("mbstring", "php-mbstring")):
        if module not in modules.split():
            return f"PHP has no {module} module ({package}); {INSTALL_COMMAND}"
    return None


def default_users() -> dict[str, SimpleSAMLphpUser]:
    """Fresh passwords each run; alice has two roles, bob one."""
    return {
        "alice": SimpleSAMLphpUser(
            "alice",
            secrets.token_urlsafe(12),
            ("arn:aws:iam::111122223333:role/Developer", "arn:aws:iam::111122223333:role/ReadOnly"),
            "alice@ssp.example",
        ),
        "bob": SimpleSAMLphpUser(
            "bob", secrets.token_urlsafe(12), ("arn:aws:iam::111122223333:role/ReadOnly",), "bob@ssp.example"
        ),
    }


class SimpleSAMLphp:
    """A running SimpleSAMLphp IdP; ``signon_url``, ``ca_file``, ``signing_cert_pem`` and ``users`` are public."""

    def __init__(
        self,
        workdir: Path,
        ssl_context: ssl.SSLContext,
        ca_file: Path,
        users: Mapping[str, SimpleSAMLphpUser],
        consent: bool = False,
    ) -> None:
        self.workdir = workdir
        self.consent = consent  # the consent:Consent filter asks before attributes go to AWS
        self.provider_arn = CONSENT_PROVIDER_ARN if consent else PROVIDER_ARN
        self.ssl_context = ssl_context
        self.ca_file = ca_file
        self.users = dict(users)
        self.signing_cert_pem = ""
        self.base_url = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._front: TLSFront | None = None

    @property
    def signon_url(self) -> str:
        """IdP-initiated sign-on for AWS."""
        return f"{self.base_url}saml2/idp/SSOService.php?spentityid={AWS_SP}"

    @property
    def log_file(self) -> Path:
        return self.workdir / "log" / "simplesamlphp.log"

    def start(self) -> SimpleSAMLphp:
        from samlbroker.lab.tls_front import TLSFront

        php_port = _free_port()
        front = TLSFront(self.ssl_context, php_port).start()
        self._front = front
        self.base_url = f"https://127.0.0.1:{front.port}/"
        config_dir = self._write_config()
        env = {**os.environ, "SIMPLESAMLPHP_CONFIG_DIR": str(config_dir), "PHP_CLI_SERVER_WORKERS": "2"}
        self._process = subprocess.Popen(
            ["php", "-S", f"127.0.0.1:{php_port}", "-t", str(SIMPLESAMLPHP_HOME / "www")],
            cwd=self.workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=(self.workdir / "php-server.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: PHP's forked workers stop with it
        )
        _wait_for_port(php_port, self._process)
        return self

    def stop(self) -> None:
        if self._process is not None:
            _stop_group(self._process)
            self._process = None
        if self._front is not None:
            self._front.stop()
            self._front = None

    # configuration

    def _write_config(self) -> Path:
        config = self.workdir / "config"
        for folder in ("config/metadata", "cert", "log", "data", "tmp", "sessions"):
            (self.workdir / folder).mkdir(parents=True, exist_ok=True)
        key_pem, cert_pem = _signing_identity()
        self.signing_cert_pem = cert_pem
        _write_private(self.workdir / "cert" / "idp.key", key_pem)
        (self.workdir / "cert" / "idp.crt").write_text(cert_pem)
        folder = str(self.workdir)
        settings = {
            "baseurlpath": self.base_url,
            "certdir": f"{folder}/cert/",
            "loggingdir": f"{folder}/log/",
            "datadir": f"{folder}/data/",
            "tempdir": f"{folder}/tmp",
            "metadatadir": f"{folder}/config/metadata/",
            "technicalcontact_name": "samlbroker tests",
            "technicalcontact_email": "tests@ssp.example",
            "secretsalt": secrets.token_hex(16),
            "auth.adminpassword": secrets.token_hex(16),
            "admin.protectindexpage": True,
            "admin.protectmetadata": False,
            "admin.checkforupdates": False,
            "timezone": "UTC",
            "enable.saml20-idp": True,
            "module.enable": {
                "exampleauth": True,
                "core": True,
                "saml": True,
                "admin": True,
                "consent": self.consent,
            },
            "store.type": "phpsession",
            "session.phpsession.savepath": f"{folder}/sessions",
            "session.cookie.secure": True,
            "logging.handler": "file",
            "logging.logfile": "simplesamlphp.log",
            "showerrors": True,
            "errorreporting": False,
            "production": True,
            "language.default": "en",
            "trusted.url.domains": [f"127.0.0.1:{self.base_url.rsplit(':', 1)[1].strip('/')}"],
        }
        _write_php(
            config / "config.php", "config", settings, extra="'logging.level' => SimpleSAML\\Logger::INFO,"
        )
        users = {f"{u.name}:{u.password}": _attributes(u, self.provider_arn) for u in self.users.values()}
        _write_php(
            config / "authsources.php",
            "config",
            {"admin": {0: "core:AdminPassword"}, "example-userpass": {0: "exampleauth:UserPass", **users}},
            private=True,
        )
        idp = {
            "host": "__DEFAULT__",
            "privatekey": "idp.key",
            "certificate": "idp.crt",
            "auth": "example-userpass",
            "attributes.NameFormat": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
            "saml20.sign.assertion": True,
            "userid.attribute": "uid",
        }
        _write_php(config / "metadata" / "saml20-idp-hosted.php", "metadata", {"__DYNAMIC:1__": idp})
        aws = {
            "entityid": AWS_SP,
            "AssertionConsumerService": [
                {"Binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", "Location": AWS_ACS}
            ],
            "NameIDFormat": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
            "attributes.NameFormat": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
        }
        if self.consent:  # remembered in a cookie when the user ticks the box (ticked by default)
            consent = {"class": "consent:Consent", "store": "consent:Cookie", "checked": True}
            aws["authproc"] = {90: {**consent, "identifyingAttribute": "uid"}}
        _write_php(config / "metadata" / "saml20-sp-remote.php", "metadata", {AWS_SP: aws})
        return config


def _attributes(user: SimpleSAMLphpUser, provider_arn: str) -> dict[str, object]:
    return {
        "uid": [user.name],
        ROLE_ATTRIBUTE: user.role_values(provider_arn),
        SESSION_NAME_ATTRIBUTE: [user.session_name],
    }


def _php(value: object) -> str:
    """A PHP literal for a str, bool, int, list or dict (lists become PHP lists, dicts keyed arrays)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, dict):
        return "[" + ", ".join(f"{_php(k)} => {_php(v)}" for k, v in value.items()) + "]"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_php(v) for v in value) + "]"
    raise TypeError(f"no PHP literal for {type(value).__name__}")


def _write_php(
    path: Path, variable: str, entries: Mapping[str, object], *, extra: str = "", private: bool = False
) -> None:
    """``$variable = [...];`` for config files, ``$metadata[key] = ...;`` lines for metadata files."""
    if variable == "metadata":
        body = "".join(f"$metadata[{_php(k)}] = {_php(v)};\n" for k, v in entries.items())
    else:
        items = "".join(f"    {_php(k)} => {_php(v)},\n" for k, v in entries.items())
        body = f"${variable} = [\n{items}    {extra}\n];\n"
    text = "<?php\n" + body
    if private:
        _write_private(path, text)
    else:
        path.write_text(text)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def _signing_identity() -> tuple[str, str]:
    """A self-signed RSA signing key and certificate (PEM text), from the lab's own helper."""
    from samlbroker.lab.saml import generate_signing_identity

    key_pem, cert_pem = generate_signing_identity("SimpleSAMLphp IdP - samlbroker tests", days=7)
    return key_pem.decode("ascii"), cert_pem.decode("ascii")


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop ``php -S`` and the workers it forked (``PHP_CLI_SERVER_WORKERS``): the whole process group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    with contextlib.suppress(ProcessLookupError):  # a worker that outlived its parent
        os.killpg(process.pid, signal.SIGKILL)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    from samlbroker.lab.loopback import wait_for_listener

    if wait_for_listener(port, process, timeout):
        return
    if process.poll() is not None:
        raise RuntimeError(f"php -S exited with {process.returncode} (port {port} taken?)")
    raise RuntimeError(f"php -S did not listen on port {port} within {timeout:.0f} s")


@pytest.fixture(scope="session")
def simplesamlphp(lab: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleSAMLphp]:
    """SimpleSAMLphp behind TLS with the lab's CA; the lab STS trusts its signing certificate."""
    yield from _running(lab, tmp_path_factory, consent=False)


@pytest.fixture(scope="session")
def simplesamlphp_consent(lab: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleSAMLphp]:
    """A second SimpleSAMLphp whose ``consent:Consent`` filter asks before attributes are sent to AWS."""
    yield from _running(lab, tmp_path_factory, consent=True)


def _running(lab: object, tmp_path_factory: pytest.TempPathFactory, consent: bool) -> Iterator[SimpleSAMLphp]:
    reason = missing()
    if reason is not None:
        pytest.skip(reason)
    pki = lab.pki  # type: ignore[attr-defined]
    folder = tmp_path_factory.mktemp("simplesamlphp-consent" if consent else "simplesamlphp")
    idp = SimpleSAMLphp(folder, pki.server_context(), pki.ca_file, default_users(), consent=consent)
    try:
        idp.start()
        lab.sts.register_provider(idp.provider_arn, idp.signing_cert_pem)  # type: ignore[attr-defined]
        yield idp
    finally:
        idp.stop()
        lab.sts.providers.pop(idp.provider_arn, None)  # type: ignore[attr-defined]
