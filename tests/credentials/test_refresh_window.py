"""``FederatedCredentials.refresh(min_seconds_left)``: the endpoint's refresh, with a window of its own."""

from __future__ import annotations

import datetime as dt

from samlbroker import FederatedCredentials, cache
from samlbroker.sts import Credentials


def sign_ins(idp: object) -> list[str]:
    return [e["user"] for e in idp.stats()["events"] if e["outcome"] == "success"]  # type: ignore[attr-defined]


def seed(minutes: float) -> Credentials:
    expiry = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(minutes=minutes)
    creds = Credentials("ASIASEEDED", "seeded-secret", "seeded-token", expiry)
    cache.store(FederatedCredentials("domain").profile.cache_key(), creds)
    return creds


def test_refresh_takes_the_cache_when_it_outlasts_the_window(profiles, default_identity, idp) -> None:
    seed(25)
    assert FederatedCredentials("domain").refresh(min_seconds_left=20 * 60).access_key_id == "ASIASEEDED"
    assert sign_ins(idp) == []


def test_refresh_signs_in_under_the_window_where_get_credentials_would_not(
    profiles, default_identity, idp
) -> None:
    seed(18)  # more than get_credentials' 15 minutes, less than the endpoint's 20
    assert FederatedCredentials("domain").get_credentials().access_key_id == "ASIASEEDED"
    fresh = FederatedCredentials("domain").refresh(min_seconds_left=20 * 60)
    assert fresh.access_key_id != "ASIASEEDED"
    assert sign_ins(idp) == ["bob"]
    assert FederatedCredentials("domain").refresh(min_seconds_left=20 * 60) == fresh  # now the cache's
    assert sign_ins(idp) == ["bob"]
