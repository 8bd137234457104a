"""Reading the AWS shared config and credentials files: where they are, and parsing with path+line errors.

Standard library only, and configparser only once a file is parsed.
"""

from __future__ import annotations

import io
import os

from .cache_hit import config_path as config_path  # there: the credential-process hit needs it alone

TYPE_CHECKING = False
if TYPE_CHECKING:
    import configparser

ENDPOINT_PREFIX = "saml-endpoint "


def credentials_path() -> str:
    """``AWS_SHARED_CREDENTIALS_FILE`` or ``~/.aws/credentials``."""
    return os.path.expanduser(os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials")


def read_ini(path: str | os.PathLike[str]) -> configparser.ConfigParser:
    """Parse an AWS-style INI file (absent = empty); a malformed one is a ConfigError naming path and line."""
    import configparser

    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";", "#"), strict=False)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return parser
    except OSError as exc:
        from .errors import ConfigError

        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        # Universal newlines, as open() in text mode reads: CRLF and CR end lines too.
        parser.read_file(io.StringIO(decode_ini(path, data), newline=None), source=str(path))
    except configparser.Error as exc:
        from .errors import ConfigError

        raise ConfigError(_describe_parse_error(path, exc)) from None
    return parser


def decode_ini(path: str | os.PathLike[str], data: bytes) -> str:
    """The text of an INI file as botocore reads it: UTF-8 without a byte-order mark, else a ConfigError saying so."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise _not_plain_utf8(f"{path} starts with a UTF-8 byte-order mark (BOM), which botocore cannot read")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _not_plain_utf8(
            f"{path} is saved as UTF-16 (it starts with its byte-order mark), which botocore cannot read"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _not_plain_utf8(f"{path}, line {line} is not UTF-8 text") from None


def _not_plain_utf8(what: str) -> Exception:
    from .errors import ConfigError

    return ConfigError(f"{what}: save it as UTF-8 without BOM (Notepad: Save As, Encoding: UTF-8)")


def profile_section(parser: configparser.ConfigParser, name: str) -> str:
    """The section holding profile ``name``: ``[default]`` for ``default`` when present, else ``[profile NAME]``."""
    return "default" if name == "default" and parser.has_section("default") else f"profile {name}"


def _describe_parse_error(path: str | os.PathLike[str], exc: configparser.Error) -> str:
    """Path, line and kind of the first problem; never the line's text (it may hold a secret)."""
    import configparser

    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"{path}, line {exc.lineno} is malformed: a key before any [section] header"
    if isinstance(exc, configparser.ParsingError) and exc.errors:
        return f"{path}, line {exc.errors[0][0]} is malformed: not a [section] header or a key = value line"
    line = getattr(exc, "lineno", None)
    where = f"{path}, line {line}" if line else str(path)
    kind = type(exc).__name__.removesuffix("Error").replace("Duplicate", "duplicate ").lower()
    return f"{where} is malformed: {kind}"
