#!/usr/bin/env bash
# statusboard installer for Raspberry Pi OS (Bookworm or Bullseye).
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: sudo ./install.sh [--root DIR] [--board hat|phat|hd|mini | --no-hat] [--wheels DIR]
                         [--uninstall [--purge]] [--help]

Installs statusboard as a service that starts at boot:
  /opt/statusboard                      a Python virtual environment with statusboard, boto3 for AWS targets,
                                        paho-mqtt for MQTT
                                        and the driver of the board (on a Raspberry Pi that can drive it)
  /etc/statusboard/config.yaml          your board; never overwritten once there
  /etc/systemd/system/statusboard.service  enabled and started

  --root DIR    stage the whole install under DIR (no apt, no systemctl, no root needed); for tests
  --board B     the board on the Pi: hat or phat (Unicorn HAT, pHAT), hd (Unicorn HAT HD), mini (Unicorn
                HAT Mini); without it, display.layout in the config (or the shipped sample) decides.
                Its driver is installed, even where this does not look like a Raspberry Pi; hd and mini
                turn SPI on (raspi-config) and say when a reboot is needed. A Raspberry Pi 5 refuses hat
                and phat: their LED driver cannot work there (hd and mini do).
  --hat         the same as --board hat
  --no-hat      install no board driver (preview with --display terminal)
  --wheels DIR  install the Python packages from the wheels in DIR only (no internet needed);
                make DIR elsewhere with: pip download -d DIR pip setuptools wheel '.[ec2,mqtt]'
  --uninstall   stop and remove the service and /opt/statusboard; keep /etc/statusboard and
                the observations kept in /var/lib/statusboard
  --purge       with --uninstall: remove /var/lib/statusboard too (the kept observations and
                history); your config in /etc/statusboard stays even then (it is yours)
  --help        this text

Running it again changes nothing unless statusboard itself changed.
USAGE
}

say() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }

ROOT=""
HAT=auto
BOARD=""
UNINSTALL=0
PURGE=0
WHEELS=""
while [ $# -gt 0 ]; do
    case "$1" in
        --root) [ $# -ge 2 ] || die "--root needs a directory"; ROOT=$(realpath -m "$2"); shift 2 ;;
        --root=*) ROOT=$(realpath -m "${1#--root=}"); shift ;;
        --hat) HAT=yes; BOARD=hat; shift ;;
        --board) [ $# -ge 2 ] || die "--board needs hat, phat, hd or mini"; BOARD=$2; HAT=yes; shift 2 ;;
        --board=*) BOARD=${1#--board=}; HAT=yes; shift ;;
        --no-hat) HAT=no; shift ;;
        --uninstall) UNINSTALL=1; shift ;;
        --purge) PURGE=1; shift ;;
        --wheels) [ $# -ge 2 ] || die "--wheels needs a directory"; WHEELS=$(realpath -m "$2"); shift 2 ;;
        --wheels=*) WHEELS=$(realpath -m "${1#--wheels=}"); shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
done

SRC=$(cd "$(dirname "$0")" && pwd)
VENV="$ROOT/opt/statusboard"
ETC="$ROOT/etc/statusboard"
KEPT="$ROOT/var/lib/statusboard"
UNIT_DIR="$ROOT/etc/systemd/system"
UNIT="$UNIT_DIR/statusboard.service"
LIVE=1; [ -n "$ROOT" ] && LIVE=0
PY=${PYTHON:-python3}
changed=()

# The board is a systemd service: without systemd running (a container, a chroot, WSL) say so before touching
# anything, rather than fail at systemctl with half an install done. (sd_booted() looks for the same directory;
# STATUSBOARD_SYSTEMD_DIR stands in for it where tests play such a machine.)
SYSTEMD_DIR=${STATUSBOARD_SYSTEMD_DIR:-/run/systemd/system}
SYSTEMD=0; [ -d "$SYSTEMD_DIR" ] && SYSTEMD=1
if [ "$LIVE" = 1 ] && [ "$UNINSTALL" = 0 ] && [ "$SYSTEMD" = 0 ]; then
    die "systemd is not running on this machine (a container or a chroot?), and the board is a systemd service:" \
        "install on a machine booted with systemd, stage the install with --root DIR, or preview the board" \
        "without installing: statusboard run --display terminal (README: The two commands)"
fi

if [ "$LIVE" = 1 ] && [ "$(id -u)" -ne 0 ]; then
    die "run as root: sudo ./install.sh (the service drives the HAT through /dev/mem)"
fi

if [ "$UNINSTALL" = 1 ]; then
    if [ "$LIVE" = 1 ] && [ "$SYSTEMD" = 1 ]; then
        systemctl disable --now statusboard.service 2>/dev/null || true
    fi
    rm -f "$UNIT"
    rm -rf "$UNIT_DIR/statusboard.service.d" "$VENV"
    if [ "$LIVE" = 1 ] && [ "$SYSTEMD" = 1 ]; then systemctl daemon-reload; fi
    if [ "$PURGE" = 1 ]; then
        rm -rf "$KEPT"
        say "removed the service, $VENV and $KEPT; your config stays in $ETC"
    else
        say "removed the service and $VENV; your config stays in $ETC (--purge also removes $KEPT)"
    fi
    exit 0
fi

command -v "$PY" >/dev/null || die "python3 is not installed (sudo apt install python3)"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 9))' \
    || die "statusboard needs Python 3.9 or newer; this is $("$PY" -V 2>&1)"

[ -z "$WHEELS" ] || [ -d "$WHEELS" ] || die "--wheels $WHEELS: no such directory"
[ "$PURGE" = 0 ] || die "--purge goes with --uninstall"

# What a board is and needs (NAME, EXTRA, SPI, GPIO, ACCESS, NOT_ON_PI5, PI5_*), as its display module declares
# it (statusboard/display/registry.py lists them); without a word, the layouts.
boards() { (cd "$SRC" && "$PY" -B -m statusboard.display.boards "$@"); }
LAYOUTS=$(boards) || die "could not read the boards statusboard knows from $SRC/statusboard/display"
# The board: --board, else display.layout in the config that will be used (yours, or the shipped sample).
if [ -n "$BOARD" ]; then
    facts=$(boards "$BOARD" 2>&1) || die "--board $BOARD: $facts"
else
    config="$ETC/config.yaml"; [ -e "$config" ] || config="$SRC/config.yaml"
    BOARD=$(sed -n 's/^[[:space:]]*layout:[[:space:]]*\([a-z]*\).*/\1/p' "$config" | head -n1)
    [[ -n "$BOARD" && " $LAYOUTS " == *" $BOARD "* ]] || BOARD=hat
fi
eval "$(boards "$BOARD")"

# Its driver: only where it can work, and always say why not.
# (STATUSBOARD_MODEL_FILE stands in for the Pi's model file where tests play another machine.)
MODEL=$(tr -d '\0' 2>/dev/null < "${STATUSBOARD_MODEL_FILE:-/proc/device-tree/model}" || true)
case "$HAT" in
    yes) HAT_WHY="installed (--board $BOARD)" ;;
    no) HAT_WHY="skipped (--no-hat)" ;;
    auto)
        case "$MODEL" in
            *"Raspberry Pi 5"*)
                if [ -n "$NOT_ON_PI5" ]; then
                    HAT=no; HAT_WHY="skipped: the $NAME cannot work on a $MODEL (the $PI5_BRIEF do: --board $PI5_LAYOUTS)"
                else
                    HAT=yes; HAT_WHY="installed for this $MODEL"
                fi ;;
            *"Raspberry Pi"*) HAT=yes; HAT_WHY="installed for this $MODEL" ;;
            *) HAT=no; HAT_WHY="skipped: this is not a Raspberry Pi${MODEL:+ ($MODEL)}" ;;
        esac ;;
esac
if [ "$HAT" = yes ] && [ -n "$NOT_ON_PI5" ] && [[ "$MODEL" == *"Raspberry Pi 5"* ]]; then
    die "--board $BOARD: the $NAME cannot work on a $MODEL ($NOT_ON_PI5); the $PI5_NAMES do (--board $PI5_LAYOUTS)"
fi
# The Mini reads its chip selects and buttons through RPi.GPIO; on a Pi 5, rpi-lgpio stands in for it.
GPIO_PACKAGE=RPi.GPIO
[[ "$MODEL" == *"Raspberry Pi 5"* ]] && GPIO_PACKAGE=rpi-lgpio

if [ "$LIVE" = 1 ] && command -v apt-get >/dev/null; then
    pkgs=(python3-venv ca-certificates)   # ca-certificates: the CA store HTTPS checks verify servers against
    # The boards' drivers (rpi_ws281x, spidev, RPi.GPIO) are built from source.
    [ "$HAT" = yes ] && pkgs+=(python3-dev gcc)
    missing=()
    for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
            || die "apt-get could not install ${missing[*]}"
        changed+=("apt packages: ${missing[*]}")
    fi
fi

# pip's options: PyPI, or only the wheels given.
pip_from=()
[ -n "$WHEELS" ] && pip_from=(--no-index --find-links "$WHEELS")

# The package's fingerprint: its sources. The same fingerprint means nothing to reinstall.
stamp=$(cd "$SRC" && cat pyproject.toml $(find statusboard -name '*.py' | sort) | sha256sum | cut -d' ' -f1)
stamp="$stamp hat=$HAT board=$BOARD"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.source" 2>/dev/null)" != "$stamp" ]; then
    # A venv that sees the system's packages picks up Debian's setuptools, which cannot build us (Bullseye):
    # the environment is our own, and its pip is brought up to date before anything else.
    if grep -qs "include-system-site-packages = true" "$VENV/pyvenv.cfg"; then rm -rf "$VENV"; fi
    [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV" \
        || die "could not make a virtual environment at $VENV (sudo apt install python3-venv)"
    if [ -z "$WHEELS" ]; then
        probe=$(mktemp -d)
        "$VENV/bin/python" -m pip download -q --no-deps -d "$probe" PySocks >/dev/null 2>&1 \
            || { rm -rf "$probe"; die "pip cannot fetch packages from PyPI: check the network (and any proxy), or use --wheels DIR"; }
        rm -rf "$probe"
    fi
    "$VENV/bin/python" -m pip install -q "${pip_from[@]}" --upgrade pip \
        || die "could not bring pip up to date in $VENV"
    extras="ec2,mqtt"; [ "$HAT" = yes ] && extras="ec2,mqtt,$EXTRA"
    more=(); [ "$HAT" = yes ] && [ "$GPIO" = yes ] && more=("$GPIO_PACKAGE")
    say "installing statusboard[$extras]${more[*]:+ and ${more[*]}} into $VENV"
    if ! "$VENV/bin/python" -m pip install -q "${pip_from[@]}" "$SRC[$extras]" "${more[@]}"; then
        [ "$HAT" = yes ] || die "pip could not install statusboard into $VENV"
        say "the $NAME driver could not be built (see above); installing without it"
        HAT=no; HAT_WHY="skipped: its driver could not be built here"
        "$VENV/bin/python" -m pip install -q "${pip_from[@]}" "$SRC[ec2,mqtt]" \
            || die "pip could not install statusboard into $VENV"
    fi
    install -m 0644 "$SRC/README.md" "$VENV/README.md"
    echo "$HAT_WHY" > "$VENV/.hat"   # what became of the HAT driver, for the runs that change nothing
    echo "$stamp" > "$VENV/.source"
    changed+=("statusboard in $VENV, with boto3 for AWS targets and paho-mqtt for MQTT")
elif [ -s "$VENV/.hat" ]; then
    HAT_WHY=$(cat "$VENV/.hat")
fi

# The HAT HD and Mini talk SPI: turn it on where it is off (it takes effect after a reboot).
REBOOT=""
if [ "$HAT" = yes ] && [ "$SPI" = yes ] && [ "$LIVE" = 1 ] && [ ! -e /dev/spidev0.0 ]; then
    if command -v raspi-config >/dev/null && raspi-config nonint do_spi 0; then
        changed+=("SPI turned on (raspi-config nonint do_spi 0)")
        REBOOT="reboot for SPI to take effect, then the board starts by itself: sudo reboot"
    else
        REBOOT="SPI is off and raspi-config is not here: add dtparam=spi=on to /boot/firmware/config.txt and reboot"
    fi
fi

install -d -m 0755 "$ETC"
if [ ! -e "$ETC/config.yaml" ]; then
    install -m 0644 "$SRC/config.yaml" "$ETC/config.yaml"
    install -m 0644 "$SRC/config.yaml" "$ETC/config.yaml.sample"
    changed+=("a sample board at $ETC/config.yaml")
elif ! cmp -s "$SRC/config.yaml" "$ETC/config.yaml.sample" 2>/dev/null; then
    install -m 0644 "$SRC/config.yaml" "$ETC/config.yaml.sample"
    say "your $ETC/config.yaml is kept; the newer shipped sample is at $ETC/config.yaml.sample"
    changed+=("the shipped sample at $ETC/config.yaml.sample")
fi

install -d -m 0755 "$UNIT_DIR"
if ! cmp -s "$SRC/systemd/statusboard.service" "$UNIT"; then
    install -m 0644 "$SRC/systemd/statusboard.service" "$UNIT"
    changed+=("the service at $UNIT")
fi

# What the service may open for this board, and nothing more, as its display module declares it (ACCESS): the
# Unicorn HAT's /dev/mem with raw I/O, say, or the SPI of the HAT HD and Mini (and the Mini's GPIO).
access=$ACCESS
dropin="$UNIT_DIR/statusboard.service.d/board.conf"
wanted=$(printf '# Written by install.sh for the %s (--board %s); run it again after changing display.layout.\n[Service]\n%s\n' \
         "$NAME" "$BOARD" "$access")
if [ "$(cat "$dropin" 2>/dev/null)" != "$wanted" ]; then
    install -d -m 0755 "$(dirname "$dropin")"
    printf '%s\n' "$wanted" > "$dropin"
    chmod 0644 "$dropin"
    changed+=("the service's access to the $NAME at $dropin")
fi

started=""
if [ "$LIVE" = 1 ]; then
    systemctl daemon-reload
    systemctl enable --quiet statusboard.service
    if [ ${#changed[@]} -gt 0 ]; then verb=restart; else verb=start; fi
    if systemctl "$verb" statusboard.service 2>/dev/null && systemctl is-active --quiet statusboard.service; then
        started="the service is running"
    else
        # The install itself worked: say why the board did not start, in the board's own words.
        why=$(systemctl show -p StatusText --value statusboard.service 2>/dev/null || true)
        if [ -z "$why" ]; then
            invocation=$(systemctl show -p InvocationID --value statusboard.service 2>/dev/null || true)
            why=$(journalctl -q -o cat --no-pager ${invocation:+_SYSTEMD_INVOCATION_ID=$invocation} \
                  -u statusboard.service 2>/dev/null | grep -m1 '^statusboard: ' || true)
        fi
        started="the service did not start: ${why:-see sudo journalctl -u statusboard}"
    fi
fi

if [ ${#changed[@]} -eq 0 ]; then
    say "nothing to change: statusboard is installed and up to date"
else
    say "done. Installed or updated:"
    for c in "${changed[@]}"; do printf '  - %s\n' "$c"; done
fi
say "$NAME driver: $HAT_WHY"
[ -n "$REBOOT" ] && say "$REBOOT"
[ -n "$started" ] && say "$started"
cat <<DONE

Edit your board:   sudo nano $ETC/config.yaml
Check it:          $VENV/bin/statusboard check -c $ETC/config.yaml
Apply it:          sudo systemctl reload-or-restart statusboard   (starts it if it is not running)
See it:            $VENV/bin/statusboard status      (logs: sudo journalctl -u statusboard)
DONE
[ "$LIVE" = 0 ] && say "staged under $ROOT (nothing on this system was touched)"
exit 0
