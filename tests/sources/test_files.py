"""The file-reading rules: which files are read, bounded gunzip, and the record shapes of
admin-center CSV downloads, Log Analytics query responses and empty pages."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import orjson
import pytest

from correlator.errors import InvalidRecord
from correlator.model import event_kind
from correlator.normalize import Normalizer
from correlator.sources import decode_payload, parse_record
from correlator.sources.files import file_records, input_files, read_bytes
from correlator.sources.reasons import is_ignored

from .fixtures import FIXTURES

NOW = 4_000_000_000_000
SIGNIN_CSV = FIXTURES / "quirks/InteractiveSignIns_2026-10-01_2026-10-02.csv"
AUDIT_CSV = FIXTURES / "quirks/AuditLogs_2026-10-01.csv"


def outcomes(path: Path) -> Counter[str]:
    normalizer, counts = Normalizer(max_future_ms=0), Counter[str]()
    for _, record in file_records(path):
        try:
            for event in normalizer.normalize(record, NOW):
                counts[getattr(event, "kind", None) or event_kind(event)] += 1
        except InvalidRecord as exc:
            counts[("~" if is_ignored(exc) else "!") + exc.reason] += 1
    return counts


def test_admin_center_signin_csv() -> None:
    # Success, a 50126 failure, and a row without any user (rejected, not dropped).
    assert outcomes(SIGNIN_CSV) == {"signin": 2, "!missing_user": 1}
    first = parse_record(next(r for _, r in file_records(SIGNIN_CSV)))[0]
    assert first.user == "alice@northwind.test" and first.ip == "203.0.113.5"
    assert (first.log_city, first.log_country, first.log_asn) == ("London", "GB", 64500)
    assert first.app_id == "4765445b-32c6-49b0-83e6-1d93765276ca"  # header "Application ID "
    assert first.mfa_method == "Mobile app notification" and first.interactive is True


def test_admin_center_audit_csv() -> None:
    # A helpdesk reset, a group change (ignored, not dead) and a self-registered method.
    assert outcomes(AUDIT_CSV) == {
        "password_reset": 1,
        "~irrelevant_activity": 1,
        "mfa_method_added": 1,
    }
    reset = parse_record(next(r for _, r in file_records(AUDIT_CSV)))[0]
    assert reset.actor == "agent7@northwind.test" and reset.by_other  # type: ignore[union-attr]


def test_csv_of_an_unknown_download_and_broken_rows(tmp_path: Path) -> None:
    unknown = tmp_path / "other.csv"
    unknown.write_text("a,b\n1,2\n")
    assert [r.reason for _, r in file_records(unknown)] == ["unknown_format"]  # type: ignore[attr-defined]
    short = tmp_path / "AuditLogs.csv"
    short.write_bytes(AUDIT_CSV.read_bytes() + b"2026-10-01T10:00:00Z,only-two-cells\n")
    last = list(file_records(short))[-1]
    assert isinstance(last[1], InvalidRecord) and last[0] == 5


def test_input_files_name_what_they_skip(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "b.csv.gz").write_bytes(gzip.compress(b"x"))
    (tmp_path / "c.parquet").write_bytes(b"PAR1")
    (tmp_path / ".hidden.json").write_text("{}")
    files, skipped = input_files([tmp_path, tmp_path / "missing.json"])
    assert [p.name for p in files] == ["a.json", "b.csv.gz"]
    reasons = {s.path.name: s.reason for s in skipped}
    assert reasons[".hidden.json"] == "hidden file"
    assert reasons["c.parquet"].startswith("not a log file")
    assert reasons["missing.json"] == "does not exist"


def test_gunzip_is_bounded_and_reads_every_member(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.json.gz"
    bomb.write_bytes(gzip.compress(b" " * 3_000_000))
    with pytest.raises(InvalidRecord) as caught:
        read_bytes(bomb, limit=1_000_000)
    assert caught.value.reason == "too_large"
    two = tmp_path / "two.jsonl.gz"
    two.write_bytes(gzip.compress(b'{"a": 1}\n') + gzip.compress(b'{"b": 2}\n'))
    assert read_bytes(two) == b'{"a": 1}\n{"b": 2}\n'
    cut = tmp_path / "cut.json.gz"
    cut.write_bytes(gzip.compress(b'{"a": 1}' * 1000)[:40])
    assert [r.reason for _, r in file_records(cut)] == ["unreadable_file"]  # type: ignore[attr-defined]


def test_log_analytics_query_api_response() -> None:
    columns = ["TimeGenerated", "UserPrincipalName", "ResultType", "IPAddress", "Type"]
    body = {
        "tables": [
            {
                "name": "PrimaryResult",
                "columns": [{"name": n, "type": "string"} for n in columns],
                "rows": [
                    ["2026-10-01T09:00:00Z", "a@b.example", "0", "203.0.113.9", "SigninLogs"],
                    ["2026-10-01T09:01:00Z", "a@b.example"],  # short row: an error in place
                ],
            }
        ]
    }
    records = decode_payload(orjson.dumps(body))
    assert len(records) == 2 and isinstance(records[1], InvalidRecord)
    signin = parse_record(records[0])[0]
    assert (signin.user, signin.ip, signin.source_format) == (
        "a@b.example",
        "203.0.113.9",
        "log-analytics",
    )


@pytest.mark.parametrize("body", [b'{"value":[]}', b'{"records":[]}', b"[]", b'{"tables":[]}'])
def test_an_empty_page_is_no_records(body: bytes) -> None:
    assert decode_payload(body) == []
    assert Normalizer(max_future_ms=0).normalize_bytes(body, NOW) == []


def test_an_audit_dated_by_created_date_time() -> None:
    record = {
        "createdDateTime": "2026-10-01T09:00:00Z",
        "activityDisplayName": "Reset user password",
        "targetResources": [{"type": "User", "userPrincipalName": "a@b.example"}],
        "initiatedBy": {"user": {"userPrincipalName": "agent@b.example"}},
        "result": "success",
    }
    assert parse_record(record)[0].time == 1_790_845_200_000


def test_unterminated_strings_decode_in_linear_time() -> None:
    # 1 MB of escaped quotes in a string that never ends: hours with a backtracking regex.
    body = b'{"a":"' + b'\\"' * 500_000
    with pytest.raises(InvalidRecord) as caught:
        decode_payload(body)
    assert caught.value.reason == "malformed_json"
