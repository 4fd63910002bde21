"""faust's aiokafka transport with the consumer's fetch wait set, which faust fixes at 1.5 s.

A broker that holds a fetch until the wait expires instead of answering when data arrives
(the embedded broker does) would otherwise stall each stage for 1.5 s whenever its input runs
dry, and an alert waits behind two such stalls (raw, then events). The native runtime sets
``fetch.wait.max.ms`` for the same reason; the faust runtime takes the same property.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.transport.drivers import aiokafka as driver

FETCH_MAX_WAIT_MS = 10


class _ConsumerThread(driver.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # Read when the consumer starts and builds its fetcher, so set before that.
        consumer._fetch_max_wait_ms = getattr(self.app, "fetch_max_wait_ms", FETCH_MAX_WAIT_MS)
        return consumer


class _Consumer(driver.Consumer):
    def _new_consumer_thread(self) -> Any:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(driver.Transport):
    Consumer = _Consumer


class App(faust.App):
    """``faust.App`` whose consumer waits at most ``fetch_max_wait_ms`` for a fetch."""

    def __init__(
        self, *args: Any, fetch_max_wait_ms: int = FETCH_MAX_WAIT_MS, **kwargs: Any
    ) -> None:
        self.fetch_max_wait_ms = fetch_max_wait_ms
        super().__init__(*args, **kwargs)

    def _new_transport(self) -> Any:
        return _Transport(self.conf.broker_consumer, self)
