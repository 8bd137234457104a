"""Account names next to twelve-digit ids: from the endpoint's ``account_names`` map, or fetched from AWS.

``account_names = 111122223333=prod, 444455556666=dev`` names accounts by hand; ``account_names = fetch``
posts the SAMLResponse to the AWS sign-in page (``https://signin.aws.amazon.com/saml``), which lists the
accounts of the assertion as ``Account: alias (id)``, and keeps what it read in
``~/.aws/samlbroker/account-names.json`` (0600) for a week. Also here: the role filter of the picker.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .errors import ConfigError, SAMLBrokerError

if TYPE_CHECKING:
    from .assertion import SAMLAssertion
    from .profiles import Endpoint
    from .roles import RolePair

log = logging.getLogger(__name__)

FETCH = "fetch"
CACHE_FORMAT = 1
CACHE_TTL = 7 * 24 * 3600  # aliases rarely change; a week-old list is refetched
SIGNIN_URLS = {
    "aws": "https://signin.aws.amazon.com/saml",
    "aws-us-gov": "https://signin.amazonaws-us-gov.com/saml",
    "aws-cn": "https://signin.amazonaws.cn/saml",
}
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ACCOUNT_DIV = re.compile(
    r"<div[^>]*class=\"[^\"]*\bsaml-account-name\b[^\"]*\"[^>]*>(.*?)</div>", re.IGNORECASE | re.DOTALL
)
_ACCOUNT_TEXT = re.compile(r"^\s*Account:\s*(?:(?P<alias>.*?)\s*\((?P<id>\d{12})\)|(?P<bare>\d{12}))\s*$")


# -- where names come from -----------------------------------------------------------------------------


def parse_account_names(text: str) -> dict[str, str]:
    """``111122223333=prod, 444455556666=dev`` (commas or new lines) -> ``{"111122223333": "prod", ...}``."""
    names: dict[str, str] = {}
    for entry in (e.strip() for e in re.split(r"[,\n]", text)):
        if not entry:
            continue
        account, sep, name = (part.strip() for part in entry.partition("="))
        if not sep or not _ACCOUNT_ID.match(account) or not name:
            raise ConfigError(
                f"account_names entry {entry!r} is not ACCOUNT_ID=NAME (a 12-digit id, then a name), or use 'fetch'"
            )
        names[account] = name
    return names


def parse_signin_page(page: str) -> dict[str, str | None]:
    """The accounts the AWS SAML sign-in page lists: account id -> alias (None when it shows none)."""
    import html

    found: dict[str, str | None] = {}
    for match in _ACCOUNT_DIV.finditer(page):
        text = html.unescape(re.sub(r"<[^>]+>", "", match.group(1)))
        parsed = _ACCOUNT_TEXT.match(" ".join(text.split()))
        if parsed is None:
            continue
        if parsed.group("bare"):
            found[parsed.group("bare")] = None
        else:
            found[parsed.group("id")] = parsed.group("alias") or None
    return found


def fetch_account_names(
    saml_response_b64: str,
    *,
    partition: str = "aws",
    signin_url: str | None = None,
    verify: bool | str = True,
    proxy: str | None = None,
    timeout: float = 30,
) -> dict[str, str | None]:
    """POST the SAMLResponse to the AWS sign-in page of ``partition`` (or ``signin_url``) and read the accounts."""
    import requests

    from .http import BrokerSession, describe_request_error

    url = signin_url or SIGNIN_URLS.get(partition)
    if url is None:
        raise ConfigError(
            f"no AWS sign-in page is known for partition {partition!r}: name the accounts instead"
        )
    proxies = {"http": proxy, "https": proxy} if proxy else None
    with BrokerSession(verify=verify, proxies=proxies, timeout=timeout) as http:
        try:
            response = http.post(url, data={"SAMLResponse": saml_response_b64}, allow_redirects=False)
        except requests.RequestException as exc:
            raise SAMLBrokerError(f"fetching account names: {describe_request_error(exc, url)}") from None
    if response.status_code != 200:
        raise SAMLBrokerError(
            f"fetching account names: the AWS sign-in page answered HTTP {response.status_code}"
        )
    accounts = parse_signin_page(response.text)
    if not accounts:
        raise SAMLBrokerError("fetching account names: the AWS sign-in page listed no accounts")
    return accounts


# -- the on-disk cache ---------------------------------------------------------------------------------


def cache_path() -> str:
    """``~/.aws/samlbroker/account-names.json``."""
    return os.path.join(os.path.expanduser("~"), ".aws", "samlbroker", "account-names.json")


def load_cached(now: float | None = None) -> dict[str, str | None]:
    """Cached account id -> alias (None: AWS shows no alias), fresher than a week; unreadable = empty."""
    now = time.time() if now is None else now
    try:
        with open(cache_path(), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
        return {}
    found: dict[str, str | None] = {}
    for account, entry in (data.get("accounts") or {}).items():
        fresh = isinstance(entry, dict) and isinstance(entry.get("fetched"), (int, float))
        if fresh and now - entry["fetched"] < CACHE_TTL and _ACCOUNT_ID.match(str(account)):
            name = entry.get("name")
            found[account] = name if isinstance(name, str) and name else None
    return found


def store_cached(accounts: Mapping[str, str | None], now: float | None = None) -> None:
    """Merge ``accounts`` into the cache (atomic, 0600, under the cache's lock)."""
    from .store import atomic_write, file_lock

    now = time.time() if now is None else now
    path = cache_path()
    with file_lock(path):
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
            entries = data.get("accounts") if isinstance(data, dict) else None
        except (OSError, ValueError):
            entries = None
        entries = dict(entries) if isinstance(entries, dict) else {}
        for account, name in accounts.items():
            entries[account] = {"name": name, "fetched": now}
        atomic_write(
            path, json.dumps({"format": CACHE_FORMAT, "accounts": entries}, indent=1) + "\n", mode=0o600
        )


# -- putting it together -------------------------------------------------------------------------------


def account_names_for(
    endpoint: Endpoint,
    assertion: SAMLAssertion,
    *,
    signin_url: str | None = None,
    verify: bool | str = True,
    refresh: bool = False,
    timeout: float = 30,
) -> dict[str, str]:
    """Account id -> name for the accounts of ``assertion``, as the endpoint's ``account_names`` says.

    With ``fetch``: the cache when it knows every account of the assertion, else the AWS sign-in page (then
    cached). A failed fetch is a warning, not an error: ids are shown instead of names.
    """
    setting = (endpoint.account_names or "").strip()
    if not setting:
        return {}
    if setting.lower() != FETCH:
        return parse_account_names(setting)
    ids = {pair.account_id for pair in assertion.roles.values()}
    cached = {} if refresh else load_cached()
    if not ids <= cached.keys():
        partitions = sorted({pair.partition for pair in assertion.roles.values()}) or ["aws"]
        try:
            fetched = fetch_account_names(
                assertion.base64,
                partition=partitions[0],
                signin_url=signin_url,
                verify=verify,
                proxy=endpoint.proxy,
                timeout=timeout,
            )
        except SAMLBrokerError as exc:
            log.warning("account names not available, showing ids: %s", exc)
            return {a: n for a, n in cached.items() if n}
        fetched.update({account: None for account in ids - fetched.keys()})  # not listed: do not ask again
        store_cached(fetched)
        cached.update(fetched)
    return {account: name for account, name in cached.items() if account in ids and name}


def with_account_names(assertion: SAMLAssertion, names: Mapping[str, str]) -> SAMLAssertion:
    """The same assertion with friendly role names that use account names where ids would be shown."""
    from .roles import friendly_names

    if not names:
        return assertion
    return dataclasses.replace(assertion, roles=friendly_names(assertion.roles.values(), names))


def account_label(account_id: str, names: Mapping[str, str] | None = None) -> str:
    """``prod (111122223333)``, or the bare id without a name."""
    name = (names or {}).get(account_id)
    return f"{name} ({account_id})" if name else account_id


# -- the picker's filter -------------------------------------------------------------------------------


def filter_roles(
    roles: Mapping[str, RolePair], query: str, account_names: Mapping[str, str] | None = None
) -> list[str]:
    """The friendly names of ``roles`` matching ``query``, best first.

    Each word of the query must match (case-insensitive) the role name, the account name, the account id,
    the friendly name or the ARN: as a substring, or failing that as a subsequence (``dvlp`` matches
    ``Developer``). Substring matches in the role name rank first, then other substrings, then subsequences;
    ties keep the picker's order (account, role name).
    """
    words = query.lower().split()
    scored: list[tuple[int, str, str, str]] = []
    for name, pair in roles.items():
        account_name = (account_names or {}).get(pair.account_id, "")
        fields = [
            pair.role_name.lower(),
            account_name.lower(),
            pair.account_id,
            name.lower(),
            pair.role_arn.lower(),
        ]
        total = 0
        for word in words:
            score = _word_score(word, fields)
            if score is None:
                break
            total += score
        else:
            scored.append((total, account_name.lower() or pair.account_id, pair.role_name.lower(), name))
    scored.sort()
    return [name for *_, name in scored]


def _word_score(word: str, fields: list[str]) -> int | None:
    if word in fields[0]:
        return 0 if fields[0].startswith(word) else 1
    if any(word in field for field in fields[1:]):
        return 2
    if any(_subsequence(word, field) for field in fields[:4]):
        return 4
    return None


def _subsequence(word: str, text: str) -> bool:
    rest = iter(text)
    return all(char in rest for char in word)
