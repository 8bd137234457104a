"""pysaml2 (PyPI ``pysaml2``, signing and encrypting through Debian's ``xmlsec1``) as a second SAML IdP written
elsewhere, once per test run, on loopback.

Its ``saml2.server.Server`` runs with a generated config: an entity id, a signing key and certificate, and AWS
(``urn:amazon:webservices``, ACS https://signin.aws.amazon.com/saml) as the one SP in its metadata, with an
encryption certificate standing in for the one AWS gives an IAM SAML provider. A small HTTPS login page (the
lab's TLS certificate) signs users in and answers with an IdP-initiated (unsolicited) Response carrying the
AWS Role, RoleSessionName and SessionDuration attributes, posted to AWS by pysaml2's own HTTP-POST form.

What the response looks like is chosen per sign-on URL (``signon_url(ResponseShape(...))``), as real IdPs
differ: which element is signed, SHA-256 or SHA-1, ``xsi:type="xs:string"`` on attribute values or not, the
attributes' NameFormat, and an EncryptedAssertion. The lab STS trusts the signing certificate for
``PROVIDER_ARN``.

Use it from a test folder's conftest: ``from pysaml2_idp import pysaml2_idp  # noqa: F401``.
"""

from __future__ import annotations

import functools
import html
import secrets
import shutil
import threading
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

if TYPE_CHECKING:
    import ssl

    from samlbroker.lab.httpd import LabHTTPServer

XMLSEC1 = "/usr/bin/xmlsec1"
INSTALL_COMMAND = "./dev test (it runs: apt-get install xmlsec1, and pip installs the test extra: pysaml2)"
AWS_SP = "urn:amazon:webservices"
AWS_ACS = "https://signin.aws.amazon.com/saml"
ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role"
SESSION_NAME_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
SESSION_DURATION_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
# Its own provider name, so the lab STS trusts this certificate for it without replacing the lab IdP's.
PROVIDER_ARN = "arn:aws:iam::111122223333:saml-provider/pysaml2"
WRONG_PASSWORD = "Wrong user name or password."
NAME_FORMATS = {
    "uri": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
    "basic": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
    "unspecified": "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified",
}
# The local attribute names the IdP's users carry, and the SAML names pysaml2's converters give them.
_AWS_ATTRIBUTES = {
    "Role": ROLE_ATTRIBUTE,
    "RoleSessionName": SESSION_NAME_ATTRIBUTE,
    "SessionDuration": SESSION_DURATION_ATTRIBUTE,
}


@dataclass(frozen=True)
class ResponseShape:
    """How one SAMLResponse is built: the switches real IdPs differ in."""

    signed: Literal["response", "assertion", "both"] = "assertion"
    algorithm: Literal["sha256", "sha1"] = "sha256"  # rsa-shaN signature and shaN digest
    typed_values: bool = True  # AttributeValue xsi:type="xs:string" (pysaml2's own default) or untyped
    name_format: Literal["uri", "basic", "unspecified"] = "uri"
    encrypted: bool = False  # an EncryptedAssertion for the SP's (AWS's) encryption certificate

    def query(self) -> str:
        return urlencode({k: str(v).lower() for k, v in asdict(self).items()})

    @classmethod
    def from_query(cls, query: str) -> ResponseShape:
        given = {k: v[-1] for k, v in parse_qs(query).items()}
        values: dict[str, Any] = {}
        for spec in fields(cls):
            if spec.name in given:
                text = given[spec.name]
                values[spec.name] = text == "true" if spec.type in ("bool", bool) else text
        shape = cls(**values)
        if shape.signed not in ("response", "assertion", "both") or shape.algorithm not in ("sha256", "sha1"):
            raise ValueError(f"unknown response shape: {query}")
        if shape.name_format not in NAME_FORMATS:
            raise ValueError(f"unknown NameFormat: {shape.name_format}")
        return shape


@dataclass(frozen=True)
class Pysaml2User:
    """One user of the login page and the AWS attributes it is given."""

    name: str
    password: str = field(repr=False)
    roles: tuple[str, ...]
    session_name: str
    session_duration: int = 3600

    def identity(self, provider_arn: str = PROVIDER_ARN) -> dict[str, list[str]]:
        return {
            "Role": [f"{role},{provider_arn}" for role in self.roles],
            "RoleSessionName": [self.session_name],
            "SessionDuration": [str(self.session_duration)],
        }


def missing() -> str | None:
    """Why the pysaml2 IdP cannot run here, or None."""
    if shutil.which("xmlsec1") is None and not Path(XMLSEC1).is_file():
        return f"xmlsec1 is not installed; {INSTALL_COMMAND}"
    try:
        import saml2.server  # noqa: F401
    except ImportError:
        return f"pysaml2 is not installed; {INSTALL_COMMAND}"
    return None


def default_users() -> dict[str, Pysaml2User]:
    """Fresh passwords each run; carol has two roles, dave one."""
    return {
        "carol": Pysaml2User(
            "carol",
            secrets.token_urlsafe(12),
            ("arn:aws:iam::111122223333:role/Developer", "arn:aws:iam::111122223333:role/ReadOnly"),
            "carol@pysaml2.example",
        ),
        "dave": Pysaml2User(
            "dave",
            secrets.token_urlsafe(12),
            ("arn:aws:iam::111122223333:role/ReadOnly",),
            "dave@pysaml2.example",
            session_duration=1800,
        ),
    }


class Pysaml2IdP:
    """A running pysaml2 IdP; ``signon_url()``, ``ca_file``, ``signing_cert_pem`` and ``users`` are public."""

    def __init__(
        self, workdir: Path, ssl_context: ssl.SSLContext, ca_file: Path, users: Mapping[str, Pysaml2User]
    ) -> None:
        self.workdir = workdir
        self.ssl_context = ssl_context
        self.ca_file = ca_file
        self.users = dict(users)
        self.signing_cert_pem = ""
        self.sp_encryption_cert_pem = ""  # the certificate AWS would publish for encrypted assertions
        self.base_url = ""
        self.failed_logins = 0
        self.issued = 0
        self._server: Any = None
        self._building = threading.Lock()  # typed_values is set on the one Server for each response
        self._http: LabHTTPServer | None = None

    def signon_url(self, shape: ResponseShape | None = None) -> str:
        """IdP-initiated sign-on for AWS, answering with responses of ``shape``."""
        return f"{self.base_url}/idp/sso?{(shape or ResponseShape()).query()}"

    @property
    def entity_id(self) -> str:
        return f"{self.base_url}/idp/metadata"

    def start(self) -> Pysaml2IdP:
        from samlbroker.lab.httpd import LabHTTPServer

        http = LabHTTPServer(_LoginHandler, ssl_context=self.ssl_context, hostname="127.0.0.1")
        http.idp = self  # type: ignore[attr-defined]
        self.base_url = http.url
        self._server = self._pysaml2_server()
        self._http = http.start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.stop()
            self._http = None

    def check_password(self, name: str, password: str) -> Pysaml2User | None:
        user = self.users.get(name)
        if user is None or not secrets.compare_digest(user.password, password):
            self.failed_logins += 1
            return None
        return user

    # the response

    def response_xml(self, user: Pysaml2User, shape: ResponseShape) -> str:
        """An unsolicited Response for AWS, built and signed (and encrypted) by pysaml2."""
        from saml2 import xmldsig
        from saml2.assertion import Policy
        from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID

        server = self._server
        algorithms = {
            "sha256": (xmldsig.SIG_RSA_SHA256, xmldsig.DIGEST_SHA256),
            "sha1": (xmldsig.SIG_RSA_SHA1, xmldsig.DIGEST_SHA1),
        }
        sign_alg, digest_alg = algorithms[shape.algorithm]
        policy = Policy(
            {"default": {"lifetime": {"minutes": 15}, "name_form": NAME_FORMATS[shape.name_format]}},
            mds=server.metadata,
        )
        with self._building:
            server.typed_values = shape.typed_values
            response = server.create_authn_response(
                identity=user.identity(),
                in_response_to=None,  # IdP-initiated: no AuthnRequest answered
                destination=AWS_ACS,
                sp_entity_id=AWS_SP,
                name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=user.session_name),
                authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
                release_policy=policy,
                sign_response=shape.signed in ("response", "both"),
                sign_assertion=shape.signed in ("assertion", "both"),
                encrypt_assertion=shape.encrypted,
                encrypt_assertion_self_contained=True,
                sign_alg=sign_alg,
                digest_alg=digest_alg,
            )
            self.issued += 1
            return str(response)

    def post_form(self, response_xml: str) -> str:
        """pysaml2's own HTTP-POST binding page: the SAMLResponse form for the browser to post to AWS."""
        from saml2 import BINDING_HTTP_POST

        info = self._server.apply_binding(BINDING_HTTP_POST, response_xml, AWS_ACS, "", response=True)
        return str(info["data"])

    # configuration

    def _pysaml2_server(self) -> Any:
        from saml2 import BINDING_HTTP_POST
        from saml2.config import IdPConfig

        key_pem, cert_pem = _self_signed("pysaml2 IdP - samlbroker tests")
        sp_key_pem, sp_cert_pem = _self_signed("urn:amazon:webservices encryption (stand-in)")
        self.signing_cert_pem = cert_pem
        self.sp_encryption_cert_pem = sp_cert_pem
        _write_private(self.workdir / "idp.key", key_pem)
        (self.workdir / "idp.crt").write_text(cert_pem)
        _write_private(self.workdir / "aws-sp.key", sp_key_pem)  # kept so a test could decrypt as AWS does
        config = IdPConfig().load(
            {
                "entityid": self.entity_id,
                "service": {
                    "idp": {
                        "name": "pysaml2 IdP for samlbroker tests",
                        "endpoints": {
                            "single_sign_on_service": [(f"{self.base_url}/idp/sso", BINDING_HTTP_POST)]
                        },
                        "name_id_format": ["urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"],
                    }
                },
                "key_file": str(self.workdir / "idp.key"),
                "cert_file": str(self.workdir / "idp.crt"),
                "xmlsec_binary": shutil.which("xmlsec1") or XMLSEC1,
                "metadata": {"inline": [_aws_metadata(sp_cert_pem)]},
                "delete_tmpfiles": True,
            }
        )
        config.attribute_converters = [*_aws_converters(), *(config.attribute_converters or [])]
        return _new_server(config=config)


def _aws_converters() -> list[Any]:
    """pysaml2 attribute converters that name the AWS attributes in each NameFormat (first match wins)."""
    from saml2.attribute_converter import AttributeConverter

    converters = []
    for name_format in NAME_FORMATS.values():
        converter = AttributeConverter(name_format)
        converter.from_dict(
            {
                "identifier": name_format,
                "fro": {saml_name: local for local, saml_name in _AWS_ATTRIBUTES.items()},
                "to": {local.lower(): saml_name for local, saml_name in _AWS_ATTRIBUTES.items()},
            }
        )
        converters.append(converter)
    return converters


@functools.cache
def _aws_server_class() -> type:
    from saml2.saml import XSI_TYPE
    from saml2.server import Server

    class AwsServer(Server):
        """pysaml2's Server; ``typed_values = False`` drops xsi:type from attribute values before signing."""

        typed_values = True

        def setup_assertion(self, *args: Any, **kwargs: Any) -> Any:
            assertion = super().setup_assertion(*args, **kwargs)
            if not self.typed_values:
                for statement in assertion.attribute_statement:
                    for attribute in statement.attribute:
                        for value in attribute.attribute_value:
                            value.extension_attributes.pop(XSI_TYPE, None)
                            value.extension_attributes.pop("xmlns:xs", None)
            return assertion

    return AwsServer


def _new_server(**kwargs: Any) -> Any:
    """pysaml2's Server subclass, made on first use: importing this module imports no pysaml2."""
    return _aws_server_class()(**kwargs)


def _aws_metadata(encryption_cert_pem: str) -> str:
    """AWS's SP metadata as IAM publishes it, with our stand-in encryption certificate."""
    body = "".join(encryption_cert_pem.strip().splitlines()[1:-1])
    return f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{AWS_SP}">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"
      WantAssertionsSigned="true">
    <md:KeyDescriptor use="encryption">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:AssertionConsumerService index="1" isDefault="true"
        Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{AWS_ACS}"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
"""


def _login_page(action: str, message: str = "") -> str:
    error = f'<p class="error">{html.escape(message)}</p>' if message else ""
    return (
        "<!DOCTYPE html><html><head><title>Sign in - pysaml2 IdP</title></head><body>"
        f"<h1>Sign in</h1>{error}"
        f'<form method="post" action="{html.escape(action)}">'
        '<label>User name <input type="text" name="username"></label>'
        '<label>Password <input type="password" name="password"></label>'
        '<button type="submit">Sign in</button></form></body></html>'
    )


@functools.cache
def _login_handler_class() -> type:
    from samlbroker.lab.httpd import LabHandler

    class LoginHandler(LabHandler):
        """GET /idp/sso: the login form; POST /idp/sso: check the password, answer with the SAMLResponse form."""

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path != "/idp/sso":
                self.reply(404, "not found", "text/plain")
                return
            self.reply(200, _login_page(self.path))

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            if url.path != "/idp/sso":
                self.reply(404, "not found", "text/plain")
                return
            idp: Pysaml2IdP = self.server.idp  # type: ignore[attr-defined]
            form = {k: v[-1] for k, v in parse_qs(self.read_body().decode("utf-8")).items()}
            try:
                shape = ResponseShape.from_query(url.query)
            except ValueError as exc:
                self.reply(400, str(exc), "text/plain")
                return
            user = idp.check_password(form.get("username", ""), form.get("password", ""))
            if user is None:
                self.reply(200, _login_page(self.path, WRONG_PASSWORD))
                return
            self.reply(200, idp.post_form(idp.response_xml(user, shape)))

    return LoginHandler


class _LoginHandlerProxy:
    """Makes the handler class on first use, so importing this module does not import pysaml2 or the lab."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _login_handler_class()(*args, **kwargs)


_LoginHandler: Any = _LoginHandlerProxy()


def _write_private(path: Path, text: str) -> None:
    import os

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def _self_signed(common_name: str) -> tuple[str, str]:
    """A throwaway RSA key and self-signed certificate (PEM text), valid for a week: the lab's own."""
    from samlbroker.lab.saml import generate_signing_identity

    key_pem, cert_pem = generate_signing_identity(common_name, days=7)
    return key_pem.decode("ascii"), cert_pem.decode("ascii")


@pytest.fixture(scope="session")
def pysaml2_idp(lab: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pysaml2IdP]:
    """The pysaml2 IdP behind TLS with the lab's CA; the lab STS trusts its signing certificate."""
    reason = missing()
    if reason is not None:
        pytest.skip(reason)
    pki = lab.pki  # type: ignore[attr-defined]
    idp = Pysaml2IdP(
        tmp_path_factory.mktemp("pysaml2-idp"), pki.server_context(), pki.ca_file, default_users()
    )
    try:
        idp.start()
        lab.sts.register_provider(PROVIDER_ARN, idp.signing_cert_pem)  # type: ignore[attr-defined]
        yield idp
    finally:
        idp.stop()
        lab.sts.providers.pop(PROVIDER_ARN, None)  # type: ignore[attr-defined]
