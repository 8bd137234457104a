"""The command line with Kerberos: a silent default-identity ``roles``, ``-v`` naming the mechanism."""

from __future__ import annotations

from cli_runner import run_cli as _run


def _args(lab, auth: str = "kerberos") -> list[str]:
    return ["--endpoint-url", lab.signon_url, "--auth-type", auth, "--ca-bundle", str(lab.ca_file)]


def test_roles_with_the_default_identity_needs_no_password_and_v_names_kerberos(
    lab, kdc, alice_ticket, cli_env
) -> None:
    env = {**cli_env, **kdc.client_env(alice_ticket)}
    result = _run(env, "-v", "roles", *_args(lab))
    assert result.returncode == 0, result.stderr
    assert "arn:aws:iam::444455556666:role/Developer" in result.stdout
    assert "negotiated mechanism: kerberos" in result.stderr


def test_no_ticket_is_one_line_naming_kinit(lab, kdc, ccache, cli_env) -> None:
    env = {**cli_env, **kdc.client_env(ccache)}
    result = _run(env, "roles", *_args(lab))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "run kinit USER@LAB.EXAMPLE, or give --user" in lines[0], result.stderr
