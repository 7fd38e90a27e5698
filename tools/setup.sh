#!/usr/bin/env bash
# Installs what Anomaly needs on a fresh Debian machine, once; fast no-op when all is there.
#   tools/setup.sh runtime   libpcap (capture)
#   tools/setup.sh test      libpcap plus the tools the tests drive (tcpdump, nmap, hping3, ...)
# As root on Debian it runs apt-get; otherwise it prints the command to run and fails.
set -euo pipefail
mode="${1:-runtime}"

missing=()
need_lib() {
  # grep without -q reads all input: with pipefail, -q would SIGPIPE ldconfig and look like a miss
  ldconfig -p 2>/dev/null | grep "libpcap\.so" >/dev/null || missing+=(libpcap0.8)
}
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }

need_lib
if [ "$mode" = "test" ]; then
  need_cmd tcpdump tcpdump
  need_cmd nmap nmap
  need_cmd hping3 hping3
  need_cmd tcpreplay tcpreplay
  need_cmd ethtool ethtool
  need_cmd ip iproute2
  need_cmd ping iputils-ping
  need_cmd curl curl
  need_cmd python3 python3
  need_cmd chromium chromium
  need_cmd /usr/bin/time time
  need_cmd arping arping
  need_cmd arpspoof dsniff
  need_cmd /usr/sbin/sshd openssh-server
  need_cmd /usr/sbin/vsftpd vsftpd
  need_cmd hydra hydra
  need_cmd medusa medusa
  need_cmd tshark tshark # Community ID checked against tshark's communityid field
  need_cmd redis-server redis-server # outputs.redis checked against a real server
  need_cmd redis-cli redis-tools
  need_cmd /usr/sbin/rsyslogd rsyslog # outputs.syslog checked against rsyslogd
  need_cmd promtool prometheus # /metrics checked with promtool check metrics
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "anomaly setup: installing ${missing[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

echo "anomaly setup: missing ${missing[*]}; install with: sudo apt-get install -y ${missing[*]}" >&2
exit 1
