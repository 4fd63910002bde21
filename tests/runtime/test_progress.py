"""The progress board the members of a stage share through Redis (a real server)."""

from __future__ import annotations

from confluent_kafka import Consumer, Message

from correlator.runtime.align import Alignment
from correlator.runtime.progress import RedisProgress

SIGNINS0, SIGNINS1, AUDITS0 = ("signins", 0), ("signins", 1), ("a:b", 0)
H = 3_600_000


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def boards(redis_url: str, name: str, clock: Clock) -> tuple[RedisProgress, RedisProgress]:
    made = [RedisProgress(redis_url, name, every_s=0, clock=clock) for _ in range(2)]
    return made[0], made[1]


def test_each_member_sees_the_others_partitions_only(redis_url: str, redis_namespace: str) -> None:
    clock = Clock()
    one, two = boards(redis_url, f"{redis_namespace}:p:normalize", clock)
    assert one.exchange({SIGNINS0: 5_000, AUDITS0: None}) == {}
    assert two.exchange({SIGNINS1: 7_000}) == {SIGNINS0: 5_000, AUDITS0: None}
    assert one.exchange({SIGNINS0: 6_000, AUDITS0: None}) == {SIGNINS1: 7_000}
    # a partition that moved to the other member is no longer read from the board as foreign
    assert two.exchange({SIGNINS1: 8_000, SIGNINS0: 6_500}) == {AUDITS0: None}
    one.close()
    two.close()


def test_a_gone_members_entries_go_stale(redis_url: str, redis_namespace: str) -> None:
    clock = Clock()
    one, two = boards(redis_url, f"{redis_namespace}:p:correlate", clock)
    one.exchange({SIGNINS0: 5_000})
    clock.now += 119
    assert two.exchange({SIGNINS1: 9_000}) == {SIGNINS0: 5_000}
    clock.now += 2  # past two minutes without a word from its member
    assert two.exchange({SIGNINS1: 9_000}) == {}
    one.close()
    two.close()


def test_an_unreachable_board_keeps_the_last_view(redis_url: str, redis_namespace: str) -> None:
    clock = Clock()
    one, two = boards(redis_url, f"{redis_namespace}:p:x", clock)
    one.exchange({SIGNINS0: 5_000})
    assert two.exchange({SIGNINS1: 1}) == {SIGNINS0: 5_000}
    two._client.connection_pool.disconnect()
    two._client = RedisProgress("redis://127.0.0.1:1/0", "x")._client  # nothing listens there
    assert two.exchange({SIGNINS1: 2}) == {SIGNINS0: 5_000}
    one.close()


def test_held_back_members_ask_again_sooner(
    redis_url: str, redis_namespace: str, kafka_bootstrap: str
) -> None:
    """On a backlog the members leapfrog one alignment bound per exchange: a member the others
    hold back must hear their next word within ``held_every_s``, not the usual interval."""
    clock = Clock()
    board = f"{redis_namespace}:p:held"
    one = RedisProgress(redis_url, board, every_s=0.1, held_every_s=0.01, clock=clock)
    two = RedisProgress(redis_url, board, every_s=0, clock=clock)  # writes at every call
    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": redis_namespace})
    alignment: Alignment[str] = Alignment(consumer, ahead_ms=6 * H, progress=one)
    try:
        two.exchange({SIGNINS1: 1 * H})
        alignment.offer(Message(), 10 * H, "ten")  # type: ignore[call-arg]
        assert alignment.release() == []  # beyond the other member's 1 h + 6 h
        assert alignment.held_back
        clock.now += 0.02
        two.exchange({SIGNINS1: 5 * H})
        assert [item for _, item in alignment.release()] == ["ten"]  # asked again at once
        assert not alignment.held_back
        clock.now += 0.02
        two.exchange({SIGNINS1: 6 * H})
        assert one.exchange({})[SIGNINS1] == 5 * H  # not held: the usual interval applies
        clock.now += 0.1
        assert one.exchange({})[SIGNINS1] == 6 * H
    finally:
        consumer.close()
        alignment.close()
        two.close()
