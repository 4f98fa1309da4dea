"""Refresh timing and the refresh rate limiter (pure logic, fake clock)."""

from __future__ import annotations

from dbtools.connector.schedule import TokenBucket, needs_refresh, refresh_delay
from hypothesis import given
from hypothesis import strategies as st


def test_refresh_delay_follows_the_reference_rules() -> None:
    assert refresh_delay(3600) == 1800  # an hour or more: at half-life
    assert refresh_delay(7200) == 3600
    assert refresh_delay(1800) == 1800 - 240  # else four minutes before expiry
    assert refresh_delay(0) == 0
    assert refresh_delay(-5) == 0


def test_short_lived_certificates_do_not_loop() -> None:
    # A 10 s certificate refreshes at 5 s, not immediately and forever.
    assert refresh_delay(10) == 5
    assert refresh_delay(300) == 150


@given(st.floats(min_value=0.001, max_value=10 * 86400))
def test_refresh_always_before_expiry(remaining: float) -> None:
    delay = refresh_delay(remaining)
    assert 0 < delay < remaining


def test_lazy_needs_refresh_inside_the_buffer() -> None:
    assert not needs_refresh(remaining=3000, lifetime=3600)
    assert needs_refresh(remaining=200, lifetime=3600)
    assert not needs_refresh(remaining=6, lifetime=10)
    assert needs_refresh(remaining=4, lifetime=10)


def test_token_bucket_allows_a_burst_then_spaces_refreshes() -> None:
    now = [0.0]
    bucket = TokenBucket(burst=2, interval=30, clock=lambda: now[0])
    assert bucket.take() == 0
    assert bucket.take() == 0
    assert bucket.take() == 30  # third in a row waits a full interval
    now[0] = 45.0
    assert bucket.wait_time() == 15  # the debt is paid off over time
    now[0] = 60.0
    assert bucket.take() == 0


def test_try_take_never_goes_into_debt() -> None:
    now = [0.0]
    bucket = TokenBucket(burst=1, interval=10, clock=lambda: now[0])
    assert bucket.try_take()
    assert not bucket.try_take()
    assert not bucket.try_take()
    now[0] = 10.0
    assert bucket.try_take()
