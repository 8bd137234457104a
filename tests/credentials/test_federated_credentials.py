"""FederatedCredentials against the lab: refresh windows on a fake clock, the callback's rules, boto3."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest

from samlbroker import CredentialRequest, FederatedCredentials, UserCredentials
from samlbroker.errors import AuthenticationFailedError, CallbackRequiredError

DEVELOPER = "arn:aws:iam::111122223333:role/Developer"
READONLY = "arn:aws:iam::111122223333:role/ReadOnly"


def sign_ins(idp: object, outcome: str = "success") -> list[str]:
    """The users of the IdP's sign-in events with ``outcome``."""
    return [e["user"] for e in idp.stats()["events"] if e["outcome"] == outcome]  # type: ignore[attr-defined]


class FakeClock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now

    def left(self, expiration: dt.datetime, minutes: float) -> None:
        """Move to ``minutes`` before ``expiration``."""
        self.now = expiration - dt.timedelta(minutes=minutes)


def never(request: CredentialRequest) -> UserCredentials | None:
    raise AssertionError(f"the callback must not run for a domain profile: {request}")


class Answers:
    """A callback that hands out the given passwords in turn and records what it was asked."""

    def __init__(self, *passwords: str | None) -> None:
        self.passwords = list(passwords)
        self.requests: list[CredentialRequest] = []

    def __call__(self, request: CredentialRequest) -> UserCredentials | None:
        self.requests.append(request)
        given = self.passwords.pop(0)
        return None if given is None else UserCredentials(request.user_identity, given)


def test_domain_profile_refreshes_silently_and_the_cache_serves_the_next_object(
    profiles, default_identity, idp
) -> None:
    first = FederatedCredentials("domain", callback=never).get_credentials()
    assert first.assumed_role_arn.startswith("arn:aws:sts::111122223333:assumed-role/ReadOnly/")
    again = FederatedCredentials("domain", callback=never).get_credentials()
    assert again == first
    assert sign_ins(idp) == ["bob"]


def test_forced_authenticate_logs_in_even_with_fresh_credentials(profiles, default_identity, idp) -> None:
    credentials = FederatedCredentials("domain")
    first = credentials.get_credentials()
    forced = credentials.authenticate()
    assert forced.access_key_id != first.access_key_id
    assert credentials.get_credentials() == forced
    assert FederatedCredentials("domain").get_credentials() == forced  # the cache holds the new ones
    assert sign_ins(idp) == ["bob", "bob"]


def test_non_domain_profile_without_callback_says_what_to_do(profiles, idp) -> None:
    with pytest.raises(CallbackRequiredError, match=r"LAB\\alice.*`samlbroker login --profile alice`"):
        FederatedCredentials("alice").get_credentials()
    assert idp.stats()["events"] == []


def test_declined_prompt_is_a_clear_error_and_not_retried(profiles, idp) -> None:
    answers = Answers(None, "never asked")
    with pytest.raises(AuthenticationFailedError, match="declined"):
        FederatedCredentials("alice", callback=answers, custom_state={"tenant": 7}).get_credentials()
    assert len(answers.requests) == 1
    request = answers.requests[0]
    assert request.user_identity == "LAB\\alice"
    assert request.custom_state == {"tenant": 7}
    assert request.previous_authentication_failed is False
    assert idp.stats()["events"] == []


def test_wrong_then_right_password_goes_back_to_the_callback_once(profiles, idp, password) -> None:
    answers = Answers("Wrong-Guess-1", password("alice"))
    creds = FederatedCredentials("alice", callback=answers).get_credentials()
    assert creds.assumed_role_arn.startswith("arn:aws:sts::111122223333:assumed-role/Developer/")
    assert [r.previous_authentication_failed for r in answers.requests] == [False, True]
    assert idp.stats()["failed_attempts"] == {"alice": 1}
    assert sign_ins(idp) == ["alice"]


def test_attempts_stop_at_three_per_refresh(profiles, idp) -> None:
    answers = Answers("Bad-1", "Bad-2", "Bad-3", "Bad-4")
    with pytest.raises(AuthenticationFailedError, match="3 sign-in attempts for LAB\\\\alice failed") as info:
        FederatedCredentials("alice", callback=answers).get_credentials()
    assert len(answers.requests) == 3
    assert idp.stats()["failed_attempts"] == {"alice": 3}
    assert "Bad-" not in str(info.value)


def test_refresh_windows_on_a_fake_clock(
    profiles, default_identity, idp, tmp_path: Path, monkeypatch
) -> None:
    clock = FakeClock()
    credentials = FederatedCredentials("domain", clock=clock)
    first = credentials.get_credentials()

    clock.left(first.expiration, 16)  # fresh: no login
    assert credentials.get_credentials() == first
    assert credentials.logins == 1

    clock.left(first.expiration, 12)  # advisory: refresh
    second = credentials.get_credentials()
    assert second.access_key_id != first.access_key_id and credentials.logins == 2

    # The default identity's password goes stale: the IdP refuses it (its acceptor has its own users).
    bad = tmp_path / "bad-identity"
    bad.write_text("LAB:bob:Stale-Password-1\n")
    monkeypatch.setenv("NTLM_USER_FILE", str(bad))
    clock.left(second.expiration, 12)  # advisory, the IdP refuses: keep the old ones
    assert credentials.get_credentials() == second
    assert credentials.logins == 3

    clock.left(second.expiration, 5)  # mandatory, the IdP refuses: fail loudly
    with pytest.raises(AuthenticationFailedError):
        credentials.get_credentials()

    monkeypatch.setenv("NTLM_USER_FILE", str(default_identity))
    third = credentials.get_credentials()  # mandatory, the IdP accepts
    assert third.access_key_id not in (first.access_key_id, second.access_key_id)
    assert sign_ins(idp) == ["bob", "bob", "bob"]


def test_many_threads_one_prompt_and_callbacks_never_overlap(profiles, idp, password) -> None:
    running = 0
    most = 0
    calls: list[str] = []
    guard = threading.Lock()

    def slow(request: CredentialRequest) -> UserCredentials:
        nonlocal running, most
        with guard:
            running += 1
            most = max(most, running)
            calls.append(request.user_identity)
        time.sleep(0.2)
        with guard:
            running -= 1
        return UserCredentials(request.user_identity, password("alice"))

    shared = FederatedCredentials("alice", callback=slow, use_cache=False)
    other = FederatedCredentials("alice", callback=slow, use_cache=False)  # a second object, same callback
    results: list[str] = []

    def work(credentials: FederatedCredentials) -> None:
        results.append(credentials.get_credentials().access_key_id)

    threads = [threading.Thread(target=work, args=(shared,)) for _ in range(8)]
    threads.append(threading.Thread(target=work, args=(other,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 9
    assert len(calls) == 2  # once per object, not once per thread
    assert most == 1
    assert len(set(results)) == 2


def test_profile_without_user_or_with_changed_role_never_gets_another_identitys_cache(
    profiles, default_identity, idp, password
) -> None:
    alice = FederatedCredentials("alice", callback=Answers(password("alice"))).get_credentials()
    profiles.write_text(
        profiles.read_text().replace(
            f"saml_role_arn = {DEVELOPER}\nsaml_user", f"saml_role_arn = {READONLY}\nsaml_user"
        )
    )
    with pytest.raises(CallbackRequiredError):
        FederatedCredentials("alice").get_credentials()  # the Developer credentials are not reused
    assert FederatedCredentials("domain").get_credentials() != alice


def test_boto3_session_signs_with_refreshed_credentials(profiles, default_identity, lab) -> None:
    clock = FakeClock()
    credentials = FederatedCredentials("domain", clock=clock)
    client = credentials.boto3_session(region_name="us-east-1").client("sts")
    first = client.get_caller_identity()
    assert ":assumed-role/ReadOnly/" in first["Arn"]
    used_first = lab.sts.calls[-1].access_key_id
    assert used_first == credentials.get_credentials().access_key_id

    clock.left(credentials.get_credentials().expiration, 5)  # botocore's mandatory window: it must refresh
    second = client.get_caller_identity()
    assert second["Account"] == "111122223333"
    assert credentials.logins == 2
    assert lab.sts.calls[-1].access_key_id != used_first
    assert (lab.sts.calls[-1].action, lab.sts.calls[-1].outcome) == ("GetCallerIdentity", "ok")
