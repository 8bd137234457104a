"""The credentials file: one section changes, everything else survives byte for byte, 0600, atomic."""

from __future__ import annotations

import configparser
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from samlbroker.errors import ConfigError
from samlbroker.store import replace_section, write_credentials
from samlbroker.sts import Credentials

CREDS = Credentials(
    "ASIAEXAMPLE", "secret/key", "token==", datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
)


def test_new_section_is_appended_and_the_rest_kept() -> None:
    text = "# my keys\n[default]\naws_access_key_id = AKIA1 ; note\n"
    out = replace_section(text, "dev", {"aws_access_key_id": "ASIA2"})
    assert out.startswith(text)
    assert out.endswith("[dev]\naws_access_key_id = ASIA2\n")


def test_existing_keys_change_in_place_and_comments_and_other_keys_stay() -> None:
    text = "[dev]\n# keep me\naws_access_key_id = OLD\nregion_hint = x\n\n[other]\nk = v\n"
    out = replace_section(text, "dev", {"aws_access_key_id": "NEW", "aws_session_token": "T"})
    assert (
        out
        == "[dev]\n# keep me\naws_access_key_id = NEW\nregion_hint = x\naws_session_token = T\n\n[other]\nk = v\n"
    )


def test_crlf_files_stay_crlf() -> None:
    out = replace_section("[a]\r\nk = 1\r\n", "b", {"k": "2"})
    assert out == "[a]\r\nk = 1\r\n\r\n[b]\r\nk = 2\r\n"


_names = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)
_values = st.from_regex(r"[A-Za-z0-9/+=]{1,12}", fullmatch=True)
_comments = st.from_regex(r"[#;][ -~]{0,20}", fullmatch=True)


@st.composite
def credential_files(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 3))):
        lines.append(draw(_comments))
    for name in draw(st.lists(_names, unique=True, max_size=4)):
        lines.append(f"[{name}]")
        for key in draw(st.lists(_names, unique=True, max_size=3)):
            lines.append(f"{key} = {draw(_values)}")
            if draw(st.booleans()):
                lines.append(draw(_comments))
        if draw(st.booleans()):
            lines.append("")
    return "\n".join(lines) + ("\n" if lines and draw(st.booleans()) else "")


def _sections(text: str) -> dict[str, dict[str, str]]:
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";", "#"))
    parser.read_string(text)
    return {s: dict(parser.items(s)) for s in parser.sections()}


@settings(max_examples=200, deadline=None)
@given(credential_files(), _names)
def test_any_file_survives_a_write_except_for_the_one_section(text: str, target: str) -> None:
    values = {"aws_access_key_id": "ASIANEW", "aws_session_token": "TOKEN"}
    out = replace_section(text, target, values)
    before, after = _sections(text), _sections(out)
    assert after[target] == {**before.get(target, {}), **values}
    assert {k: v for k, v in after.items() if k != target} == {k: v for k, v in before.items() if k != target}
    if target not in before:
        assert out.startswith(text)  # appended: every byte before it unchanged
    else:
        kept = [line for line in text.splitlines() if not line.strip().startswith(tuple(values))]
        assert [line for line in out.splitlines() if not line.strip().startswith(tuple(values))] == kept


def test_written_file_is_0600_and_keeps_other_profiles(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text("# corp\n[prod]\naws_access_key_id = AKIAPROD\n")
    write_credentials("dev", CREDS, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    sections = _sections(path.read_text())
    assert sections["prod"] == {"aws_access_key_id": "AKIAPROD"}
    assert sections["dev"]["aws_secret_access_key"] == "secret/key"
    assert sections["dev"]["x_security_token_expires"] == "2030-01-02T03:04:05Z"
    assert path.read_text().startswith("# corp\n[prod]\n")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_malformed_file_is_reported_with_line_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    broken = "[prod]\naws_access_key_id = AKIA\nthis line has no equals sign\n"
    path.write_text(broken)
    with pytest.raises(ConfigError, match=r"credentials, line 3"):
        write_credentials("dev", CREDS, path)
    assert path.read_text() == broken
