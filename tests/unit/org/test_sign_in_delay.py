"""The wait an account's sign-ins get after repeated failures."""

from __future__ import annotations

from datetime import timedelta

from accord.org.service import MAX_FAILURES_PER_ACCOUNT, SIGN_IN_WINDOW, account_delay


def test_the_wait_doubles_from_one_second_and_stops_at_the_window() -> None:
    waits = [account_delay(MAX_FAILURES_PER_ACCOUNT + n) for n in range(12)]
    assert waits[:10] == [timedelta(seconds=2**n) for n in range(10)]
    assert waits[10:] == [SIGN_IN_WINDOW, SIGN_IN_WINDOW]
    assert account_delay(10_000) == SIGN_IN_WINDOW  # no overflow however many
