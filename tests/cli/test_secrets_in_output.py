"""A run with planted secrets in every place a secret can come from: none appears in its output.

The job runs against a broker that does not answer, with librdkafka's security and
configuration debugging on and ``-v``, so every client reports its settings and its failures.
The same run shows that the noise beyond the debug lines asked for is capped: one "broker
unreachable at …" line per back-off interval, not librdkafka's forty lines a second.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

RUN_S = 4.0
PLANTED = {
    "file": "planted-file-secret-1",
    "flag": "planted-oauth-secret-2",
    "query": "planted-query-secret-3",
    "env_url": "planted-env-url-secret-4",
    "yaml": "planted-yaml-secret-5",
}


def _unreachable() -> str:
    with socket.socket() as sock:  # bound, never listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


def test_no_planted_secret_in_any_output(tmp_path: Path) -> None:
    secret_file = tmp_path / "sasl-password"
    secret_file.write_text(PLANTED["file"] + "\n")
    config = tmp_path / "c.yaml"
    config.write_text(f"kafka:\n  properties:\n    ssl.key.password: {PLANTED['yaml']}\n")
    bootstrap = _unreachable()
    env = {
        **os.environ,
        "CORRELATOR_KAFKA_SASL_PASSWORD_FILE": str(secret_file),
        "REDIS_URL": f"redis://:{PLANTED['env_url']}@127.0.0.1:6379/0",
    }
    argv = [
        sys.executable, "-m", "correlator", "-v", "run", "--config", str(config),
        "--bootstrap-servers", bootstrap, "--metrics-port", "0",
        "--state", f"redis://127.0.0.1:6379/0?password={PLANTED['query']}",
        "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanism=PLAIN",
        "-X", "sasl.username=correlator", "-X", "debug=security,conf,broker",
        "-X", f"sasl.oauthbearer.config=principal=svc clientSecret={PLANTED['flag']}",
    ]  # fmt: skip
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    time.sleep(RUN_S)
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=60)
    text = output.decode("utf-8", "replace")

    assert f"broker unreachable at {bootstrap}" in text, text  # the scenario happened
    assert "kafka properties" in text and "sasl.password" in text
    for name, secret in PLANTED.items():
        for form in (secret, quote(secret), secret.encode().hex()):
            assert form not in text, f"{name} secret leaked:\n{text}"
    unreachable = text.count("broker unreachable at")
    assert 1 <= unreachable <= 6, text  # intervals of 1, 2, 4 … s over the run
    assert "sasl.password = ***" in text  # librdkafka's own configuration dump, masked
    # Debug lines were asked for (-v, -X debug=…); the rest is not forty lines a second.
    assert len([line for line in text.splitlines() if " DEBUG " not in line]) <= 30, text
