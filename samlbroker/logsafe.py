"""Log records without secrets, whichever logger wrote them (ours, urllib3, botocore, requests...).

:class:`SecretFilter` sits on a handler and rewrites every record that reaches it before it is formatted:
URLs keep their path but lose their query string (urllib3 logs every request line with its query, and the
console's getSigninToken query holds the session's secret key and token); values of secret-named keys
(password, token, secret, SAMLResponse, Authorization, Cookie, ...) and long opaque strings are hidden;
arguments that are bodies or structures (bytes, dicts, request objects, multi-line text: botocore logs
request bodies, headers and canonical requests at DEBUG) are shown as their kind only. The same applies
to a record's traceback text. Standard library only.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import os
import re
import uuid
from collections.abc import Mapping

HIDDEN = "<hidden>"

# A query string or fragment after a URL or request path: everything from "?" to the next space or quote.
_QUERY = re.compile(r"(?<=[\w/.~%:\]-])\?[^\s\"'<>]+")
# The value after a secret-named key: `key=value`, `key: value`, `"key": "value"`, `'Key': b'value'`.
_KEYS_OF_SECRETS = (
    r"[\w.-]*(?:password|passwd|passphrase|pwd|secret|token|samlresponse|samlrequest|assertion|"
    r"authorization|cookie|signature|credential|session|passcode|otp)[\w.-]*"
)
_SECRET_PAIR = re.compile(
    rf"(?i)(?P<key>[\"']?\b{_KEYS_OF_SECRETS}[\"']?\s*[:=]\s*)"
    r"(?:(?P<q>b?[\"'])(?P<quoted>.*?)(?P=q)|b?(?P<bare>[^\s,;&}\])\"']+))"
)
# A long opaque word (base64, a token): 32 or more base64(url) characters standing alone, with lower and upper
# case letters and a digit (a dotted host, a path with a file name or a "host:port" never is one).
_OPAQUE = re.compile(r"(?<![\w+/.:-])[A-Za-z0-9+/_-]{32,}={0,2}(?![\w+/=.:-])")
_SAFE_TYPES = (str, int, float, bool, type(None), os.PathLike, enum.Enum, uuid.UUID, dt.date, dt.timedelta)


class SecretFilter(logging.Filter):
    """Rewrites each record so that its text holds no query string, body or secret value; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def redact_record(record: logging.LogRecord) -> None:
    """Replace the record's message, arguments, traceback and stack text by their redacted form, in place."""
    record.msg = redact(_render(record))
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    record.exc_info = None  # the redacted exc_text below is what any formatter shows
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def redact(text: str) -> str:
    """``text`` with query strings, secret-named values and long opaque strings hidden."""
    text = _QUERY.sub("?" + HIDDEN, text)
    text = _SECRET_PAIR.sub(_hide_value, text)
    return _OPAQUE.sub(_hide_opaque, text)


def _hide_value(match: re.Match[str]) -> str:
    if match.group("q") is not None:
        quote = match.group("q")
        return f"{match.group('key')}{quote}{HIDDEN}{quote[-1]}"
    return match.group("key") + HIDDEN


def _hide_opaque(match: re.Match[str]) -> str:
    run = match.group(0)
    mixed = any(c.islower() for c in run) and any(c.isupper() for c in run) and any(c.isdigit() for c in run)
    return HIDDEN if mixed else run


def _render(record: logging.LogRecord) -> str:
    """The record's message with every argument shown safely (see :func:`safe_argument`)."""
    template = record.msg if isinstance(record.msg, str) else str(safe_argument(record.msg))
    args = record.args
    if (
        record.name == "py.warnings"
        and isinstance(args, tuple)
        and len(args) == 1
        and isinstance(args[0], str)
    ):
        return args[0].strip().split("\n", 1)[0]  # a captured warning: its "file:line: Category: text" line
    if not args:
        return template
    try:
        if isinstance(args, Mapping):
            if "%(" in template:
                return template % {key: safe_argument(value) for key, value in args.items()}
            return template % (safe_argument(args),)
        return template % tuple(safe_argument(arg) for arg in args)
    except (TypeError, ValueError, KeyError):
        return template + " " + " ".join(str(safe_argument(arg)) for arg in args)


class _Kind(str):
    """What stands for a hidden argument; ``%r`` shows it as ``%s`` does."""

    def __repr__(self) -> str:
        return str(self)


def safe_argument(value: object) -> object:
    """A log argument as it may be shown: scalars and names as they are, a body or structure as its kind."""
    if isinstance(value, str):
        lines = value.count("\n")
        return value if not lines else _Kind(f"<text of {lines + 1} lines>")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _Kind(f"<{len(value)} bytes>")
    if isinstance(value, BaseException):
        text = str(value).splitlines()
        return _Kind(f"{type(value).__name__}: {text[0]}" if text else type(value).__name__)
    if isinstance(value, _SAFE_TYPES):
        return value
    if isinstance(value, tuple) and all(isinstance(v, (int, float, type(None))) for v in value):
        return value  # (connect, read) timeouts and the like
    if isinstance(value, type) or (callable(value) and hasattr(value, "__qualname__")):
        return _Kind(getattr(value, "__qualname__", type(value).__name__))
    if type(value).__module__.startswith("samlbroker."):
        return value  # our own types keep secrets out of their str and repr
    return _Kind(f"<{type(value).__name__}>")
