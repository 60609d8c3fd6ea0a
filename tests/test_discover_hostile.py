"""`statusboard discover` against what lies or races: a Prometheus whose answer is not what Prometheus says, URLs
that carry passwords, a config.yaml with other hard links, and two `discover --apply` writing one file at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, List

import pytest

from tests.test_discover import ENV, appended, discover, write


class Liar(ThreadingHTTPServer):
    """A loopback server that answers every GET with `body` (whatever it is) as text/plain."""

    daemon_threads = True

    def __init__(self) -> None:
        self.body = b""
        liar = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(liar.body)))
                self.end_headers()
                self.wfile.write(liar.body)

        super().__init__(("127.0.0.1", 0), Handler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.fixture
def liar() -> Iterator[Liar]:
    server = Liar()
    yield server
    server.shutdown()
    server.server_close()


def up(*labels: dict) -> bytes:
    """Prometheus's answer to `up`, holding series with these labels."""
    return json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": m, "value": [0, "1"]} for m in labels]}}).encode()


@pytest.mark.parametrize("labels", [({"job": 5}, {"job": "a"}), ({"job": None},), ({"job": "a", "instance": [1]},),
                                    ({"job": "a\ud800b"},)],
                         ids=["a number", "null", "a list", "a lone surrogate"])
def test_a_prometheus_whose_labels_are_not_text_is_named(liar, tmp_path, labels):
    liar.body = up(*labels)
    config = tmp_path / "config.yaml"
    before = write(config, "targets:\n")
    done = discover(config, "prometheus", f"http://127.0.0.1:{liar.port}", "--per-instance", "--apply")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert f"Prometheus at http://127.0.0.1:{liar.port} (HTTP 200): not the answer of a Prometheus server's " \
           "/api/v1/query (label " in done.stderr
    assert config.read_bytes() == before and not (tmp_path / "config.yaml.bak").exists()


def test_a_password_given_in_a_url_is_written_as_given_and_said_so(liar, tmp_path):
    liar.body = up({"job": "app", "instance": "127.0.0.1:1"})
    config = tmp_path / "config.yaml"
    before = write(config, "targets:\n", 0o644)
    server = f"http://board:hunter2@127.0.0.1:{liar.port}"
    shown = discover(config, "prometheus", server)
    assert shown.returncode == 0, shown.stderr
    assert "hunter2" not in shown.stdout + shown.stderr
    assert (f"note: 1 of them carries a user name or password in a URL, as you gave it: {config} would hold it in "
            "clear (its mode, 0644, lets every user of this machine read it); only *** is shown here") in shown.stdout
    assert config.read_bytes() == before
    done = discover(config, "prometheus", server, "--apply")
    assert done.returncode == 0, done.stderr
    assert "hunter2" not in done.stdout + done.stderr
    assert f"note: 1 of them carries a user name or password in a URL, as you gave it: {config} holds it in clear" \
           in done.stdout
    assert f"url: '{server}'" in appended(before, config.read_bytes()), "the board needs it to ask"

    private = tmp_path / "private.yaml"
    write(private, "targets:\n", 0o600)
    (tmp_path / "urls.txt").write_text("https://me:s3cret@127.0.0.1:1/a\nhttps://127.0.0.1:1/b\n")
    done = discover(private, "http", "urls.txt", "--apply")
    assert done.returncode == 0, done.stderr
    assert "s3cret" not in done.stdout + done.stderr
    assert f"{private} holds it in clear; only *** is shown here" in done.stdout, "0600: nobody else reads it"
    clean = tmp_path / "clean.yaml"
    write(clean, "targets:\n")
    (tmp_path / "plain.txt").write_text("https://127.0.0.1:1/b\n")
    assert "note:" not in discover(clean, "http", "plain.txt").stdout


def test_a_config_with_another_hard_link_says_that_name_keeps_the_old_text(tmp_path):
    config = tmp_path / "config.yaml"
    before = write(config, "targets:\n")
    other = tmp_path / "copy.yaml"
    os.link(config, other)
    (tmp_path / "urls.txt").write_text("http://127.0.0.1:1/a\n")
    done = discover(config, "http", "urls.txt", "--apply")
    assert done.returncode == 0, done.stderr
    appended(before, config.read_bytes())
    assert other.read_bytes() == before
    assert (f"note: {config} had 1 other hard link: the new file replaces this name only, so it keeps the text as it "
            "was") in done.stdout


def test_two_applies_at_once_never_lose_either(tmp_path, monkeypatch, capsys):
    """The second discover --apply starts just as the first writes (after its check, before its rename): it must
    wait for the first and then see its text, not write over it or be written over."""
    from statusboard.cli import main
    from statusboard.discover import write as writing
    config = tmp_path / "config.yaml"
    before = write(config, "targets:\n")
    (tmp_path / "one.txt").write_text("http://127.0.0.1:1/a  first\n")
    (tmp_path / "two.txt").write_text("http://127.0.0.1:1/b  second\n")
    second: List[subprocess.CompletedProcess] = []
    put = writing._put

    def meanwhile(*args: object) -> None:
        if not second:
            proc = subprocess.Popen([sys.executable, "-m", "statusboard", "discover", "http", "two.txt", "--apply",
                                     "-c", str(config)], cwd=tmp_path, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, env={**os.environ, **ENV})
            try:   # long enough for it to write, were it not held back
                out, err = proc.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                out, err = "", ""
            second.append(subprocess.CompletedProcess([], proc.returncode, out, err) if proc.returncode is not None
                          else proc)  # type: ignore[arg-type]
        put(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(writing, "_put", meanwhile)
    monkeypatch.chdir(tmp_path)
    assert main(["discover", "http", "one.txt", "--apply", "-c", str(config)]) == 0
    assert "written:" in capsys.readouterr().out
    other = second[0]
    if isinstance(other, subprocess.Popen):
        out, err = other.communicate(timeout=120)
        other = subprocess.CompletedProcess([], other.returncode, out, err)
    text = appended(before, config.read_bytes())
    assert "first: {pixel: [0, 0]" in text
    if other.returncode == 0:
        assert "second:" in text, "the second said it wrote, and its target is gone"
    else:
        assert f"{config} changed while discover ran: nothing written; run it again" in other.stderr, other.stderr
        assert "second" not in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml", "config.yaml.bak", "one.txt", "two.txt"]


def test_a_config_that_is_not_a_file_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "config.yaml"
    os.mkfifo(fifo)
    (tmp_path / "urls.txt").write_text("http://127.0.0.1:1/a\n")
    for config in (fifo, Path("/dev/zero")):
        done = discover(config, "http", str(tmp_path / "urls.txt"), "--apply", timeout=60)
        assert done.returncode == 2
        assert f"{config}: is not a regular file (a pipe, socket or device)" in done.stderr


@pytest.mark.parametrize("signum", [15, 1], ids=["SIGTERM", "SIGHUP"])
def test_a_discover_stopped_mid_apply_leaves_no_file_behind(tmp_path, signum):
    """Stopped while check reads the new text beside config.yaml: the file as it was, and nothing else there."""
    import time
    config = tmp_path / "config.yaml"
    before = write(config, "targets:\n", 0o640)
    (tmp_path / "urls.txt").write_text("http://127.0.0.1:1/a\n")
    proc = subprocess.Popen([sys.executable, "-m", "statusboard", "discover", "http", "urls.txt", "--apply", "-c",
                             str(config)], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **ENV})
    end = time.monotonic() + 60
    while not [p for p in tmp_path.iterdir() if p.name.endswith(".discover")] and time.monotonic() < end:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.005)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "Traceback" not in err, err
    assert config.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml", "urls.txt"], "no temporary file is left"


def test_a_password_with_a_space_in_a_file_of_urls_shows_no_part_of_it(tmp_path):
    config = tmp_path / "config.yaml"
    before = write(config, "targets:\n")
    (tmp_path / "urls.txt").write_text("https://board:pa55 w0rd@127.0.0.1:1/status  board\n")
    done = discover(config, "http", "urls.txt", "--apply")
    assert done.returncode == 2
    assert "pa55" not in done.stderr and "w0rd" not in done.stderr, done.stderr
    assert ("urls.txt:1: not a valid URL (a space in its user name or password? write it as %20): "
            "'https://board:***@127.0.0.1:1/status  board'") in done.stderr
    assert config.read_bytes() == before


def test_an_instance_with_a_blank_name_is_placed_by_its_id(cloud, tmp_path):
    from tests.test_discover import launch, once
    blank, web = launch("eu-west-1", "   "), launch("eu-west-1", "web")
    config = tmp_path / "config.yaml"
    before = write(config, "aws: {region: eu-west-1}\ntargets:\n")
    done = discover(config, "ec2", "--apply")
    assert done.returncode == 0, done.stderr
    added = appended(before, config.read_bytes())
    assert f"  {blank}: {{pixel: [1, 0], ec2: {blank}}}   # a blank Name tag, eu-west-1" in added
    assert f"  web: {{pixel: [0, 0], ec2: {{name: web}}}}   # {web}, eu-west-1" in added
    states = once(config)
    assert (states[blank]["state"], states["web"]["state"]) == ("running", "running")


def test_an_alarm_with_a_blank_name_is_left_out_and_said_so(cloud, tmp_path):
    from tests.test_discover import alarm
    alarm("   ")
    alarm("api-errors", "ALARM")
    config = tmp_path / "config.yaml"
    before = write(config, "aws: {region: eu-west-1}\ntargets:\n")
    done = discover(config, "cloudwatch", "--apply")
    assert done.returncode == 0, done.stderr
    assert "left out: an alarm in eu-west-1 whose name is blank: the board cannot name it" in done.stdout
    added = appended(before, config.read_bytes())
    assert "  api-errors: {pixel: [0, 0], cloudwatch: api-errors}   # alarm, eu-west-1" in added
    assert "pixel: [1, 0]" not in added


def test_a_refused_reload_never_undoes_an_edit_made_meanwhile(tmp_path, monkeypatch, capsys):
    """The board takes its time to refuse the new config; meanwhile the owner saves the file: their edit stays."""
    import statusboard.cli_discover as cli_discover
    from statusboard.cli import main
    config = tmp_path / "config.yaml"
    write(config, "targets:\n", 0o640)
    (tmp_path / "urls.txt").write_text("http://127.0.0.1:1/a\n")
    edit = b"targets:\n  mine: {pixel: [5, 5], ping: 127.0.0.1}\n"

    def slow_refusal(real: str, verbose: bool):
        Path(real).write_bytes(edit)   # the owner saves, while the board thinks
        return 1, ""

    monkeypatch.setattr(cli_discover, "_reload", slow_refusal)
    monkeypatch.chdir(tmp_path)
    assert main(["discover", "http", "urls.txt", "--apply", "-c", str(config)]) == 1
    err = capsys.readouterr().err
    assert config.read_bytes() == edit
    assert (f"the running board refused the new config; {config} was changed by someone else since discover "
            f"wrote it, so it is left as it is (the file before discover: {config}.bak)") in err


def test_a_file_of_urls_from_notepad_and_its_line_numbers(tmp_path):
    """A byte order mark starts the file, lines end in CRLF, and a line holds U+0085 (a line break to Python's
    splitlines, not to an editor): every URL is read, and a bad line is named by the number an editor shows."""
    config = tmp_path / "config.yaml"
    before = write(config, "targets:\n")
    urls = tmp_path / "urls.txt"
    urls.write_bytes("\ufeffhttp://127.0.0.1:1/a  first\r\nhttp://127.0.0.1:1/b  x\u0085y\r\nftp://nope/\r\n"
                     .encode("utf-8"))
    bad = discover(config, "http", "urls.txt", "--apply")
    assert bad.returncode == 2
    assert bad.stderr.strip() == ("statusboard: 1 line of urls.txt is not a URL:\n"
                                  "  urls.txt:3: expected an http:// or https:// URL, got 'ftp://nope/'")
    urls.write_bytes("\ufeffhttp://127.0.0.1:1/a  first\r\nhttp://127.0.0.1:1/b  second\r\n".encode("utf-8"))
    done = discover(config, "http", "urls.txt", "--apply")
    assert done.returncode == 0, done.stderr
    added = appended(before, config.read_bytes())
    assert "  first: {pixel: [0, 0], http: 'http://127.0.0.1:1/a'}   # urls.txt line 1" in added
    assert "  second: {pixel: [1, 0], http: 'http://127.0.0.1:1/b'}   # urls.txt line 2" in added


def test_a_file_system_without_locks_still_takes_the_targets(tmp_path, monkeypatch, capsys):
    """Some NFS mounts answer a lock with ENOLCK: discover writes as it would without another discover running."""
    import errno

    from statusboard.cli import main
    from statusboard.discover import write as writing

    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(writing.fcntl, "flock", no_locks)
    config = tmp_path / "config.yaml"
    before = write(config, "targets:\n")
    (tmp_path / "urls.txt").write_text("http://127.0.0.1:1/a  a\n")
    monkeypatch.chdir(tmp_path)
    assert main(["discover", "http", "urls.txt", "--apply", "-c", str(config)]) == 0, capsys.readouterr().err
    assert "  a: {pixel: [0, 0], http: 'http://127.0.0.1:1/a'}" in appended(before, config.read_bytes())
