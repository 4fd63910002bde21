"""faust's aiokafka transport, with two changes that the job's throughput depends on.

- The consumer's fetch wait: faust fixes it at 1.5 s. A broker that holds a fetch until the
  wait expires instead of answering when data arrives (the embedded broker does) would stall
  each stage for 1.5 s whenever its input runs dry, and an alert waits behind two such stalls
  (raw, then events). The native runtime sets ``fetch.wait.max.ms`` for the same reason; the
  faust runtime takes the same property.
- Handing fetched messages to the streams: faust awaits each message's delivery under
  ``wait_first`` (the delivery raced against "flow suspended"), which makes two tasks and a
  wait per message. Measured here, that took half of a bare agent's time. This consumer awaits
  the delivery itself while the flow runs, and stops handing out the fetch as soon as the flow
  is suspended (a rebalance), as faust does; faust then seeks back to the committed offsets.

- Waiting while the streams are full: when every partition is paused because its stream
  buffer is full (a batch being handled), faust's fetcher sleeps a whole second before it looks
  again, and a fetch that started before a partition was resumed waits a second for the others.
  On a backlog that came to half a bare agent's time, in stalls of a second every few batches.
  This consumer looks again within ``IDLE_WAIT_S``.

And one hook: records a stage holds unacknowledged on purpose (waiting in its event-time
alignment buffer) are given up before faust waits for every record in hand to be acknowledged
on a revocation, or that wait would never end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import faust
from faust.transport.drivers import aiokafka as driver

FETCH_MAX_WAIT_MS = 10
YIELD_EVERY = 100  # messages handed out between turns of the event loop for other tasks
IDLE_WAIT_S = 0.05  # a look at resumed partitions this often costs nothing measurable


class _ConsumerThread(driver.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # Read when the consumer starts and builds its fetcher, so set before that.
        consumer._fetch_max_wait_ms = getattr(self.app, "fetch_max_wait_ms", FETCH_MAX_WAIT_MS)
        return consumer


class _Consumer(driver.Consumer):
    def _new_consumer_thread(self) -> Any:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def _drain_messages(self, fetcher: Any) -> None:
        """Hand every fetched message to the streams, in order, until told to stop."""

        def stopping() -> bool:
            return bool(self._stopped.is_set() or fetcher._stopped.is_set() or self.should_stop)

        try:
            while not stopping():
                await asyncio.sleep(0)  # a fetch that returned at once must not starve others
                handed = 0
                async for tp, message in self.getmany(timeout=IDLE_WAIT_S):
                    if self.suspend_flow.is_set():
                        break  # a rebalance: faust seeks back to the committed offsets
                    await self._hand_out(tp, message)
                    handed += 1
                    if handed % YIELD_EVERY == 0:
                        await asyncio.sleep(0)
        except self.consumer_stopped_errors:
            if not self.transport.app.should_stop:
                raise
        except asyncio.CancelledError:
            if not self.transport.app.should_stop:
                raise

    async def _wait_next_records(self, timeout: float) -> Any:
        if self.flow_active and not self.app.client_only and not self._get_active_partitions():
            await self.sleep(IDLE_WAIT_S)  # every partition paused: faust sleeps 1 s here
            return {}, set()
        return await super()._wait_next_records(timeout)

    async def _hand_out(self, tp: Any, message: Any) -> None:
        offset = message.offset
        last = self._read_offset[tp]
        if last is not None and offset < last:
            return  # read again after a seek: the streams had it already
        if last and offset - last > 1 and self.app.topics.acks_enabled_for(message.topic):
            # Offsets with no message (compaction, transaction markers) count as acknowledged,
            # or the committed offset could never move past them.
            await self._add_gap(tp, last + 1, offset)
        if self._commit_every is not None and self._n_acked >= self._commit_every:
            self._n_acked = 0
            await self.commit()
        await self.callback(message)
        self._read_offset[tp] = offset


class _Transport(driver.Transport):
    Consumer = _Consumer


class App(faust.App):
    """``faust.App`` with the consumer above, waiting at most ``fetch_max_wait_ms`` per fetch."""

    def __init__(
        self, *args: Any, fetch_max_wait_ms: int = FETCH_MAX_WAIT_MS, **kwargs: Any
    ) -> None:
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.before_revoke: list[Callable[[set[Any]], None]] = []
        super().__init__(*args, **kwargs)

    async def _on_partitions_revoked(self, revoked: set[Any]) -> None:
        if not self.should_stop:
            for hook in self.before_revoke:
                hook(revoked)
        await super()._on_partitions_revoked(revoked)

    def _new_transport(self) -> Any:
        return _Transport(self.conf.broker_consumer, self)
