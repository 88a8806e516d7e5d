"""KeyFetchGate: per-client slots, failures counted against the client, the negative cache."""

from __future__ import annotations

import asyncio

import pytest

from node.federation.remote.key_fetch import KeyFetchBusy, KeyFetchGate, active_gate
from node.limits import Limit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_has_its_own_slots_and_the_gate_is_active_only_inside() -> None:
    async def main() -> None:
        gate = KeyFetchGate(per_client=2)
        release = asyncio.Event()

        async def hold() -> None:
            async with gate.lookup("192.0.2.1"):
                assert active_gate() is gate
                await release.wait()

        tasks = [asyncio.create_task(hold()) for _ in range(2)]
        await asyncio.sleep(0)
        with pytest.raises(KeyFetchBusy):
            async with gate.lookup("192.0.2.1"):
                pass
        async with gate.lookup("192.0.2.2"):  # another address is not kept out
            pass
        release.set()
        await asyncio.gather(*tasks)
        assert active_gate() is None
        async with gate.lookup("192.0.2.1"):
            pass

    asyncio.run(main())


def test_failed_lookups_are_counted_against_the_client() -> None:
    async def main() -> None:
        gate = KeyFetchGate(client_failures=Limit(3, 60.0))
        for _ in range(3):
            with pytest.raises(ValueError):
                async with gate.lookup("192.0.2.1"):
                    raise ValueError("tarpit")
        with pytest.raises(KeyFetchBusy) as refused:
            async with gate.lookup("192.0.2.1"):
                pass
        assert refused.value.retry_after

    asyncio.run(main())


def test_a_failed_origin_is_not_asked_again_until_the_ttl_passes() -> None:
    async def main() -> None:
        clock = Clock()
        gate = KeyFetchGate(failure_ttl=60.0, clock=clock)
        gate.failed("http://tarpit.example:81/users/x")
        with pytest.raises(KeyFetchBusy):
            async with gate.slot("http://TARPIT.example:81/other#key"):
                pass
        async with gate.slot("http://tarpit.example:82/users/x"):  # another origin
            pass
        clock.now += 61
        async with gate.slot("http://tarpit.example:81/users/x"):
            pass

    asyncio.run(main())
