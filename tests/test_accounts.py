"""Account names: the endpoint's map, the AWS sign-in page (the lab's stand-in, through a proxy), the cache,
and the role picker's filter."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest

from samlbroker.accounts import (
    CACHE_TTL,
    account_label,
    account_names_for,
    cache_path,
    fetch_account_names,
    filter_roles,
    load_cached,
    parse_account_names,
    parse_signin_page,
    store_cached,
    with_account_names,
)
from samlbroker.assertion import SAMLAssertion
from samlbroker.errors import ConfigError, SAMLBrokerError
from samlbroker.lab.proxy import ConnectProxy
from samlbroker.lab.saml import build_saml_response, encode_response
from samlbroker.lab.signin import account_picker_page
from samlbroker.profiles import Endpoint
from samlbroker.roles import RolePair, friendly_names

PROVIDER = "arn:aws:iam::{}:saml-provider/lab-adfs"
ALICE_ROLES = [
    "arn:aws:iam::111122223333:role/Developer",
    "arn:aws:iam::111122223333:role/ReadOnly",
    "arn:aws:iam::444455556666:role/Developer",
]
LAB_NAMES = {"111122223333": "lab-prod", "444455556666": "lab-dev"}


def assertion_for(arns: list[str]) -> SAMLAssertion:
    pairs = [(arn, PROVIDER.format(arn.split(":")[4])) for arn in arns]
    xml = build_saml_response(
        subject="alice", roles=pairs, signing_key_pem=None, signing_cert_pem=None, sign="none"
    )
    return SAMLAssertion.from_base64(encode_response(xml))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def fetch_endpoint(**kwargs: str) -> Endpoint:
    return Endpoint(name="lab", url="https://idp.invalid/adfs/ls/", account_names="fetch", **kwargs)


# -- the map on the endpoint ---------------------------------------------------------------------------


def test_map_is_read_with_commas_or_new_lines_and_spaces() -> None:
    assert parse_account_names("111122223333=prod, 444455556666 = dev\n777788889999=Shared Services") == {
        "111122223333": "prod",
        "444455556666": "dev",
        "777788889999": "Shared Services",
    }


@pytest.mark.parametrize("bad", ["prod", "1111=prod", "111122223333=", "111122223333 prod", "abcdefghijkl=x"])
def test_malformed_map_entry_is_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError, match="ACCOUNT_ID=NAME"):
        parse_account_names(bad)


def test_map_endpoint_names_the_accounts_without_any_request(home: Path) -> None:
    endpoint = Endpoint(name="e", url="https://idp.invalid/", account_names="111122223333=prod")
    assert account_names_for(endpoint, assertion_for(ALICE_ROLES)) == {"111122223333": "prod"}
    assert not Path(cache_path()).exists()


def test_no_setting_means_no_names(home: Path) -> None:
    assert account_names_for(Endpoint(name="e", url="https://x/"), assertion_for(ALICE_ROLES)) == {}


# -- the AWS sign-in page ------------------------------------------------------------------------------


def test_signin_page_accounts_with_and_without_alias_are_read() -> None:
    page = account_picker_page(assertion_for(ALICE_ROLES).base64, {"111122223333": "lab-prod & co"})
    assert parse_signin_page(page) == {"111122223333": "lab-prod & co", "444455556666": None}


def test_alias_with_parentheses_keeps_them() -> None:
    page = '<div class="saml-account-name">Account: prod (eu) (111122223333)</div>'
    assert parse_signin_page(page) == {"111122223333": "prod (eu)"}


def test_fetch_through_a_proxy_to_signin_aws_amazon_com(lab) -> None:  # type: ignore[no-untyped-def]
    proxy = ConnectProxy({"signin.aws.amazon.com": lab.idp.server_address[1]})
    try:
        names = fetch_account_names(
            assertion_for(ALICE_ROLES).base64, verify=str(lab.ca_file), proxy=proxy.url, timeout=10
        )
    finally:
        proxy.close()
    assert names == LAB_NAMES
    assert proxy.tunnels == ["signin.aws.amazon.com:443"]


def test_fetch_with_an_overridden_signin_url(lab) -> None:  # type: ignore[no-untyped-def]
    names = fetch_account_names(
        assertion_for(ALICE_ROLES[:1]).base64, signin_url=lab.idp_url + "/saml", verify=str(lab.ca_file)
    )
    assert names == {"111122223333": "lab-prod"}


def test_fetch_refused_is_a_one_line_error(lab) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SAMLBrokerError, match="HTTP 400"):
        fetch_account_names("bm90IHNhbWw=", signin_url=lab.idp_url + "/saml", verify=str(lab.ca_file))


def test_fetch_untrusted_tls_is_a_clear_error(lab) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SAMLBrokerError, match="not trusted"):
        fetch_account_names(assertion_for(ALICE_ROLES).base64, signin_url=lab.idp_url + "/saml")


# -- fetch + cache -------------------------------------------------------------------------------------


def test_fetch_setting_fetches_once_then_uses_the_0600_cache(lab, home: Path) -> None:  # type: ignore[no-untyped-def]
    assertion = assertion_for(ALICE_ROLES)
    options = {"signin_url": lab.idp_url + "/saml", "verify": str(lab.ca_file)}
    lab.idp.reset()
    assert account_names_for(fetch_endpoint(), assertion, **options) == LAB_NAMES
    fetched_with = lab.idp.requests
    assert fetched_with == 1
    path = Path(cache_path())
    assert path.parent == home / ".aws" / "samlbroker"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert account_names_for(fetch_endpoint(), assertion, **options) == LAB_NAMES
    assert lab.idp.requests == fetched_with  # the cache answered
    assert assertion.base64 not in path.read_text()


def test_an_account_the_cache_lacks_triggers_a_fetch(lab, home: Path) -> None:  # type: ignore[no-untyped-def]
    store_cached({"111122223333": "old-name"})
    lab.idp.reset()
    names = account_names_for(
        fetch_endpoint(),
        assertion_for(ALICE_ROLES),
        signin_url=lab.idp_url + "/saml",
        verify=str(lab.ca_file),
    )
    assert names == LAB_NAMES and lab.idp.requests == 1


def test_a_failed_fetch_warns_and_falls_back_to_cached_names(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store_cached({"111122223333": "prod"})
    names = account_names_for(
        fetch_endpoint(), assertion_for(ALICE_ROLES), signin_url="https://127.0.0.1:1/saml", timeout=5
    )
    assert names == {"111122223333": "prod"}
    assert "account names not available" in caplog.text


def test_cache_entries_older_than_a_week_are_ignored(home: Path) -> None:
    store_cached({"111122223333": "prod"}, now=time.time() - CACHE_TTL - 1)
    store_cached({"444455556666": "dev"})
    assert load_cached() == {"444455556666": "dev"}


def test_a_corrupt_cache_is_treated_as_empty_and_rewritten(home: Path) -> None:
    path = Path(cache_path())
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert load_cached() == {}
    store_cached({"111122223333": "prod"})
    assert json.loads(path.read_text())["accounts"]["111122223333"]["name"] == "prod"


# -- showing names ---------------------------------------------------------------------------------------


def test_friendly_names_use_account_names_for_shared_role_names() -> None:
    renamed = with_account_names(assertion_for(ALICE_ROLES), LAB_NAMES)
    assert set(renamed.roles) == {"lab-prod:Developer", "ReadOnly", "lab-dev:Developer"}
    assert renamed.roles["lab-dev:Developer"].role_arn == ALICE_ROLES[2]


def test_account_label() -> None:
    assert account_label("111122223333", LAB_NAMES) == "lab-prod (111122223333)"
    assert account_label("777788889999", LAB_NAMES) == "777788889999"


# -- the picker's filter ---------------------------------------------------------------------------------


def many_roles() -> dict[str, RolePair]:
    pairs = []
    for n in range(300):
        account = f"{100000000000 + n:012d}"
        for role in ("Admin", "Developer", "ReadOnly"):
            pairs.append(RolePair(f"arn:aws:iam::{account}:role/{role}", PROVIDER.format(account)))
    return friendly_names(pairs)


def test_filter_by_account_name_and_role_among_hundreds() -> None:
    roles = many_roles()
    names = {"100000000042": "payments-prod", "100000000043": "payments-dev"}
    found = filter_roles(roles, "payments prod dev", names)
    assert [roles[n].role_arn for n in found] == ["arn:aws:iam::100000000042:role/Developer"]
    assert len(filter_roles(roles, "payments", names)) == 6


def test_filter_by_account_id_substring() -> None:
    roles = many_roles()
    found = filter_roles(roles, "100000000299 read")
    assert [roles[n].role_arn for n in found] == ["arn:aws:iam::100000000299:role/ReadOnly"]


def test_filter_is_case_insensitive_and_fuzzy_as_a_last_resort() -> None:
    roles = friendly_names(
        [RolePair(arn, PROVIDER.format(arn.split(":")[4])) for arn in ALICE_ROLES]
        + [RolePair("arn:aws:iam::111122223333:role/DataViewer", PROVIDER.format("111122223333"))]
    )
    assert filter_roles(roles, "READONLY") == ["ReadOnly"]
    fuzzy = filter_roles(roles, "dvlp", LAB_NAMES)
    assert {roles[n].role_arn for n in fuzzy} == {ALICE_ROLES[0], ALICE_ROLES[2]}


def test_filter_ranks_role_name_prefix_before_other_substrings() -> None:
    roles = friendly_names(
        [
            RolePair("arn:aws:iam::111122223333:role/BillingDev", PROVIDER.format("111122223333")),
            RolePair("arn:aws:iam::444455556666:role/Dev", PROVIDER.format("444455556666")),
            RolePair("arn:aws:iam::777788889999:role/Ops", PROVIDER.format("777788889999")),
        ]
    )
    assert filter_roles(roles, "dev", {"777788889999": "devtools"}) == ["Dev", "BillingDev", "Ops"]


def test_empty_filter_keeps_every_role_in_picker_order() -> None:
    roles = friendly_names([RolePair(arn, PROVIDER.format(arn.split(":")[4])) for arn in ALICE_ROLES])
    assert filter_roles(roles, "  ") == ["111122223333:Developer", "ReadOnly", "444455556666:Developer"]


def test_filter_with_no_match_is_empty() -> None:
    assert filter_roles(many_roles(), "zzz") == []
