"""AWS Management Console sign-in URLs from temporary credentials, through the federation endpoint.

Two steps, as AWS documents for custom identity brokers: ``Action=getSigninToken`` with the session's
credentials (JSON ``sessionId`` / ``sessionKey`` / ``sessionToken``) answers a SigninToken; the
``Action=login`` URL built from it (with ``Issuer`` and ``Destination``) signs the browser in.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from .errors import ConfigError, FederationError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .sts import Credentials

MIN_CONSOLE_DURATION = 900  # AWS: a console session lasts 15 minutes ...
MAX_CONSOLE_DURATION = 43200  # ... to 12 hours

FEDERATION_URLS = {
    "aws": "https://signin.aws.amazon.com/federation",
    "aws-us-gov": "https://signin.amazonaws-us-gov.com/federation",
    "aws-cn": "https://signin.amazonaws.cn/federation",
}
CONSOLE_URLS = {
    "aws": "https://console.aws.amazon.com/",
    "aws-us-gov": "https://console.amazonaws-us-gov.com/",
    "aws-cn": "https://console.amazonaws.cn/",
}


def partition_of(credentials: Credentials, role_arn: str | None = None) -> str:
    """The partition of the session: from its assumed-role ARN, else ``role_arn``, else commercial AWS."""
    for arn in (credentials.assumed_role_arn, role_arn):
        if arn and arn.startswith("arn:") and arn.count(":") >= 2:
            return arn.split(":", 2)[1]
    return "aws"


def federation_url_for(partition: str, override: str | None = None) -> str:
    """``override`` (a profile's ``federation_url``) or the partition's own federation endpoint."""
    if override:
        if urlsplit(override).scheme not in ("https", "http") or not urlsplit(override).netloc:
            raise ConfigError(f"federation_url {override!r} is not an http(s) URL")
        return override
    try:
        return FEDERATION_URLS[partition]
    except KeyError:
        raise ConfigError(
            f"no console federation endpoint is known for partition {partition!r}: set federation_url on the profile"
        ) from None


def check_duration(duration: int | None) -> int | None:
    """``duration`` if it is a console session length AWS accepts (900 to 43200 seconds), else ConfigError."""
    if duration is None:
        return None
    if isinstance(duration, bool) or not isinstance(duration, int):
        raise ConfigError(f"console duration {duration!r} is not a whole number of seconds")
    if not MIN_CONSOLE_DURATION <= duration <= MAX_CONSOLE_DURATION:
        raise ConfigError(
            f"console duration {duration} s is out of range: AWS allows {MIN_CONSOLE_DURATION} to "
            f"{MAX_CONSOLE_DURATION} seconds (15 minutes to 12 hours)"
        )
    return duration


def signin_url(
    credentials: Credentials,
    *,
    destination: str | None = None,
    duration: int | None = None,
    federation_url: str | None = None,
    role_arn: str | None = None,
    issuer: str | None = None,
    verify: bool | str = True,
    timeout: float = 30,
    proxies: Mapping[str, str] | None = None,
) -> str:
    """The console login URL for ``credentials`` (one request: getSigninToken).

    ``destination`` defaults to the partition's console home; ``duration`` (seconds) sets the console
    session length, absent lets AWS choose. ``issuer`` is the login page the console sends the user back
    to when the session ends (the IdP sign-on URL fits). ``verify`` is True (system trust) or a CA bundle path.
    """
    duration = check_duration(duration)
    partition = partition_of(credentials, role_arn)
    endpoint = federation_url_for(partition, federation_url)
    destination = destination or CONSOLE_URLS.get(partition, CONSOLE_URLS["aws"])
    if urlsplit(destination).scheme != "https":
        raise ConfigError(f"destination {destination!r} is not an https URL")
    token = get_signin_token(credentials, endpoint, duration, verify=verify, timeout=timeout, proxies=proxies)
    query = {"Action": "login", "Destination": destination, "SigninToken": token}
    if issuer:
        query["Issuer"] = issuer
    return f"{endpoint}?{urlencode(query)}"


def get_signin_token(
    credentials: Credentials,
    federation_url: str,
    duration: int | None = None,
    *,
    verify: bool | str = True,
    timeout: float = 30,
    proxies: Mapping[str, str] | None = None,
) -> str:
    """Ask the federation endpoint for a SigninToken for the session of ``credentials``."""
    import requests

    from .http import BrokerSession, describe_request_error

    session_json = json.dumps(
        {
            "sessionId": credentials.access_key_id,
            "sessionKey": credentials.secret_access_key,
            "sessionToken": credentials.session_token,
        }
    )
    params = {"Action": "getSigninToken", "Session": session_json}
    if duration is not None:
        params["SessionDuration"] = str(duration)
    host = urlsplit(federation_url).netloc
    with BrokerSession(verify=verify, proxies=proxies, timeout=timeout) as http:
        try:
            # The query carries the session's secret: the safe log line of BrokerSession omits queries.
            response = http.get(federation_url, params=params, allow_redirects=False)
        except requests.RequestException as exc:
            raise FederationError(f"console sign-in: {describe_request_error(exc, federation_url)}") from None
    if response.status_code != 200:
        reason = (
            " ".join(response.text.split())[:200]
            if "text/plain" in response.headers.get("Content-Type", "")
            else ""
        )
        raise FederationError(
            f"console sign-in: {host} refused the session (HTTP {response.status_code})"
            + (f": {reason}" if reason else "")
            + _refusal_hint(response.status_code, duration)
        )
    try:
        token = response.json()["SigninToken"]
    except (ValueError, KeyError, TypeError):
        raise FederationError(f"console sign-in: {host} answered without a SigninToken") from None
    if not isinstance(token, str) or not token:
        raise FederationError(f"console sign-in: {host} answered an empty SigninToken")
    return token


def _refusal_hint(status: int, duration: int | None) -> str:
    if status in (400, 401, 403):
        hint = "; the credentials may have expired (log in again)"
        if duration is not None and duration > 3600:
            hint += ", or came from role chaining, which allows at most --duration 3600"
        return hint
    return ""
