#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian or Raspberry Pi OS machine, then runs them.
#   tests/run.sh              # all tests
#   tests/run.sh -k http      # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."

# System tools the tests use: ip (network namespaces), setpriv, openssl (a self-signed certificate),
# Xvfb and Tk (the window display), debootstrap and systemd-nspawn (the appliance booted in a container),
# Mosquitto (the MQTT broker the MQTT tests start), iputils' ping (a system ping flooding beside the board's),
# Chromium and its driver (the web page's tests, headless), Prometheus and InfluxDB (below). The benches compare against fping and blackbox_exporter where they are installed (not
# needed by the tests): sudo apt install fping prometheus-blackbox-exporter
need=()
command -v Xvfb >/dev/null || need+=(xvfb)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
command -v ip >/dev/null || need+=(iproute2)
command -v setpriv >/dev/null || need+=(util-linux)
command -v openssl >/dev/null || need+=(openssl)
command -v mosquitto >/dev/null || need+=(mosquitto)
command -v ping >/dev/null || need+=(iputils-ping)   # a system ping beside the board's own (ping cross-talk)
python=${PYTHON:-python3}
"$python" -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)   # Debian splits venv out of python3
"$python" -c 'import tkinter' 2>/dev/null || need+=(python3-tk)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "tests/run.sh: installing ${need[*]}"
        apt-get update -qq
        # Without recommends: on Ubuntu 24.04 systemd-container's systemd recommends systemd-resolved, which points
        # /etc/resolv.conf at a resolver that is not running in a container, and the network's names are gone.
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    else
        echo "tests/run.sh: ${need[*]} missing; the tests that need them will be skipped" >&2
    fi
fi
# A real Prometheus and InfluxDB for the prometheus: and influxdb: kinds' tests (each test starts its own on
# 127.0.0.1), and Chromium with its driver for the page's tests (headless), without what Debian recommends.
servers=()
command -v prometheus >/dev/null || servers+=(prometheus)
command -v influxd >/dev/null || servers+=(influxdb)
# On Ubuntu, apt's chromium and chromium-driver are stand-ins for the chromium snap (scripts that hand over to
# /snap/bin), which a machine without snapd cannot run: installed once, never again, and the browser tests skip
# saying so (tests/browser.py).
snap_stub() { [ -f "$1" ] && head -c 2 "$1" | grep -q '^#!' && grep -qs snap "$1" && [ ! -x /snap/bin/chromium ]; }
installed() { dpkg-query -W -f '${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
stubs=()
for file in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/chromedriver; do
    snap_stub "$file" && stubs+=("$file")
done
[ -x /usr/bin/chromium ] || installed chromium || [ ${#stubs[@]} -gt 0 ] || servers+=(chromium)
[ -x /usr/bin/chromedriver ] || installed chromium-driver || [ ${#stubs[@]} -gt 0 ] || servers+=(chromium-driver)
if [ ${#servers[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "tests/run.sh: installing ${servers[*]}"
        [ ${#need[@]} -gt 0 ] || apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${servers[@]}" >/dev/null
    else
        echo "tests/run.sh: ${servers[*]} missing; the tests that need them will be skipped" >&2
    fi
    for file in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/chromedriver; do
        snap_stub "$file" && stubs+=("$file")
    done
fi
if [ ${#stubs[@]} -gt 0 ]; then
    echo "tests/run.sh: ${stubs[*]}: Ubuntu's stand-in for the chromium snap, which cannot run here; the browser" \
         "tests will be skipped (install the snap with snapd running, or a Chromium that is no snap)" >&2
fi

# A .venv made before python3-venv was installed has no pip: make it again.
if [ -x .venv/bin/python ] && ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
    echo "tests/run.sh: .venv has no pip (made without python3-venv?): making it again"
    rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv || { rm -rf .venv; echo "tests/run.sh: cannot make .venv (sudo apt install python3-venv)" >&2; exit 1; }
fi
# pip's output (and the build backend's warnings, such as setuptools' "Editable installation" box) is shown
# only when an install fails.
pip_install() {
    local log
    log=$(mktemp)
    if ! .venv/bin/python -m pip install --disable-pip-version-check "$@" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        echo "tests/run.sh: pip install $* failed (its output is above)" >&2
        exit 1
    fi
    rm -f "$log"
}
pip_install --upgrade pip
pip_install -e ".[test]"
# The released Unicorn HAT, HAT HD and HAT Mini libraries, run in the tests over stand-ins for what they talk
# to (tests/hardware/); without those dependencies (rpi_ws281x, spidev, RPi.GPIO), which only run on a Pi.
pip_install --no-deps "unicornhat==2.2.3" "unicornhathd==0.0.4" "unicornhatmini==0.0.2"
exec .venv/bin/python -m pytest "$@"
