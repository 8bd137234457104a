"""Endpoints and role profiles from the AWS config file."""

from __future__ import annotations

from pathlib import Path

import pytest

from samlbroker.errors import ConfigError
from samlbroker.profiles import load_endpoint, load_profile

CONFIG = """\
[saml-endpoint corp]
url = https://adfs.corp.example.com/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices
auth_type = ntlm            ; inline comments as in the contract
ca_bundle = ~/corp-ca.pem

[profile dev]
saml_endpoint = corp
saml_role_arn = arn:aws:iam::123456789012:role/Dev
saml_user = CORP\\alice          ; only for non-domain users
duration_seconds = 7200
region = eu-west-1
credential_process = samlbroker credential-process --profile dev
"""


def test_profile_and_its_endpoint_are_read_with_inline_comments(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(CONFIG)
    profile = load_profile("dev", path)
    assert profile.user == "CORP\\alice"
    assert profile.duration == 7200
    assert profile.region == "eu-west-1"
    assert profile.uses_credential_process
    assert profile.endpoint.auth_type == "ntlm"
    assert profile.endpoint.verify == str(Path("~/corp-ca.pem").expanduser())
    assert load_endpoint("corp", path).url.endswith("loginToRp=urn:amazon:webservices")


def test_missing_profile_endpoint_and_bad_numbers_are_clear_errors(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(CONFIG.replace("7200", "two hours") + "[profile lost]\nsaml_endpoint = nowhere\n")
    with pytest.raises(ConfigError, match="profile 'prod' is not in"):
        load_profile("prod", path)
    with pytest.raises(ConfigError, match="endpoint 'nowhere'"):
        load_profile("lost", path)
    with pytest.raises(ConfigError, match="duration_seconds = 'two hours'"):
        load_profile("dev", path)


def test_malformed_config_names_path_and_line(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text("[profile dev]\nsaml_endpoint = corp\n  [broken\nkey value without equals\n")
    with pytest.raises(ConfigError, match=r"config, line \d+ is malformed"):
        load_profile("dev", path)


def test_the_shipped_example_config_reads_cleanly() -> None:
    example = Path(__file__).resolve().parents[1] / "config" / "aws-config.example"
    assert load_profile("dev", example).endpoint.auth_type == "negotiate"
    assert load_profile("prod-readonly", example).user == "CORP\\alice"
    assert load_profile("lab", example).endpoint.ca_bundle == "/tmp/samlbroker-lab/lab-ca.pem"


def test_kerberos_options_on_the_endpoint_reach_the_authenticator(tmp_path: Path) -> None:
    from samlbroker.flow import controller_for

    path = tmp_path / "config"
    path.write_text(
        "[saml-endpoint corp]\nurl = https://adfs.corp.example.com/adfs/ls/\nauth_type = negotiate\n"
        "kerberos_canonicalize = yes\nkerberos_delegate = true\n\n"
        "[saml-endpoint plain]\nurl = https://adfs.corp.example.com/adfs/ls/\nauth_type = kerberos\n\n"
        "[saml-endpoint bad]\nurl = https://adfs.corp.example.com/adfs/ls/\nkerberos_delegate = maybe\n"
    )
    authenticator = controller_for(load_endpoint("corp", path)).authenticator
    assert (authenticator.name, authenticator.canonicalize_hostname, authenticator.delegate) == (
        "negotiate",
        True,
        True,
    )
    plain = load_endpoint("plain", path)
    assert (plain.kerberos_canonicalize, plain.kerberos_delegate) == (False, False)
    # No options: the built-in default authenticator (canonicalisation and delegation off).
    assert controller_for(plain).authenticator is None
    with pytest.raises(ConfigError, match=r"kerberos_delegate = 'maybe'.*yes or no"):
        load_endpoint("bad", path)


def test_kerberos_mutual_is_required_unless_the_endpoint_says_no(tmp_path: Path) -> None:
    from samlbroker.flow import controller_for

    path = tmp_path / "config"
    path.write_text(
        "[saml-endpoint relaxed]\nurl = https://adfs.corp.example.com/adfs/ls/\nkerberos_mutual = no\n\n"
        "[saml-endpoint strict]\nurl = https://adfs.corp.example.com/adfs/ls/\nauth_type = negotiate\n\n"
        "[saml-endpoint bad]\nurl = https://adfs.corp.example.com/adfs/ls/\nkerberos_mutual = sometimes\n"
    )
    relaxed = load_endpoint("relaxed", path)
    assert relaxed.kerberos_mutual is False
    authenticator = controller_for(relaxed).authenticator
    assert (authenticator.name, authenticator.mutual) == ("kerberos", False)
    assert load_endpoint("strict", path).kerberos_mutual is True
    assert controller_for(load_endpoint("strict", path)).authenticator is None  # the default: required
    with pytest.raises(ConfigError, match=r"kerberos_mutual = 'sometimes'.*yes or no"):
        load_endpoint("bad", path)


@pytest.mark.parametrize(
    ("encoding", "said"),
    [
        ("utf-8-sig", "starts with a UTF-8 byte-order mark (BOM), which botocore cannot read"),
        ("utf-16", "is saved as UTF-16"),
        ("utf-16-be", "is saved as UTF-16"),
    ],
)
def test_a_config_saved_with_a_byte_order_mark_says_so_and_how_to_save_it(
    tmp_path: Path, encoding: str, said: str
) -> None:
    """Windows Notepad's "UTF-8 with BOM" and "Unicode": botocore reads neither, so name the mark."""
    path = tmp_path / "config"
    text = CONFIG if encoding != "utf-16-be" else "\ufeff" + CONFIG
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    with pytest.raises(ConfigError) as caught:
        load_profile("dev", path)
    message = str(caught.value)
    assert said in message and "save it as UTF-8 without BOM" in message
    assert str(path) in message and "\n" not in message and "malformed" not in message


def test_a_config_with_a_line_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_bytes(CONFIG.replace("CORP\\alice", "CORP\\j\xf6rg").encode("latin-1"))
    with pytest.raises(ConfigError, match=r"config, line 9 is not UTF-8 text: save it as UTF-8 without BOM"):
        load_profile("dev", path)


def test_a_crlf_config_without_a_mark_reads_as_before(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_bytes(CONFIG.replace("\n", "\r\n").encode())
    assert load_profile("dev", path).user == "CORP\\alice"


def test_forms_options_on_the_endpoint_reach_the_authenticator(tmp_path: Path) -> None:
    from samlbroker.flow import controller_for

    path = tmp_path / "config"
    path.write_text(
        "[saml-endpoint corp]\nurl = https://adfs.corp.example.com/adfs/ls/\nauth_type = forms\n"
        "adfs_home_realm = Partner Corp\nforms_accept_consent = yes\n\n"
        "[saml-endpoint plain]\nurl = https://adfs.corp.example.com/adfs/ls/\nauth_type = forms\n\n"
        "[saml-endpoint bad]\nurl = https://adfs.corp.example.com/adfs/ls/\nforms_accept_consent = sure\n"
    )
    authenticator = controller_for(load_endpoint("corp", path)).authenticator
    assert (authenticator.name, authenticator.home_realm, authenticator.accept_consent) == (
        "forms",
        "Partner Corp",
        True,
    )
    plain = load_endpoint("plain", path)
    assert (plain.adfs_home_realm, plain.forms_accept_consent) == (None, False)
    assert controller_for(plain).authenticator is None  # the built-in default: Active Directory, no consent
    with pytest.raises(ConfigError, match=r"forms_accept_consent = 'sure'.*yes or no"):
        load_endpoint("bad", path)
