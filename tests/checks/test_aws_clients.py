"""AWS clients against moto's server on 127.0.0.1: made off the checks' critical path, and a check's deadline that
covers getting credentials (a credential_process that never ends) and the CA bundle (a FIFO) as it covers
sockets."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from statusboard.kinds import make_checks
from tests import aws

MARGIN = 1.0   # what a check may take past its timeout: thread wake-ups and ending a process, not waits


def ec2_check(timeout: str = "1s"):
    board = aws.board_of("ec2", {"a": "{name: web}"}, timeout=timeout)
    check = make_checks(["ec2"], aws=board.aws)["ec2"]
    return board, check


def running(marker: str) -> list:
    """The processes whose command line holds marker."""
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                    out.append(int(pid))
            except OSError:
                pass
    return out


def test_a_credential_process_that_never_ends_is_ended_with_the_checks_deadline(cloud, tmp_path, monkeypatch):
    script = tmp_path / "creds-never-ends.sh"
    script.write_text("#!/bin/sh\nexec sleep 3600\n")
    script.chmod(0o755)
    (tmp_path / "config").write_text(f"[default]\ncredential_process = {script}\n")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    board, check = ec2_check()
    target = board.targets[0]
    check.prepare(board.targets)
    check.client(check.group(target))   # made (no credentials needed for that)
    for _ in range(2):   # and the next check asks again, and is ended again
        start = time.monotonic()
        obs = check.observe(target, start + target.timeout)
        took = time.monotonic() - start
        assert took < 1 + MARGIN, took
        assert obs.state == "unknown"
        assert obs.detail == "the AWS profile's credential_process did not finish within the check's 1 s (it was ended)"
    time.sleep(0.2)
    assert running(str(script)) == [] and cloud.calls == {}


@pytest.mark.parametrize("variable", ["AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE"])
def test_a_ca_bundle_that_is_a_fifo_is_refused_within_the_timeout(cloud, tmp_path, monkeypatch, variable):
    fifo = tmp_path / "ca.pem"
    os.mkfifo(fifo)   # nothing writes to it: opening it to read would wait for ever
    monkeypatch.setenv(variable, str(fifo))
    monkeypatch.setenv("AWS_ENDPOINT_URL", cloud.url.replace("http:", "https:"))   # TLS: the bundle is read
    board, check = ec2_check()
    target = board.targets[0]
    start = time.monotonic()
    obs = check.observe(target, start + target.timeout)
    assert time.monotonic() - start < 30   # making the client (CPU) may take long on a loaded machine
    assert obs.state == "unknown"
    assert obs.detail == (f"the CA bundle ({variable}) {fifo} is not a regular file (a pipe, socket or device): "
                          "botocore cannot read it")
    monkeypatch.setenv(variable, "/dev/zero")
    assert "/dev/zero is not a regular file" in check.observe(target).detail
