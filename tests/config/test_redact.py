"""Secrets are masked in any text: URL passwords in every form, secret settings, known values."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from correlator.redact import (
    MASK,
    SECRETS,
    MaskingFormatter,
    SecretValues,
    mask_patterns,
    register_arguments,
    register_environment,
)
from correlator.runconfig import resolve_run_settings


@pytest.mark.parametrize(
    "text, secret",
    [
        ("redis://user:hunter2@cache:6379/0", "hunter2"),
        ("rediss://:hunter2@cache:6380/1", "hunter2"),
        ("state redis://cache:6379/0?password=hunter2&db=1 failed", "hunter2"),
        ("unix:///run/redis.sock?db=0&password=hunter2", "hunter2"),
        ("{'sasl.password': 'hunter2', 'acks': 'all'}", "hunter2"),
        ("sasl.oauthbearer.config=clientSecret=hunter2 scope=x", "hunter2"),
        ('"token": "hunter2"', "hunter2"),
        ("SASL_PASSWORD=hunter2", "hunter2"),
    ],
)
def test_patterns_hide_secrets_in_any_form(text: str, secret: str) -> None:
    masked = mask_patterns(text)
    assert secret not in masked and MASK in masked


def test_known_values_are_masked_however_quoted() -> None:
    values = SecretValues()
    values.add("p@ss\nword-2", "abc")  # "abc" is too short to be masked without harm
    assert values.mask("it was 'p@ss\\nword-2' then abc") == f"it was '{MASK}' then abc"
    values.add_url("redis://u:s%40fe-one@h:1/0?password=qp-secret-9")
    shown = values.mask("AUTH s@fe-one failed, then qp-secret-9")
    assert "s@fe-one" not in shown and "qp-secret-9" not in shown


def test_formatter_masks_tracebacks_too() -> None:
    SECRETS.add("tb-secret-7731")
    formatter = MaskingFormatter("%(message)s")
    try:
        raise RuntimeError("connect failed with tb-secret-7731")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "oops", None, True)
        record.exc_info = sys.exc_info()
    text = formatter.format(record)
    assert "RuntimeError" in text and "tb-secret-7731" not in text


def test_secret_settings_and_files_are_registered(tmp_path: Path) -> None:
    secret_file = tmp_path / "password"
    secret_file.write_text("file-secret-5521\n")
    env = {"CORRELATOR_KAFKA_SASL_PASSWORD_FILE": str(secret_file)}
    flags = {"kafka_property": ["sasl.oauthbearer.config=scope=api clientSecret=oauth-secret-3"]}
    run = resolve_run_settings(flags, env, {"state": "redis://:yaml-secret-8@r:6379/0"})
    assert run.kafka["sasl.password"] == "file-secret-5521"
    line = f"{run.kafka} {run.state}"
    assert SECRETS.mask(line).count(MASK) >= 3
    for secret in ("file-secret-5521", "oauth-secret-3", "yaml-secret-8"):
        assert secret not in SECRETS.mask(line)


def test_environment_secrets_are_registered_at_start(tmp_path: Path) -> None:
    secret_file = tmp_path / "client-secret"
    secret_file.write_text("env-file-secret-19")
    register_environment(
        {"AZURE_CLIENT_SECRET_FILE": str(secret_file), "REDIS_URL": "redis://:env-url-secret@r/0"}
    )
    assert SECRETS.mask("env-file-secret-19 env-url-secret") == f"{MASK} {MASK}"


def test_connection_strings_and_secret_options(tmp_path: Path) -> None:
    connection = (
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=x;SharedAccessKey=k3y-v4lue="
    )
    assert "k3y-v4lue" not in mask_patterns(f"connect failed: {connection}")
    register_environment({"CORRELATOR_EVENTHUBS_CONNECTION_STRING": connection})
    assert SECRETS.mask(connection) == MASK
    secret_file = tmp_path / "client-secret"
    secret_file.write_text("opt-file-secret-77\n")
    register_arguments({"client_secret_file": secret_file, "tenant_id": "tenant-visible-1"})
    assert SECRETS.mask("opt-file-secret-77 tenant-visible-1") == f"{MASK} tenant-visible-1"


@pytest.mark.parametrize(
    "line",
    [
        "a" * 2_000_000,
        "a." * 1_000_000,
        "x://" + "b" * 2_000_000,
        "password" * 250_000,
        "redis://:" + ":" * 2_000_000,
    ],
)
def test_hostile_lines_are_masked_without_backtracking(line: str) -> None:
    """A log line may quote input of any size: masking it must not hang the job (a quadratic
    pattern would take hours on these; the linear ones take milliseconds)."""
    assert len(mask_patterns(line)) >= 1


def test_log_lines_escape_control_characters() -> None:
    import logging

    from correlator.redact import MaskingFormatter

    record = logging.LogRecord(
        "correlator", logging.WARNING, __file__, 1, "ticket %s", ("INC1\x1b[1A\x1b[2K",), None
    )
    line = MaskingFormatter("%(message)s").format(record)
    assert "\x1b" not in line and "INC1\\x1b[1A\\x1b[2K" in line


def test_error_lines_the_command_prints_are_masked_and_escaped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Graph's answer is quoted in the error: a remote text, and it may echo what was sent.
    from types import SimpleNamespace

    from correlator.cli_ingest import _poll
    from correlator.connectors.graph import GraphError

    SECRETS.add("graph-secret-5150")

    def poll_once() -> None:
        raise GraphError("HTTP 400: \x1b[2Jbad client_secret graph-secret-5150\x1b]0;t\x07", 400)

    poller = SimpleNamespace(poll_once=poll_once)
    assert _poll(poller, SimpleNamespace(once=True)) == 1
    err = capsys.readouterr().err
    assert "graph-secret-5150" not in err and "\x1b" not in err and "\x07" not in err
    assert err == f"graph ingest failed: HTTP 400: \\x1b[2Jbad client_secret {MASK}\\x1b]0;t\\x07\n"
