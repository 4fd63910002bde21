"""`correlator demo`: a simulated tenant streamed live through the job on an embedded broker."""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import orjson
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from correlator.alerts import render_alert_text
from correlator.config import load_settings
from correlator.errors import InvalidRecord
from correlator.normalize import event_order
from correlator.runconfig import RunSettings
from correlator.runtime.broker import EmbeddedBroker, create_topics
from correlator.runtime.runner import Runner
from correlator.simulate import SimulationConfig, simulate, write_simulation
from correlator.sources import parse_record
from correlator.terminal import safe

# A few records as they really arrive broken, so the dead-letter path shows in the summary.
POISON = (
    b'{"createdDateTime": "2026-10-02T10:00:00Z", "userPrincipalName": ',
    b'{"category": "SignInLogs", "properties": {"userPrincipalName": "x@y.test"}}',
    b'{"records": [{"category": "WorkflowRuntime", "time": "2026-10-02T10:00:00Z"}]}',
)


def _ordered(
    sim_records: list[tuple[str, dict[str, object]]],
) -> list[tuple[str, bytes, bytes | None]]:
    """Raw messages in event-time order, keyed by user as a per-account connector sends them."""
    keyed = []
    for topic, record in sim_records:
        try:
            event = parse_record(record)[0]
            order, key = event_order(event), event.user.encode()
        except (InvalidRecord, IndexError):
            order, key = (0, 0, ""), None  # the stream will dead-letter it, with the reason
        keyed.append((order, topic, record, key))
    keyed.sort(key=lambda item: item[0])
    return [(topic, orjson.dumps(record), key) for _, topic, record, key in keyed]


class Demo:
    def __init__(
        self, *, users: int, days: int, seed: int, out: Path, partitions: int, color: bool
    ) -> None:
        self.users, self.days, self.seed = users, days, seed
        self.out, self.partitions, self.color = out, partitions, color
        self.alert_counts: Counter[str] = Counter()

    def run(self) -> int:
        _say(f"simulating {self.users} users over {self.days} days ...")
        sim = simulate(SimulationConfig(users=self.users, days=self.days, seed=self.seed))
        write_simulation(sim, self.out)
        settings = load_settings(self.out / "correlator.yaml")
        run = RunSettings(group_id="correlator-demo", partitions=self.partitions)
        records = [(run.topics.signins, r) for r in sim.signins]
        records += [(run.topics.audits, r) for r in sim.audits]
        records += [(run.topics.tickets, r) for r in sim.tickets]
        records += [(run.topics.calls, r) for r in sim.calls]
        messages = _ordered(records) + [(run.topics.signins, p, None) for p in POISON]
        with EmbeddedBroker() as broker:
            _say(f"embedded broker on {broker.bootstrap} (data kept in memory only)")
            create_topics(broker.bootstrap, {t: self.partitions for t in run.topics.all})
            run = dataclasses.replace(run, bootstrap_servers=broker.bootstrap)
            return self._stream(run, settings, broker.bootstrap, messages)

    def _stream(
        self, run: RunSettings, settings: object, bootstrap: str, messages: list[tuple[str, bytes]]
    ) -> int:
        stop = threading.Event()
        runner = Runner(run, settings, bootstrap=bootstrap, stop=stop)  # type: ignore[arg-type]
        worker = threading.Thread(target=runner.run_until_stopped, name="job", daemon=True)
        worker.start()
        alerts = _alert_consumer(bootstrap, run.topics.alerts)
        started = time.monotonic()
        self._produce(bootstrap, messages, alerts)
        self._drain(runner, alerts, len(messages))
        elapsed = time.monotonic() - started
        stop.set()
        worker.join(timeout=30)
        alerts.close()
        self._summary(runner, len(messages), elapsed)
        return 0

    def _produce(self, bootstrap: str, messages: list[tuple[str, bytes]], alerts: Consumer) -> None:
        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
        total = len(messages)
        for index, (topic, value, key) in enumerate(messages, 1):
            while True:
                try:
                    producer.produce(topic, value, key=key)
                    break
                except BufferError:
                    producer.poll(0.05)
            if index % 500 == 0 or index == total:
                producer.poll(0)
                _progress(index, total)
                self._show_alerts(alerts, 0)
        producer.flush(30)
        sys.stderr.write("\n")

    def _drain(self, runner: Runner, alerts: Consumer, produced: int) -> None:
        """Wait until both stages have consumed everything, showing alerts as they come."""
        deadline = time.monotonic() + 120
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            if self._show_alerts(alerts, 0.5):
                quiet_since = time.monotonic()
            normalize, correlate = runner.normalizer, runner.correlator
            assert normalize is not None and correlate is not None
            consumed = sum(normalize.stats.consumed.values())
            events = sum(normalize.events.values())
            caught_up = consumed >= produced and sum(correlate.stats.consumed.values()) >= events
            if caught_up and time.monotonic() - quiet_since > 2:
                return

    def _show_alerts(self, consumer: Consumer, timeout: float) -> int:
        shown = 0
        for message in consumer.consume(100, timeout):
            if message.error():
                continue
            alert = orjson.loads(message.value() or b"{}")
            self.alert_counts[f"{alert['activity_name']}:{alert['severity'].lower()}"] += 1
            sys.stderr.write("\r" + " " * 70 + "\r")
            if alert["activity_id"] == 1:
                print(render_alert_text(alert, color=self.color), flush=True)
            else:
                info = alert["finding_info"]
                line = (
                    f"  {alert['activity_name'].lower()}: {info['title']} "
                    f"(severity {alert['severity']}, score {alert.get('confidence_score')})"
                )
                print(safe(line) + "\n", flush=True)
            shown += 1
        return shown

    def _summary(self, runner: Runner, produced: int, elapsed: float) -> None:
        assert runner.normalizer is not None and runner.correlator is not None
        events = runner.normalizer.events
        rejects = runner.dead_letters.by_reason
        print("summary")
        print(
            f"  raw messages: {produced}; events: {sum(events.values())} "
            f"({', '.join(f'{k} {v}' for k, v in sorted(events.items()))})"
        )
        print(
            f"  dead letters: {sum(rejects.values())} "
            f"({', '.join(f'{k} {v}' for k, v in sorted(rejects.items())) or 'none'})"
        )
        creates = Counter(
            {
                key.split(":")[1]: count
                for key, count in self.alert_counts.items()
                if key.startswith("Create")
            }
        )
        print(
            f"  alerts: {sum(creates.values())} "
            f"({', '.join(f'{k} {v}' for k, v in sorted(creates.items())) or 'none'}); "
            f"alert messages incl. updates: {sum(self.alert_counts.values())}"
        )
        print(
            f"  events/s: {produced / elapsed:,.0f} end to end over {elapsed:.1f} s of wall time "
            "(paced by the producer, with the group join and a 2 s quiet wait; `make bench` "
            "measures throughput)"
        )


def _alert_consumer(bootstrap: str, topic: str) -> Consumer:
    """Reads every partition of the alerts topic from the start; no group, nothing to join."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "correlator-demo-viewer",
            "enable.auto.commit": False,
        }
    )
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    return consumer


def _progress(done: int, total: int, width: int = 40) -> None:
    filled = int(width * done / total)
    sys.stderr.write(f"\rstreaming [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    sys.stderr.flush()


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
