"""While one thread refreshes in the advisory window, the others get the current credentials at once."""

from __future__ import annotations

import datetime as dt
import threading

from samlbroker import CredentialRequest, FederatedCredentials, UserCredentials


def test_get_credentials_returns_the_current_ones_while_another_thread_refreshes(
    profiles, idp, password
) -> None:
    now = [dt.datetime.now(dt.timezone.utc)]
    entered, release = threading.Event(), threading.Event()
    prompts: list[str] = []

    def callback(request: CredentialRequest) -> UserCredentials:
        prompts.append(request.user_identity)
        if len(prompts) == 2:  # the refresh: hold it until the other thread has had its answer
            entered.set()
            assert release.wait(60), "the test never released the refresh"
        return UserCredentials(request.user_identity, password("alice"))

    credentials = FederatedCredentials("alice", callback=callback, clock=lambda: now[0], use_cache=False)
    first = credentials.get_credentials()
    now[0] = first.expiration - dt.timedelta(minutes=12)  # advisory window: refresh, the old ones still good

    refreshed: list[object] = []
    refresher = threading.Thread(target=lambda: refreshed.append(credentials.get_credentials()))
    refresher.start()
    assert entered.wait(60), "the refresh never asked for the password"
    meanwhile: list[object] = []
    reader = threading.Thread(target=lambda: meanwhile.append(credentials.get_credentials()))
    reader.start()
    reader.join(60)  # a guard, not a timing: a reader that waits for the refresh never finishes here
    try:
        assert not reader.is_alive(), "get_credentials waited for the other thread's refresh"
        assert meanwhile == [first]
    finally:
        release.set()
        refresher.join(60)
        reader.join(60)
    assert refreshed and refreshed[0].access_key_id != first.access_key_id
    assert prompts == ["LAB\\alice", "LAB\\alice"]
