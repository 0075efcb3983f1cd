"""`channel.turns.Turns`: at most so many at once, in order of arrival, a bounded wait."""

from __future__ import annotations

import asyncio

import pytest

from accord.channel.turns import Turns
from accord.errors import Busy


async def _in_order(turns: Turns, count: int) -> tuple[list[int], int]:
    order: list[int] = []
    inside = 0
    most = 0

    async def change(index: int) -> None:
        nonlocal inside, most
        async with turns.turn():
            inside += 1
            most = max(most, inside)
            order.append(index)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(change(i) for i in range(count)))
    return order, most


def test_one_at_a_time_in_order_of_arrival() -> None:
    turns = Turns(1, wait=30)
    order, most = asyncio.run(_in_order(turns, 5))
    assert order == [0, 1, 2, 3, 4]
    assert most == 1
    assert (turns.peak, turns.running) == (1, 0)


def test_two_at_once() -> None:
    turns = Turns(2, wait=30)
    _, most = asyncio.run(_in_order(turns, 6))
    assert most == 2
    assert turns.peak == 2


def test_no_limit() -> None:
    turns = Turns(0, wait=30)
    _, most = asyncio.run(_in_order(turns, 6))
    assert most == 6


def test_a_wait_past_the_limit_is_busy_and_keeps_no_turn() -> None:
    turns = Turns(1, wait=0.05)

    async def scenario() -> None:
        release = asyncio.Event()

        async def holder() -> None:
            async with turns.turn():
                await release.wait()

        held = asyncio.create_task(holder())
        await asyncio.sleep(0)
        with pytest.raises(Busy) as refused:
            async with turns.turn():
                pytest.fail("the second change got a turn while the first held it")
        assert refused.value.retry_after == 1
        assert refused.value.rule == "change.busy"
        release.set()
        await held
        async with turns.turn():  # free again: the refused wait took nothing
            assert turns.running == 1

    asyncio.run(scenario())
    assert (turns.peak, turns.running) == (1, 0)
