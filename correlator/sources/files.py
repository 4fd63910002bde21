"""Reading log files: which files of a path are inputs, and the records of each.

One set of rules for every command that reads files (``replay``, ``ingest files``): the
suffixes taken, gzip (bounded, so a small bomb cannot fill memory), JSON in every shape
``decode_lines`` knows, and the CSV downloads of the Entra admin center. Every file that is not
read is reported with the reason, never dropped in silence.
"""

from __future__ import annotations

import csv
import io
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from correlator.errors import InvalidRecord
from correlator.sources.decode import MAX_PAYLOAD, Decoded, decode_lines
from correlator.sources.entra_csv import csv_kind, header_key, row_record
from correlator.sources.reasons import MALFORMED_JSON, TOO_LARGE, UNKNOWN_FORMAT

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson", ".log", ".txt")
CSV_SUFFIXES = (".csv",)
INPUT_SUFFIXES = tuple(s + gz for s in (*JSON_SUFFIXES, *CSV_SUFFIXES) for gz in ("", ".gz")) + (
    ".gz",
)
MAX_FILE_BYTES = MAX_PAYLOAD  # after decompression
UNREADABLE = "unreadable_file"


@dataclass(frozen=True)
class Skipped:
    """A path that was given or found but not read, and why (for the user, not a metric)."""

    path: Path
    reason: str


def input_files(paths: Iterable[Path]) -> tuple[list[Path], list[Skipped]]:
    """The files to read under ``paths`` (directories recursively, sorted), and those skipped."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for path in paths:
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.is_file()):
                why = _why_not(found)
                if why is None:
                    files.append(found)
                else:
                    skipped.append(Skipped(found, why))
        elif path.is_file():
            files.append(path)  # named explicitly: read whatever its suffix
        elif path.exists():
            skipped.append(Skipped(path, "not a regular file"))
        else:
            skipped.append(Skipped(path, "does not exist"))
    return files, skipped


def _why_not(path: Path) -> str | None:
    if path.name.startswith("."):
        return "hidden file"
    if not path.name.lower().endswith(INPUT_SUFFIXES):
        suffixes = ", ".join(s for s in INPUT_SUFFIXES if not s.endswith(".gz") or s == ".gz")
        return f"not a log file (suffix is not one of {suffixes})"
    return None


def read_bytes(path: Path, *, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, gunzipped when gzip; ``InvalidRecord`` (too_large / unreadable_file)
    when over ``limit`` or corrupt, ``OSError`` when it cannot be opened."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, limit)
    if len(data) > limit:
        raise InvalidRecord(TOO_LARGE, f"{path.name} is over {limit} bytes")
    return data


def _gunzip(data: bytes, limit: int) -> bytes:
    """Every gzip member (``cat a.gz b.gz`` is one stream to gzip(1)), stopping past ``limit``."""
    out: list[bytes] = []
    size = 0
    try:
        while data[:2] == b"\x1f\x8b":
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            while data:
                chunk = inflater.decompress(data, limit + 1 - size)
                out.append(chunk)
                size += len(chunk)
                if size > limit:
                    raise InvalidRecord(TOO_LARGE, f"decompresses to over {limit} bytes")
                data = inflater.unconsumed_tail
            if not inflater.eof:
                raise InvalidRecord(UNREADABLE, "gzip stream ends early")
            data = inflater.unused_data
    except zlib.error as exc:
        raise InvalidRecord(UNREADABLE, f"corrupt gzip: {exc}") from exc
    return b"".join(out)


def file_records(path: Path) -> Iterator[tuple[int, object]]:
    """``(line, record)`` pairs of one file; a record that cannot be read is an
    ``InvalidRecord`` in its place, and a file that cannot be read is one at line 1."""
    try:
        data = read_bytes(path)
    except OSError as exc:
        yield 1, InvalidRecord(UNREADABLE, exc.strerror or type(exc).__name__)
        return
    except InvalidRecord as exc:
        yield 1, exc
        return
    if _is_csv(path):
        yield from csv_records(data, interactive=_interactive_hint(path))
        return
    try:
        yield from decode_lines(data)
    except InvalidRecord as exc:
        yield 1, exc


def _is_csv(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(CSV_SUFFIXES)


def _interactive_hint(path: Path) -> bool | None:
    # The admin center names its downloads InteractiveSignIns_… and NonInteractiveSignIns_….
    name = path.name.lower()
    if "noninteractive" in name:
        return False
    return True if "interactive" in name else None


def csv_records(data: bytes, *, interactive: bool | None = None) -> Decoded:
    """The rows of an Entra admin center CSV download as Graph-shaped records."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [(1, InvalidRecord(MALFORMED_JSON, "CSV file is not UTF-8"))]
    reader = csv.reader(io.StringIO(text, newline=""))
    out: Decoded = []
    try:
        headers = [header_key(h) for h in next(reader, [])]
        kind = csv_kind(headers)
        if kind is None:
            return [(1, InvalidRecord(UNKNOWN_FORMAT, "CSV headers of no known download"))]
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            out.append((reader.line_num, _row(kind, headers, row, interactive)))
    except csv.Error as exc:  # a field over the limit, a NUL byte: the rest is unreadable
        out.append((reader.line_num, InvalidRecord(MALFORMED_JSON, f"CSV: {exc}"[:200])))
    return out


def _row(kind: str, headers: list[str], row: list[str], interactive: bool | None) -> object:
    if len(row) != len(headers):
        return InvalidRecord(MALFORMED_JSON, f"{len(row)} cells for {len(headers)} columns")
    try:
        return row_record(kind, dict(zip(headers, row, strict=True)), interactive=interactive)
    except InvalidRecord as exc:
        return exc
