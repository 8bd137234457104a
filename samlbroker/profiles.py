"""Endpoints and role profiles in the AWS shared config file (``[saml-endpoint NAME]``, ``saml_*`` keys)."""

from __future__ import annotations

import configparser
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import ini
from .errors import ConfigError
from .ini import ENDPOINT_PREFIX, read_ini

__all__ = [
    "ENDPOINT_KEYS",
    "ENDPOINT_PREFIX",
    "Endpoint",
    "Profile",
    "config_path",
    "endpoint_names",
    "load_endpoint",
    "load_profile",
    "profile_names",
    "read_ini",
    "write_endpoint",
    "write_profile",
]

log = logging.getLogger("samlbroker.config")

DEFAULT_AUTH_TYPE = "kerberos"
_AUTH_METHOD = re.compile(r"[A-Za-z0-9][\w.:-]*")  # an AD FS AuthMethod name (mfa_method)
# Every key of a [saml-endpoint NAME] section, with what it means: `configure endpoint` makes a flag of each,
# loading warns about any other key (unless the endpoint's authenticator declares it in endpoint_options),
# and the README lists them with these words (a test holds the three together).
ENDPOINT_KEYS: Mapping[str, str] = {
    "url": "IdP sign-on URL",
    "auth_type": "ntlm, kerberos, negotiate, digest, forms, browser, or a plugin's name",
    "ca_bundle": "CA file for the IdP's TLS certificate",
    "proxy": "proxy URL for the IdP",
    "trusted_certs": "the IdP's signing certificate file (assertions must then verify)",
    "account_names": "account aliases: 111122223333=prod, 444455556666=dev (or: fetch)",
    "kerberos_canonicalize": "yes: follow DNS aliases when forming the Kerberos SPN (default no)",
    "kerberos_delegate": "yes: let the IdP act on your behalf (a forwardable ticket; default no)",
    "kerberos_mutual": "no: accept a Kerberos answer without the IdP's final token (default yes)",
    "adfs_home_realm": "forms: the claims provider to pick on AD FS's home realm page (identifier or tile name)",
    "forms_accept_consent": "yes: say yes when the IdP asks to release your attributes (forms; default no)",
    "mfa_method": "the AuthMethod to pick when the IdP offers several second factors",
    "browser_path": "auth_type = browser: the browser to run (else SAMLBROKER_BROWSER, else one found)",
    "browser_headless": "yes: never show a browser window; fail fast when the user is needed (default no)",
    "acs_url": "where the IdP posts the SAMLResponse, when it is not an AWS sign-in URL",
}
FLAG_KEYS = (
    "kerberos_canonicalize",
    "kerberos_delegate",
    "kerberos_mutual",
    "forms_accept_consent",
    "browser_headless",
)  # yes or no
_warned: set[tuple[str, str, str]] = set()  # (file, section, key) already warned about in this process
# The keys samlbroker reads from a role profile. A profile also holds the AWS CLI's and SDKs' own keys, so
# only an unknown key with samlbroker's prefix (saml_) is warned about.
PROFILE_KEYS = (
    "saml_endpoint",
    "saml_role_arn",
    "saml_user",
    "saml_password_store",
    "saml_policy_arns",
    "saml_policy_file",
    "duration_seconds",
    "region",
    "credential_process",
    "federation_url",
    "browser_interactive_refresh",
)
PROFILE_PREFIX = "saml_"


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
    kerberos_canonicalize: bool = (
        False  # follow DNS aliases when forming the SPN (off: tickets stay on the host)
    )
    kerberos_delegate: bool = False  # let the IdP act on the user's behalf (off unless asked for)
    kerberos_mutual: bool = True  # Kerberos needs the IdP's final token (off: a proxy that drops it)
    adfs_home_realm: str | None = None  # forms: the claims provider to pick on AD FS's home realm page
    forms_accept_consent: bool = False  # forms: say yes when the IdP asks to release the user's attributes
    mfa_method: str | None = None  # the AuthMethod to pick when the IdP offers several second factors
    browser_path: str | None = (
        None  # auth_type = browser: the browser to run (else SAMLBROKER_BROWSER, found)
    )
    browser_headless: bool = (
        False  # no window ever: remembered sessions only, fail fast when the user is needed
    )
    acs_url: str | None = None  # where the IdP posts the SAMLResponse, when not an AWS sign-in URL
    # The section's other keys, as written: those the authenticator declares reach it (endpoint_options).
    options: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def uses_browser(self) -> bool:
        """The user signs in in a browser (``auth_type = browser``): no password is asked or sent by us."""
        return self.auth_type == "browser"

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
    browser_interactive_refresh: bool = False  # a refresh may open a browser window (auth_type = browser)

    def session_policies(self) -> tuple[str, str | None]:
        """``saml_policy_arns`` as written, and the text of ``saml_policy_file`` (the STS client checks both)."""
        policy = None
        if self.extra.get("saml_policy_file"):
            path = Path(self.extra["saml_policy_file"]).expanduser()
            try:
                policy = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"cannot read saml_policy_file {path}: {exc.strerror}") from None
        return self.extra.get("saml_policy_arns", ""), policy

    def cache_key(self) -> str:
        """The credentials-cache key of this profile: endpoint URL, user (or default identity), role."""
        from .cache import key_for

        return key_for(self.endpoint.url, self.user, self.role_arn)


def config_path() -> Path:
    """``AWS_CONFIG_FILE`` or ``~/.aws/config``."""
    return Path(ini.config_path())


def load_endpoint(name: str, path: Path | None = None) -> Endpoint:
    """The ``[saml-endpoint NAME]`` section."""
    path = path or config_path()
    return _endpoint_from(read_ini(path), name, path)


def load_profile(name: str, path: Path | None = None) -> Profile:
    """The ``[profile NAME]`` section (``[default]`` for ``default``) and the endpoint it names."""
    path = path or config_path()
    parser = read_ini(path)
    section = ini.profile_section(parser, name)
    if not parser.has_section(section):
        raise ConfigError(f"profile {name!r} is not in {path}")
    values = dict(parser.items(section))
    endpoint_name = values.get("saml_endpoint")
    if not endpoint_name:
        raise ConfigError(f"profile {name!r} in {path} has no saml_endpoint")
    own = section_keys(parser, section)
    unknown = [k for k in own if k.startswith(PROFILE_PREFIX) and k not in PROFILE_KEYS]
    _warn_unknown(section, unknown, list(PROFILE_KEYS), path)
    return Profile(
        name=name,
        endpoint=_endpoint_from(parser, endpoint_name, path),
        role_arn=values.get("saml_role_arn") or None,
        user=values.get("saml_user") or None,
        duration=_int(values.get("duration_seconds"), "duration_seconds", path),
        region=values.get("region") or None,
        uses_credential_process=bool(values.get("credential_process")),
        extra={k: v for k, v in values.items() if k.startswith("saml_")},
        browser_interactive_refresh=_flag(
            values.get("browser_interactive_refresh"), "browser_interactive_refresh", path
        ),
    )


def _endpoint_from(parser: configparser.ConfigParser, name: str, path: Path) -> Endpoint:
    section = ENDPOINT_PREFIX + name
    if not parser.has_section(section):
        raise ConfigError(f"endpoint {name!r} ([{section}]) is not in {path}")
    values = dict(parser.items(section))
    if not values.get("url"):
        raise ConfigError(f"endpoint {name!r} in {path} has no url")
    auth_type = values.get("auth_type") or DEFAULT_AUTH_TYPE
    options = {key: values[key] for key in section_keys(parser, section) if key not in ENDPOINT_KEYS}
    if options:
        _warn_unknown(section, list(options), known_endpoint_keys(auth_type), path)
    return Endpoint(
        name=name,
        url=values["url"],
        auth_type=auth_type,
        ca_bundle=_path(values.get("ca_bundle")),
        proxy=values.get("proxy") or None,
        trusted_certs=_path(values.get("trusted_certs")),
        account_names=values.get("account_names") or None,
        kerberos_canonicalize=_flag(values.get("kerberos_canonicalize"), "kerberos_canonicalize", path),
        kerberos_delegate=_flag(values.get("kerberos_delegate"), "kerberos_delegate", path),
        kerberos_mutual=_flag(values.get("kerberos_mutual") or "yes", "kerberos_mutual", path),
        adfs_home_realm=values.get("adfs_home_realm") or None,
        forms_accept_consent=_flag(values.get("forms_accept_consent"), "forms_accept_consent", path),
        mfa_method=_auth_method(values.get("mfa_method"), path),
        browser_path=values.get("browser_path") or None,
        browser_headless=_flag(values.get("browser_headless"), "browser_headless", path),
        acs_url=values.get("acs_url") or None,
        options=options,
    )


def _auth_method(value: str | None, path: Path) -> str | None:
    if not value:
        return None
    if not _AUTH_METHOD.fullmatch(value):
        raise ConfigError(
            f"mfa_method = {value!r} in {path} is not an AuthMethod name (e.g. AzureMfaAuthentication)"
        )
    return value


def section_keys(parser: configparser.ConfigParser, section: str) -> list[str]:
    """The keys written in ``section`` itself (not those a ``[DEFAULT]`` section lends every section)."""
    return list(parser._sections.get(section, {}))  # type: ignore[attr-defined]


def known_endpoint_keys(auth_type: str) -> list[str]:
    """The built-in endpoint keys, then those the authenticator ``auth_type`` declares (``endpoint_options``)."""
    from .plugins import endpoint_options

    return [*ENDPOINT_KEYS, *endpoint_options(auth_type)]


def _warn_unknown(section: str, keys: list[str], known: list[str], path: Path) -> None:
    """One warning line per unknown key (a typo is otherwise silently ignored), naming the nearest known key."""
    import difflib

    for key in keys:
        if key in known or (str(path), section, key) in _warned:
            continue
        _warned.add((str(path), section, key))
        near = difflib.get_close_matches(key, known, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        log.warning("unknown key %r in [%s] of %s%s: it is ignored", key, section, path, hint)


def _flag(value: str | None, key: str, path: Path) -> bool:
    text = (value or "no").strip().lower()
    if text in ("yes", "true", "on", "1"):
        return True
    if text in ("no", "false", "off", "0", ""):
        return False
    raise ConfigError(f"{key} = {value!r} in {path} must be yes or no")


def _path(value: str | None) -> str | None:
    return str(Path(value).expanduser()) if value else None


def _int(value: str | None, key: str, path: Path) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{key} = {value!r} in {path} is not a whole number of seconds") from None


def endpoint_names(path: Path | None = None) -> list[str]:
    """The names of the ``[saml-endpoint NAME]`` sections."""
    parser = read_ini(path or config_path())
    return [s[len(ENDPOINT_PREFIX) :] for s in parser.sections() if s.startswith(ENDPOINT_PREFIX)]


def profile_names(path: Path | None = None) -> list[str]:
    """The names of the profiles that use a SAML endpoint."""
    parser = read_ini(path or config_path())
    names = [
        s.removeprefix("profile ") for s in parser.sections() if s.startswith("profile ") or s == "default"
    ]
    return [n for n in names if parser.get(ini.profile_section(parser, n), "saml_endpoint", fallback="")]


def write_endpoint(name: str, values: Mapping[str, str | None], path: Path | None = None) -> Path:
    """Create or edit ``[saml-endpoint NAME]``: keys with a value are set, keys given as None removed."""
    _check_name(name, "endpoint")
    _check_values(values, "endpoint")
    path = path or config_path()
    for key in FLAG_KEYS:
        if values.get(key) is not None:
            _flag(values[key], key, path)  # yes or no, or it would not load
    from .store import write_section

    return write_section(path, ENDPOINT_PREFIX + name, values)


def write_profile(name: str, values: Mapping[str, str | None], path: Path | None = None) -> Path:
    """Create or edit the role profile ``name`` (``[profile NAME]``, or ``[default]``), keeping all else."""
    _check_name(name, "profile")
    _check_values(values, "profile")
    path = path or config_path()
    from .store import write_section

    return write_section(path, ini.profile_section(read_ini(path), name), values)


def _check_name(name: str, kind: str) -> None:
    if not name or name != name.strip() or any(c in name for c in "[]\r\n"):
        raise ConfigError(
            f"{kind} name {name!r} cannot be a section name: no brackets, line breaks or edge spaces"
        )


def _check_values(values: Mapping[str, str | None], kind: str) -> None:
    """Only values that read back as written: one line, no edge spaces, no `` ;``/`` #`` (inline comments)."""
    for key, value in values.items():
        if value is None:
            continue
        if "\n" in value or "\r" in value or value != value.strip() or not value:
            raise ConfigError(f"the {kind}'s {key} must be one non-empty line without edge spaces")
        if any(f"{space}{mark}" in value for space in " \t" for mark in ";#"):
            raise ConfigError(f"the {kind}'s {key} cannot contain ' ;' or ' #' (they start a comment)")
