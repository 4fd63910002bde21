"""Graph poller throughput: records/s from a local Graph server into the embedded broker.

The server is the test suite's HTTPS fake of Entra and Graph (tests/connectors/fake_graph.py),
serving v1.0 sign-ins in pages of 999 (Graph's page size for sign-ins is at most 1000). Two
runs: without the request budget (what the poller, msal, TLS, JSON and the producer cost), and
with the reporting API's 5 requests per 10 s (what a real tenant allows per app). The last line
printed is one JSON object with the figures.

Run from the repository root: ``.venv/bin/python benchmarks/graph_poll.py``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from correlator.connectors.auth import GRAPH_SCOPE, AppCredentials, TokenProvider
from correlator.connectors.checkpoint import FileCheckpoints
from correlator.connectors.graph import GraphClient
from correlator.connectors.ledger import TopicLedger
from correlator.connectors.pacing import RateLimit
from correlator.connectors.poller import ENDPOINTS, GraphPoller
from correlator.runtime.broker import EmbeddedBroker, create_topics
from correlator.runtime.clients import TrackedProducer, producer_config
from correlator.runtime.topics import Topics
from tests.connectors.fake_graph import CLIENT_ID, SECRET, TENANT, FakeGraph
from tests.connectors.records import signin
from tests.connectors.tls import make_tls


def one_run(
    fake: FakeGraph, bootstrap: str, work: Path, name: str, limit: RateLimit | None
) -> dict[str, float]:
    topics = Topics(signins=f"bench-{name}-signins")
    create_topics(bootstrap, {topics.signins: 4})
    tokens = TokenProvider(
        AppCredentials(TENANT, CLIENT_ID, secret=SECRET),
        GRAPH_SCOPE,
        authority=fake.url,
        ca_bundle=fake.tls.ca_file,
    )
    poller = GraphPoller(
        client=GraphClient(
            tokens.bearer, base_url=fake.url, ca_bundle=fake.tls.ca_file, limit=limit
        ),
        sink=TrackedProducer(producer_config(bootstrap, {})),
        ledger=TopicLedger(bootstrap, {}),
        checkpoints=FileCheckpoints(work / f"{name}.json"),
        topics=topics,
        endpoints=(ENDPOINTS["signins"],),
        since_ms=0,
    )
    started = time.perf_counter()
    stats = poller.poll_once()
    elapsed = time.perf_counter() - started
    return {
        "records": stats.produced,
        "pages": stats.pages,
        "seconds": round(elapsed, 2),
        "records_per_s": round(stats.produced / elapsed),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=30_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fake = FakeGraph(make_tls(work))
        path = ENDPOINTS["signins"].path
        fake.add(path, [signin(i, i % 36_000) for i in range(args.records)], "createdDateTime", 999)
        with fake, EmbeddedBroker() as broker:
            bootstrap = broker.bootstrap
            unlimited = one_run(fake, bootstrap, work, "unlimited", None)
            print(f"without a request budget: {unlimited}", file=sys.stderr)
            budget = one_run(fake, bootstrap, work, "budget", RateLimit())
            print(f"at 5 requests per 10 s: {budget}", file=sys.stderr)
    print(
        orjson.dumps({"graph_poll_unlimited": unlimited, "graph_poll_5_per_10s": budget}).decode()
    )


if __name__ == "__main__":
    main()
