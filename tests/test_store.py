"""The credentials file: one section changes, everything else survives byte for byte, 0600, atomic."""

from __future__ import annotations

import configparser
import os
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from samlbroker.errors import ConfigError
from samlbroker.ini import read_ini
from samlbroker.store import replace_section, write_credentials, write_section
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


def test_a_crlf_file_on_disk_keeps_its_crlf_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_bytes(b"# corp\r\n[prod]\r\naws_access_key_id = AKIAPROD\r\n")
    write_credentials("dev", CREDS, path)
    data = path.read_bytes()
    assert data.startswith(b"# corp\r\n[prod]\r\naws_access_key_id = AKIAPROD\r\n\r\n[dev]\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")


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


def test_a_credentials_file_with_a_byte_order_mark_is_named_as_such_and_left_untouched(
    tmp_path: Path,
) -> None:
    path = tmp_path / "credentials"
    path.write_bytes("[prod]\naws_access_key_id = AKIAPROD\n".encode("utf-8-sig"))
    before = path.read_bytes()
    with pytest.raises(
        ConfigError, match=r"credentials starts with a UTF-8 byte-order mark .*UTF-8 without BOM"
    ):
        write_credentials("dev", CREDS, path)
    assert path.read_bytes() == before


# -- config files: "profile X" and "saml-endpoint X" sections, removals, continuation lines -------------

_section_names = st.one_of(
    _names, _names.map(lambda n: f"profile {n}"), _names.map(lambda n: f"saml-endpoint {n}")
)


@st.composite
def config_files(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 2))):
        lines.append(draw(_comments))
    for name in draw(st.lists(_section_names, unique=True, max_size=4)):
        lines.append(f"[{name}]")
        for key in draw(st.lists(_names, unique=True, max_size=3)):
            lines.append(f"{key} = {draw(_values)}")
            if draw(st.booleans()):
                lines.append(f"    {draw(_values)}")  # a continuation line
            if draw(st.booleans()):
                lines.append(draw(_comments))
        for _ in range(draw(st.integers(0, 2))):
            lines.append("")
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines) + (newline if lines and draw(st.booleans()) else "")


@settings(max_examples=300, deadline=None)
@given(
    config_files(),
    _section_names,
    st.dictionaries(_names, st.one_of(st.none(), _values), max_size=3),
)
def test_any_config_survives_a_write_except_for_the_one_section(
    text: str, target: str, values: dict[str, str | None]
) -> None:
    out = replace_section(text, target, values)
    before, after = _sections(text), _sections(out)
    expected = {k: v for k, v in {**before.get(target, {}), **values}.items() if v is not None}
    if target in before or expected:
        assert after[target] == expected
    assert {k: v for k, v in after.items() if k != target} == {k: v for k, v in before.items() if k != target}
    lines, out_lines = text.splitlines(keepends=True), out.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip() == f"[{target}]"), None)
    if start is None:
        assert out.startswith(text)
    else:  # every line before the section and after it is byte-identical
        assert out_lines[: start + 1] == lines[: start + 1]
        nxt = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
        tail = lines[nxt:]
        assert out_lines[len(out_lines) - len(tail) :] == tail or not tail
    if "\r\n" in text:
        assert "\n" not in out.replace("\r\n", "")


def test_removing_a_key_takes_its_continuation_lines_and_nothing_else() -> None:
    text = "[profile dev]\nsaml_policy_arns = arn:a,\n    arn:b\n# note\nregion = x\n"
    assert (
        replace_section(text, "profile dev", {"saml_policy_arns": None})
        == "[profile dev]\n# note\nregion = x\n"
    )
    assert replace_section(text, "profile dev", {"saml_policy_arns": "arn:c"}) == (
        "[profile dev]\nsaml_policy_arns = arn:c\n# note\nregion = x\n"
    )
    assert replace_section(text, "profile other", {"k": None}) == text


# -- crash safety --------------------------------------------------------------------------------------


def test_a_failure_between_write_and_rename_leaves_the_old_file(tmp_path: Path, monkeypatch) -> None:
    from samlbroker import store

    path = tmp_path / "credentials"
    path.write_text("[prod]\nk = old\n")

    def crash(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.os, "replace", crash)
    with pytest.raises(OSError):
        store.atomic_write(path, "[prod]\nk = new\n")
    assert path.read_text() == "[prod]\nk = old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["credentials"]


WRITER = """
import sys
from samlbroker.store import atomic_write
path = sys.argv[1]
big = {"a": "[a]\\n" + "k = " + "A" * 4_000_000 + "\\n", "b": "[b]\\n" + "k = " + "B" * 3_000_000 + "\\n"}
print("ready", flush=True)
while True:
    for text in big.values():
        atomic_write(path, text)
"""


def test_killing_the_writer_mid_write_leaves_the_old_or_the_new_file(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "credentials"
    full = {"[a]\nk = " + "A" * 4_000_000 + "\n", "[b]\nk = " + "B" * 3_000_000 + "\n"}
    path.write_text(next(iter(full)))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    for delay in (0.05, 0.13, 0.21, 0.37, 0.5):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, env=env)
        assert writer.stdout is not None and writer.stdout.readline() == b"ready\n"
        time.sleep(delay)
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
        assert path.read_text() in full  # never torn, never empty
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_concurrent_writers_lose_no_section(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "config"
    path.write_text("# shared\n")
    code = (
        "import sys\nfrom samlbroker.store import write_section\n"
        "for i in range(5):\n    write_section(sys.argv[1], f'profile p{sys.argv[2]}-{i}', {'k': sys.argv[2]})\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    writers = [subprocess.Popen([sys.executable, "-c", code, str(path), str(n)], env=env) for n in range(6)]
    assert [w.wait(60) for w in writers] == [0] * 6
    sections = _sections(path.read_text())
    assert len(sections) == 30
    assert path.read_text().startswith("# shared\n")


def test_a_symlinked_file_is_written_through_the_link(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "credentials"
    real.parent.mkdir()
    real.write_text("[prod]\nk = v\n")
    link = tmp_path / "credentials"
    link.symlink_to(real)
    write_credentials("dev", CREDS, link)
    assert link.is_symlink()
    assert "[dev]" in real.read_text() and real.read_text().startswith("[prod]\nk = v\n")


_any_line = st.text(st.characters(exclude_characters="\r\n", exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.none(), config_files()),
    st.lists(
        st.tuples(_any_line.filter(lambda s: s.strip() and "]" not in s), _any_line), min_size=1, max_size=4
    ),
)
@example(existing=None, writes=[("a", "0\x0c0"), ("a", "1")])  # a form feed is no line break to configparser
@example(existing=None, writes=[("\x0c;", "")])  # a form feed is a space to configparser: ";]" a comment
def test_nothing_samlbroker_writes_starts_with_a_byte_order_mark(
    tmp_path_factory: pytest.TempPathFactory, existing: str | None, writes: list[tuple[str, str]]
) -> None:
    """Whatever the file held (or none) and whatever is written, even names and values starting with U+FEFF."""
    path = tmp_path_factory.mktemp("nobom") / "config"
    if existing is not None:
        path.write_bytes(existing.encode())
    for section, value in writes:
        before = path.read_bytes() if path.exists() else None
        try:
            write_section(path, section, {"key": value.strip() or "x"})
        except ConfigError as exc:  # a name that would not read back: refused, and the file untouched
            assert "cannot be a section name" in str(exc)
            assert (path.read_bytes() if path.exists() else None) == before
            continue
        assert section in read_ini(path)  # the file still parses, with the section under its own name
    write_credentials("\ufeffdev", CREDS, path)
    assert not path.read_bytes().startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))
