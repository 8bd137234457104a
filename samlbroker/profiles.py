"""Endpoints and role profiles in the AWS shared config file (``[saml-endpoint NAME]``, ``saml_*`` keys)."""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

ENDPOINT_PREFIX = "saml-endpoint "
DEFAULT_AUTH_TYPE = "kerberos"


@dataclass(frozen=True)
class Endpoint:
    """An IdP sign-on endpoint and how to reach it."""

    name: str
    url: str
    auth_type: str = DEFAULT_AUTH_TYPE
    ca_bundle: str | None = None
    proxy: str | None = None
    trusted_certs: str | None = None
    account_names: str | None = None

    @property
    def verify(self) -> bool | str:
        """What to hand to ``verify=``: the endpoint's CA file, else system trust (``REQUESTS_CA_BUNDLE`` honoured)."""
        return self.ca_bundle or True

    def trusted_certs_pem(self) -> str | None:
        """The IdP signing certificate(s) the assertion must verify against, read from ``trusted_certs``."""
        if not self.trusted_certs:
            return None
        path = Path(self.trusted_certs).expanduser()
        try:
            return path.read_text()
        except OSError as exc:
            raise ConfigError(
                f"cannot read trusted_certs {path} of endpoint {self.name!r}: {exc.strerror}"
            ) from None


@dataclass(frozen=True)
class Profile:
    """A role profile: which endpoint, which role, and (for non-domain users) which user."""

    name: str
    endpoint: Endpoint
    role_arn: str | None = None
    user: str | None = None
    duration: int | None = None
    region: str | None = None
    uses_credential_process: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def config_path() -> Path:
    """``AWS_CONFIG_FILE`` or ``~/.aws/config``."""
    return Path(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config").expanduser()


def read_ini(path: Path) -> configparser.ConfigParser:
    """Parse an AWS-style INI file; a malformed one is a ConfigError naming its path and line."""
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";", "#"), strict=False)
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle, source=str(path))
    except FileNotFoundError:
        pass
    except configparser.Error as exc:
        raise ConfigError(_describe_parse_error(path, exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    return parser


def load_endpoint(name: str, path: Path | None = None) -> Endpoint:
    """The ``[saml-endpoint NAME]`` section."""
    path = path or config_path()
    return _endpoint_from(read_ini(path), name, path)


def load_profile(name: str, path: Path | None = None) -> Profile:
    """The ``[profile NAME]`` section (``[default]`` for ``default``) and the endpoint it names."""
    path = path or config_path()
    parser = read_ini(path)
    section = "default" if name == "default" and parser.has_section("default") else f"profile {name}"
    if not parser.has_section(section):
        raise ConfigError(f"profile {name!r} is not in {path}")
    values = dict(parser.items(section))
    endpoint_name = values.get("saml_endpoint")
    if not endpoint_name:
        raise ConfigError(f"profile {name!r} in {path} has no saml_endpoint")
    return Profile(
        name=name,
        endpoint=_endpoint_from(parser, endpoint_name, path),
        role_arn=values.get("saml_role_arn") or None,
        user=values.get("saml_user") or None,
        duration=_int(values.get("duration_seconds"), "duration_seconds", path),
        region=values.get("region") or None,
        uses_credential_process=bool(values.get("credential_process")),
        extra={k: v for k, v in values.items() if k.startswith("saml_")},
    )


def _endpoint_from(parser: configparser.ConfigParser, name: str, path: Path) -> Endpoint:
    section = ENDPOINT_PREFIX + name
    if not parser.has_section(section):
        raise ConfigError(f"endpoint {name!r} ([{section}]) is not in {path}")
    values = dict(parser.items(section))
    if not values.get("url"):
        raise ConfigError(f"endpoint {name!r} in {path} has no url")
    return Endpoint(
        name=name,
        url=values["url"],
        auth_type=values.get("auth_type") or DEFAULT_AUTH_TYPE,
        ca_bundle=_path(values.get("ca_bundle")),
        proxy=values.get("proxy") or None,
        trusted_certs=_path(values.get("trusted_certs")),
        account_names=values.get("account_names") or None,
    )


def _path(value: str | None) -> str | None:
    return str(Path(value).expanduser()) if value else None


def _int(value: str | None, key: str, path: Path) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{key} = {value!r} in {path} is not a whole number of seconds") from None


def _describe_parse_error(path: Path, exc: configparser.Error) -> str:
    """Path, line and kind of the first problem; never the line's text (it may hold a secret)."""
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"{path}, line {exc.lineno} is malformed: a key before any [section] header"
    if isinstance(exc, configparser.ParsingError) and exc.errors:
        return f"{path}, line {exc.errors[0][0]} is malformed: not a [section] header or a key = value line"
    line = getattr(exc, "lineno", None)
    where = f"{path}, line {line}" if line else str(path)
    kind = type(exc).__name__.removesuffix("Error").replace("Duplicate", "duplicate ").lower()
    return f"{where} is malformed: {kind}"
