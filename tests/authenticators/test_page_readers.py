"""Reading the pages around a sign-in form: home realm choices, user-name and password pages, refreshes."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from samlbroker.authenticators.consent import read_consent_page
from samlbroker.authenticators.home_realm import read_home_realm_page
from samlbroker.authenticators.html import meta_refresh_target, read_forms
from samlbroker.errors import ConfigError
from samlbroker.lab.page_shapes import home_realm_page
from samlbroker.lab.variant import AD_REALM, PARTNER_REALM

BASE = "https://idp.example/adfs/ls/?x=1"


def _realm_page(html: str):
    soup = BeautifulSoup(html, "html.parser")
    return read_home_realm_page(soup, read_forms(soup, BASE))


@pytest.mark.parametrize("version", ["2012r2", "2016"])
def test_the_adfs_tiles_give_identifiers_and_shown_names(version: str) -> None:
    page = _realm_page(home_realm_page("?x=1", (AD_REALM, PARTNER_REALM), version))
    assert page is not None
    assert [(r.identifier, r.name) for r in page.realms] == [AD_REALM, PARTNER_REALM]
    assert page.choose(None).identifier == "AD AUTHORITY"
    assert page.choose("ad authority").identifier == "AD AUTHORITY"
    assert page.choose("partner corp").identifier == PARTNER_REALM[0]


def test_a_theme_without_script_names_the_choice_in_buttons_or_a_select() -> None:
    buttons = _realm_page(
        '<form method="post"><button name="HomeRealmSelection" value="AD AUTHORITY">Active Directory</button>'
        '<button name="HomeRealmSelection" value="urn:p">Partner</button></form>'
    )
    assert buttons is not None and [str(r) for r in buttons.realms] == [
        "Active Directory (AD AUTHORITY)",
        "Partner (urn:p)",
    ]
    select = _realm_page(
        '<form method="post"><select name="HomeRealmSelection"><option value="urn:p">Partner</option>'
        '<option value="AD AUTHORITY">Active Directory</option></select></form>'
    )
    assert select is not None and select.choose(None).name == "Active Directory"


def test_a_page_without_a_realm_choice_is_not_one() -> None:
    assert (
        _realm_page(
            '<form id="loginForm"><input name="UserName"/><input name="Password" type="password"/></form>'
        )
        is None
    )


def test_no_match_lists_what_is_offered() -> None:
    page = _realm_page(home_realm_page("?x=1", (PARTNER_REALM,), "2016"))
    with pytest.raises(ConfigError, match=r"offers: Partner Corp \(http://partner"):
        page.choose(None)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("0; url=/next?a=1", "https://idp.example/next?a=1"),
        ("0;URL='https://other.example/go'", "https://other.example/go"),
        ("1, url=step2", "https://idp.example/adfs/ls/step2"),
        ("30; url=/home", None),
        ("0", None),
        ("soon; url=/x", None),
    ],
)
def test_meta_refresh_targets(content: str, expected: str | None) -> None:
    html = f'<html><head><meta http-equiv="Refresh" content="{content}"></head></html>'
    assert meta_refresh_target(html, BASE) == expected


@pytest.mark.parametrize(
    ("html", "user", "password"),
    [
        ('<form><input name="pf.username"/><input type="hidden" name="pf.ok"/></form>', "pf.username", None),
        ('<form><input name="loginfmt" type="email"/></form>', "loginfmt", None),
        ('<form><input name="query" type="text"/></form>', None, None),
        ('<form><input name="username"/><input name="otp"/></form>', None, None),
        (
            '<form><input type="hidden" name="pf.username" value="a"/><input name="pf.pass" type="password"/></form>',
            None,
            "pf.pass",
        ),
        ('<form><input name="u"/><input name="p" type="password"/></form>', None, None),
    ],
    ids=["pingfederate-identifier", "entra-style", "search-box", "two-text-inputs", "password-only", "both"],
)
def test_user_name_pages_and_password_pages(html: str, user: str | None, password: str | None) -> None:
    (form,) = read_forms(html, BASE)
    assert (form.user_name_field(), form.password_field()) == (user, password)


def test_only_simplesamlphps_consent_form_counts_as_consent() -> None:
    consent = (
        "<p>You are about to login to the service urn:amazon:webservices.</p>"
        '<form id="consent_yes" action="/module.php/consent/getconsent.php">'
        '<input type="checkbox" name="saveconsent" value="1" checked/>'
        '<input type="hidden" name="StateId" value="s"/><button type="submit" name="yes">Yes</button></form>'
        '<form action="/module.php/consent/noconsent.php"><input type="hidden" name="StateId" value="s"/>'
        '<button type="submit" name="no">No</button></form>'
    )
    soup = BeautifulSoup(consent, "html.parser")
    found = read_consent_page(soup, read_forms(soup, BASE))
    assert found is not None and found.form.submitter == ("yes", "")
    assert "urn:amazon:webservices" in found.question
    other = '<form action="/poll"><input type="hidden" name="StateId" value="s"/><button name="yes">Yes</button></form>'
    soup = BeautifulSoup(other, "html.parser")
    assert read_consent_page(soup, read_forms(soup, BASE)) is None
