#!/usr/bin/env bash
# Install the few Debian packages OpenReg needs, only those missing, only when we can (root + apt).
#   libzbar0       pyzbar's barcode decoder          age           interop check of sealed packets
#   poppler-utils  pdftoppm: receipt preview, tests  xvfb xauth    screenshots of the GUI
#   fonts-dejavu-core  the receipt's embedded font (Latin, French and Arabic glyphs)
#   postgresql     server tests on real PostgreSQL   openssh-server SFTP delivery tests
#   libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3  what Qt's offscreen platform loads
#   libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 ...  what Qt's xcb platform loads (GUI under Xvfb)
#   chromium chromium-driver  the web console's browser tests and screenshots (selenium, headless)
#   mariadb-server  report connector tests on a real MariaDB server
#   postgresql-client  pg_dump/pg_restore for openreg admin backup|restore on PostgreSQL
#   caddy          checks the compose stack's Caddyfile (caddy adapt; tests/deploy)
#   haproxy         the load balancer of the scale-out test and benchmark (tests/support/balancer.py)
#   prometheus      promtool: checks the alert rules in deploy/observability
#   libfprint-2-2 gir1.2-fprint-2.0  fingerprint readers through libfprint (device_drivers/fprint)
#   libgirepository1.0-dev libcairo2-dev pkg-config  build PyGObject/pycairo (openreg[fprint])
#   libsane1 sane-utils libsane-dev  document scanners through SANE (openreg[sane]; its test backend for
#                  the tests, scanimage for the benchmark, the headers python-sane builds against)
set -euo pipefail
PACKAGES=(libzbar0 age poppler-utils xvfb xauth postgresql openssh-server
          libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 fonts-dejavu-core
          libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
          chromium chromium-driver mariadb-server prometheus caddy postgresql-client haproxy
          libfprint-2-2 gir1.2-fprint-2.0 libgirepository1.0-dev libcairo2-dev pkg-config
          libsane1 sane-utils libsane-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "note: missing system packages (${missing[*]}); install them with apt-get as root." >&2
  exit 0
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
