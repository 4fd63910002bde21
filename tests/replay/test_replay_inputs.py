"""`correlator replay` on what users really point it at: mixed directories, CSV downloads,
missing paths, and records whose text tries to drive the terminal."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest

from correlator.cli import main
from correlator.model import Event

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "quirks"
DAY = 86_400


def _signin(sid: str, when: int, **extra: object) -> dict[str, object]:
    return {
        "id": sid,
        "createdDateTime": when,
        "userPrincipalName": "alice@northwind.test",
        "status": {"errorCode": 0},
        "isInteractive": True,
        **extra,
    }


def test_replay_names_skipped_files_and_reads_csv_downloads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    shutil.copy(FIXTURES / "InteractiveSignIns_2026-10-01_2026-10-02.csv", logs)
    shutil.copy(FIXTURES / "AuditLogs_2026-10-01.csv", logs)
    (logs / "export.parquet").write_bytes(b"PAR1")
    (logs / "empty-page.json").write_text('{"value": []}')
    code = main(["replay", str(logs), "--out", "/dev/null"])
    err = capsys.readouterr().err
    assert code == 0
    assert f"skipped {logs / 'export.parquet'}: not a log file" in err
    assert "records read: 6" in err  # 3 sign-in rows, 3 audit rows; the empty page is none
    assert "events: credential_change 2, signin 2" in err
    assert "ignored: 1 (irrelevant_activity 1)" in err


def test_pretty_output_escapes_what_records_smuggle_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start = 1_790_000_000
    usual = {
        "ipAddress": "203.0.113.5",
        "deviceDetail": {"deviceId": "d-usual", "browser": "Edge 120", "operatingSystem": "Win"},
        "location": {"city": "London", "countryOrRegion": "GB"},
    }
    records = [_signin(f"u{d}", start - d * DAY, **usual) for d in range(1, 15)]
    records.append(
        {
            "type": "helpdesk.credential_change",
            "id": "T-1",
            "time": start,
            "target_user": "alice@northwind.test",
            "agent": "agent7@northwind.test",
            "action": "password_reset",
            "ticket_id": "\x1b[1A\x1b[2KINC0001",
            "caller_verified": True,
            "verification_method": "security_questions",
        }
    )
    records.append(
        _signin(
            "attacker",
            start + 300,
            ipAddress="198.51.100.77",
            userAgent="\x1b]0;owned\x07Mozilla",
            deviceDetail={"browser": "Chrome 121", "operatingSystem": "Linux"},
            location={"city": "\x1b[2KLagos", "countryOrRegion": "NG"},
        )
    )
    path = tmp_path / "case.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in records))
    assert main(["replay", str(path), "--pretty"]) == 0
    out = capsys.readouterr().out
    assert "INC0001" in out  # the scenario: a finding quoting the hostile ticket was printed
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[1A\\x1b[2KINC0001" in out  # shown, not obeyed


def test_a_parser_defect_is_a_reject_not_the_end_of_the_replay(tmp_path: Path) -> None:
    # The stream dead-letters such a record as internal_error and goes on; replay does too.
    from correlator.normalize import Normalizer
    from correlator.runtime.replay import ReplayResult, parse_files

    class Defective:  # a Normalizer with a bug (wrapped: the compiled class takes no subclass)
        def __init__(self, max_future_ms: int) -> None:
            self.inner = Normalizer(max_future_ms=max_future_ms)

        def normalize(self, record: object, now_ms: int) -> list[Event]:
            if isinstance(record, dict) and record.get("id") == "bad":
                raise OverflowError("int too large to convert to float")
            return self.inner.normalize(record, now_ms)

    path = tmp_path / "two.jsonl"
    path.write_bytes(
        orjson.dumps(_signin("bad", 1_790_000_000))
        + b"\n"
        + orjson.dumps(_signin("ok", 1_790_000_000))
    )
    result = ReplayResult()
    defective: Any = Defective(max_future_ms=0)
    events = parse_files([path], defective, 4_000_000_000_000, result)
    assert [e.id for e in events] == ["ok"]
    assert [(r.reason, r.location, r.detail) for r in result.rejects] == [
        ("internal_error", f"{path}:1", "OverflowError: int too large to convert to float")
    ]


def test_an_engine_defect_on_one_event_is_a_reject_not_the_end_of_the_replay(
    tmp_path: Path,
) -> None:
    from correlator.config import Settings
    from correlator.engine.engine import Engine
    from correlator.engine.facts import log_network
    from correlator.model import NetworkInfo, SignIn
    from correlator.runtime.replay import replay
    from correlator.wiring import build_normalizer

    class Defective:  # an enricher with a bug: the defect is raised inside Engine.process
        def network(self, signin: SignIn) -> NetworkInfo:
            if signin.id == "bad":
                raise ZeroDivisionError("division by zero")
            return log_network(signin)

    settings = Settings()
    engine = Engine(settings.detection, enricher=Defective())
    path = tmp_path / "two.jsonl"
    path.write_bytes(
        orjson.dumps(_signin("bad", 1_790_000_000))
        + b"\n"
        + orjson.dumps(_signin("ok", 1_790_000_100))
    )
    result = replay([path], engine, build_normalizer(settings), 4_000_000_000_000)
    assert result.events["signin"] == 2
    assert [(r.reason, r.location, r.detail) for r in result.rejects] == [
        ("internal_error", "event bad", "ZeroDivisionError: division by zero")
    ]
