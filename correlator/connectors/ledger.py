"""What a poller already wrote to a topic: the record ids after given offsets.

Closes the gap between "the broker acknowledged the page" and "the checkpoint says so": before a
page is produced, the checkpoint records the topic's end offsets and the page's ids as pending.
After a crash, the ids found after those offsets (in the ``correlator.record_id`` header of
each message) were delivered; the other pending ids were not.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from confluent_kafka import Consumer, KafkaException, TopicPartition

from correlator.errors import TransientError
from correlator.runtime.clients import consumer_config

ID_HEADER = "correlator.record_id"
TIMEOUT_S = 10.0


class TopicLedger:
    def __init__(self, bootstrap: str, props: Mapping[str, object]) -> None:
        # The group is never joined (partitions are assigned by hand) and nothing is committed.
        self._consumer = Consumer(consumer_config(bootstrap, "correlator-ingest-ledger", props))

    def ends(self, topic: str) -> dict[int, int]:
        """The end offset of every partition of ``topic``."""
        try:
            metadata = self._consumer.list_topics(topic, timeout=TIMEOUT_S).topics[topic]
            if metadata.error is not None:
                raise TransientError(f"topic {topic}: {metadata.error}")
            ends = {}
            for partition in metadata.partitions:
                marks = self._consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=TIMEOUT_S
                )
                if marks is None:
                    raise TransientError(f"{topic}/{partition}: no watermarks in time")
                ends[partition] = marks[1]
            return ends
        except KafkaException as exc:
            raise TransientError(f"topic {topic}: {exc}") from exc

    def ids_since(self, topic: str, starts: Mapping[int, int]) -> set[str]:
        """Record ids in the ``ID_HEADER`` of messages from ``starts`` to the current ends."""
        ends = self.ends(topic)
        todo = {p: end for p, end in ends.items() if end > starts.get(p, 0)}
        found: set[str] = set()
        if not todo:
            return found
        self._consumer.assign([TopicPartition(topic, p, starts.get(p, 0)) for p in todo])
        deadline = time.monotonic() + 6 * TIMEOUT_S
        try:
            while todo and time.monotonic() < deadline:
                for message in self._consumer.consume(1000, 0.5):
                    partition, offset = message.partition(), message.offset()
                    if message.error() is not None or partition is None or offset is None:
                        continue
                    headers = message.headers()
                    found.update(_ids(headers.items() if isinstance(headers, dict) else headers))
                    if offset + 1 >= todo.get(partition, 0):
                        todo.pop(partition, None)
        finally:
            self._consumer.unassign()
        if todo:
            raise TransientError(f"{topic}: could not read back partitions {sorted(todo)}")
        return found

    def close(self) -> None:
        self._consumer.close()


def _ids(headers: Iterable[tuple[str, str | bytes | None]] | None) -> list[str]:
    return [
        v.decode() if isinstance(v, bytes) else v
        for k, v in headers or ()
        if k == ID_HEADER and v is not None
    ]
