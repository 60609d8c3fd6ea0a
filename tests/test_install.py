"""install.sh staged with --root, twice; the service file against systemd-analyze."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow   # each runs a whole install or demo, 10 s or more


def install(stage: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(ROOT / "install.sh"), "--root", str(stage), "--no-hat", *extra],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHON": sys.executable})


def tree(stage: Path) -> dict:
    """Every file under stage and a hash of its content (compiled caches aside)."""
    out = {}
    for path in sorted(stage.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            out[str(path.relative_to(stage))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def test_staged_install_twice_keeps_the_users_config(tmp_path):
    stage = tmp_path / "stage"
    first = install(stage)
    assert first.returncode == 0, first.stdout + first.stderr
    config = stage / "etc/statusboard/config.yaml"
    unit = stage / "etc/systemd/system/statusboard.service"
    assert config.read_text() == (ROOT / "config.yaml").read_text()
    assert unit.read_text() == (ROOT / "systemd/statusboard.service").read_text()
    check = subprocess.run([str(stage / "opt/statusboard/bin/statusboard"), "check", "-c", str(config)],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and "OK, " in check.stdout, check.stderr
    assert "staged under" in first.stdout and "nothing on this system was touched" in first.stdout
    assert "Unicorn HAT driver: skipped (--no-hat)" in first.stdout
    # The shipped sample has EC2 targets: what they need is installed, and the venv is the board's own.
    python = stage / "opt/statusboard/bin/python"
    assert subprocess.run([str(python), "-c", "import boto3"], timeout=60).returncode == 0
    page = subprocess.run([str(python), "-c", "from statusboard.web.server import WebServer; "
                                              "print(len(WebServer('127.0.0.1', 0, {}).files))"],
                          capture_output=True, text=True, timeout=60)
    assert page.stdout.strip() == "3", "the page's files are installed with the package: " + page.stderr[-300:]
    assert "include-system-site-packages = false" in (stage / "opt/statusboard/pyvenv.cfg").read_text()

    config.write_text(config.read_text().replace("brightness: 0.4", "brightness: 0.2"))
    before = tree(stage)
    second = install(stage)
    assert second.returncode == 0, second.stderr
    assert "nothing to change" in second.stdout
    assert tree(stage) == before, "a second run changes nothing"
    assert "brightness: 0.2" in config.read_text()


def test_a_newer_sample_lands_beside_the_kept_config(tmp_path):
    stage = tmp_path / "stage"
    assert install(stage).returncode == 0
    config = stage / "etc/statusboard/config.yaml"
    config.write_text("# mine\n" + config.read_text())
    sample = stage / "etc/statusboard/config.yaml.sample"
    sample.write_text("# an older sample\n")
    again = install(stage)
    assert again.returncode == 0
    assert f"your {config} is kept; the newer shipped sample is at {sample}" in again.stdout
    assert config.read_text().startswith("# mine") and sample.read_text() == (ROOT / "config.yaml").read_text()


def test_uninstall_keeps_the_config_and_purge_the_kept_observations(tmp_path):
    stage = tmp_path / "stage"
    assert install(stage).returncode == 0
    kept = stage / "var/lib/statusboard/observations.json"
    kept.parent.mkdir(parents=True)
    kept.write_text("{}")
    done = install(stage, "--uninstall")
    assert done.returncode == 0
    assert not (stage / "opt/statusboard").exists()
    assert not (stage / "etc/systemd/system/statusboard.service").exists()
    assert (stage / "etc/statusboard/config.yaml").exists() and kept.exists()
    purged = install(stage, "--uninstall", "--purge")
    assert purged.returncode == 0 and not kept.parent.exists()
    assert (stage / "etc/statusboard/config.yaml").exists(), "the config stays even with --purge"


def test_the_readme_and_the_installer_agree_that_purge_keeps_the_config():
    helped = subprocess.run(["bash", str(ROOT / "install.sh"), "--help"], capture_output=True, text=True).stdout
    purge = helped[helped.index("--purge"):]
    assert "/var/lib/statusboard" in purge and "/etc/statusboard stays even then" in purge, purge
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    said = readme[readme.index("`--purge` removes"):][:200]
    assert "never your config" in said, said


def test_help_and_refusals(tmp_path):
    helped = subprocess.run(["bash", str(ROOT / "install.sh"), "--help"], capture_output=True, text=True)
    assert helped.returncode == 0 and "--uninstall" in helped.stdout and "--root DIR" in helped.stdout
    wrong = subprocess.run(["bash", str(ROOT / "install.sh"), "--frobnicate"], capture_output=True, text=True)
    assert wrong.returncode != 0 and "unknown option: --frobnicate" in wrong.stderr
    old = tmp_path / "python3"
    old.write_text("#!/bin/sh\n[ \"$1\" = -V ] && echo 'Python 3.7.3' && exit 0\nexit 1\n")
    old.chmod(0o755)
    refused = subprocess.run(["bash", str(ROOT / "install.sh"), "--root", str(tmp_path / "s")],
                             capture_output=True, text=True, env={**os.environ, "PYTHON": str(old)})
    assert refused.returncode != 0 and "needs Python 3.9 or newer; this is Python 3.7.3" in refused.stderr


def test_a_machine_without_systemd_is_told_so_before_anything_is_touched(tmp_path):
    """A container or a chroot (no systemd running): one line that says so and what to do instead, exit 1, before
    anything is installed (it used to install the environment, then die at systemctl with systemd's own words)."""
    env = {**os.environ, "PYTHON": sys.executable, "STATUSBOARD_SYSTEMD_DIR": str(tmp_path / "no-systemd")}
    command = ["bash", str(ROOT / "install.sh"), "--no-hat"]
    if os.geteuid() == 0:   # as nobody: should the check not hold, the root check stops it before it touches anything
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1 and done.stdout == "", done.stdout + done.stderr
    assert done.stderr.startswith("install.sh: error: systemd is not running on this machine"), done.stderr
    assert "--root DIR" in done.stderr and "statusboard run --display terminal" in done.stderr
    assert done.stderr.count("\n") == 1, "one line"


def _as_model(tmp_path: Path, model: str) -> dict:
    """The environment for install.sh to see this machine as a Pi of this model."""
    path = tmp_path / "model"
    path.write_text(model + "\x00")
    return {**os.environ, "PYTHON": sys.executable, "STATUSBOARD_MODEL_FILE": str(path)}


def test_a_pi_5_refuses_the_hat_and_names_the_boards_that_work(tmp_path):
    env = _as_model(tmp_path, "Raspberry Pi 5 Model B Rev 1.0")
    refused = subprocess.run(["bash", str(ROOT / "install.sh"), "--root", str(tmp_path / "s"), "--board", "phat"],
                             capture_output=True, text=True, env=env, timeout=60)
    assert refused.returncode == 1
    assert ("--board phat: the Unicorn HAT cannot work on a Raspberry Pi 5 Model B Rev 1.0" in refused.stderr
            and "the Unicorn HAT HD and Mini do (--board hd or mini)" in refused.stderr), refused.stderr
    assert not (tmp_path / "s/opt/statusboard").exists(), "refused before anything was installed"
    wrong = subprocess.run(["bash", str(ROOT / "install.sh"), "--root", str(tmp_path / "s"), "--board", "lcd"],
                           capture_output=True, text=True, env=env, timeout=60)
    assert wrong.returncode == 1 and "--board lcd: choose hat, phat, hd or mini" in wrong.stderr


def test_the_board_in_the_config_decides_the_driver(tmp_path):
    """The shipped sample is a HAT: on a Pi 5 its driver is skipped with the reason; a config that says hd
    names the HAT HD."""
    stage = tmp_path / "stage"
    pi5 = subprocess.run(["bash", str(ROOT / "install.sh"), "--root", str(stage)], capture_output=True, text=True,
                         env=_as_model(tmp_path, "Raspberry Pi 5 Model B Rev 1.0"), timeout=600)
    assert pi5.returncode == 0, pi5.stdout + pi5.stderr
    assert ("Unicorn HAT driver: skipped: the Unicorn HAT cannot work on a Raspberry Pi 5 Model B Rev 1.0 "
            "(the HAT HD and Mini do: --board hd or mini)") in pi5.stdout
    config = stage / "etc/statusboard/config.yaml"
    config.write_text(config.read_text().replace("layout: hat", "layout: hd").replace("driver: unicornhat", ""))
    hd = install(stage)
    assert hd.returncode == 0 and "Unicorn HAT HD driver: skipped (--no-hat)" in hd.stdout, hd.stdout


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_service_file_verifies_and_is_hardened(tmp_path):
    unit = (ROOT / "systemd/statusboard.service").read_text()
    for needed in ("Type=notify", "WatchdogSec=", "Restart=on-failure", "RestartPreventExitStatus=2 3",
                   "ExecReload=/opt/statusboard/bin/statusboard reload --pid $MAINPID",
                   "CapabilityBoundingSet=CAP_NET_RAW\n", "DevicePolicy=closed"):
        assert needed in unit
    assert "\nDeviceAllow=" not in unit and "=CAP_SYS_RAWIO" not in unit, "devices come from the board's drop-in"
    # verify wants ExecStart to exist: point it at this interpreter for the check.
    copy = tmp_path / "statusboard.service"
    copy.write_text(unit.replace("/opt/statusboard/bin/statusboard", sys.executable))
    verify = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True)
    assert verify.returncode == 0 and verify.stderr.strip() == "", verify.stderr
    security = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(ROOT / "systemd/statusboard.service")],
                              capture_output=True, text=True)
    line = [x for x in security.stdout.splitlines() if "Overall exposure level" in x][0]
    score = float(line.split(":")[1].split()[0])
    assert score <= 2.5, line


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_the_service_may_open_its_own_boards_devices_and_no_others(tmp_path):
    stage = tmp_path / "stage"

    def exposure(board: str) -> str:
        done = install(stage, "--board", board)
        assert done.returncode == 0, done.stdout + done.stderr
        security = subprocess.run(["systemd-analyze", "security", "--offline=yes", f"--root={stage}",
                                   "statusboard.service"], capture_output=True, text=True)
        assert "Overall exposure level" in security.stdout, security.stderr
        return security.stdout

    spi = exposure("hd")
    assert "✓ CapabilityBoundingSet=~CAP_SYS_RAWIO" in spi, "an SPI board has no raw I/O"
    devices = [line for line in spi.splitlines() if "DeviceAllow=" in line][0]
    assert "char-spi:rw" in devices and "/dev/mem" not in devices and "gpio" not in devices, devices
    hat = exposure("hat")
    assert "✗ CapabilityBoundingSet=~CAP_SYS_RAWIO" in hat, "the Unicorn HAT drives its LEDs through /dev/mem"
    devices = [line for line in hat.splitlines() if "DeviceAllow=" in line][0]
    assert "/dev/mem:rw" in devices and "spi" not in devices, devices
    score = float([x for x in hat.splitlines() if "Overall exposure level" in x][0].split(":")[1].split()[0])
    assert score <= 2.5
    removed = subprocess.run(["bash", str(ROOT / "install.sh"), "--root", str(stage), "--uninstall"],
                             capture_output=True, text=True, timeout=120)
    assert removed.returncode == 0 and not (stage / "etc/systemd/system/statusboard.service.d").exists()
