#!/usr/bin/env bash
# Regenerates the DNS test vectors in this directory from a real server.
#
# Two network namespaces joined by a veth pair (198.18.0.1/24 and
# 198.18.0.2/24, benchmarking space, nothing else): dnsmasq answers in one
# from records given on its command line (no upstream, no /etc/hosts),
# tcpdump captures in the other while dig asks for A, AAAA, CNAME, MX, TXT,
# SRV, SOA, PTR, CAA, an unknown type, a name that does not exist, and a name
# whose UDP answer is truncated (TC) so that dig retries over TCP.
#
# Writes dns.pcap and, for every DNS message in it, captures/NN-NAME-TYPE-DIR-PROTO.hex
# (the DNS payload in hex; the 2-byte TCP length prefix removed).
#
# Needs root and: iproute2, dnsmasq, bind9-dnsutils (dig), tcpdump, tshark.
# Usage: sudo crates/dns/tests/data/make-captures.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
srv=strata-dns-srv
cli=strata-dns-cli
work="$(mktemp -d /tmp/strata-dns-capture.XXXXXX)"
dnsmasq_pid=""
tcpdump_pid=""

cleanup() {
    [ -n "$tcpdump_pid" ] && kill "$tcpdump_pid" 2>/dev/null || true
    [ -n "$dnsmasq_pid" ] && kill "$dnsmasq_pid" 2>/dev/null || true
    sleep 0.2
    ip netns del "$srv" 2>/dev/null || true
    ip netns del "$cli" 2>/dev/null || true
    if [ -n "${KEEP_WORK:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

for tool in ip dnsmasq dig tcpdump tshark; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done

ip netns add "$srv"
ip netns add "$cli"
ip link add strata-dns-s type veth peer name strata-dns-c
ip link set strata-dns-s netns "$srv"
ip link set strata-dns-c netns "$cli"
ip -n "$srv" addr add 198.18.0.1/24 dev strata-dns-s
ip -n "$cli" addr add 198.18.0.2/24 dev strata-dns-c
ip -n "$srv" link set strata-dns-s up
ip -n "$cli" link set strata-dns-c up
ip -n "$srv" link set lo up
ip -n "$cli" link set lo up

# A long TXT string (200 octets) for the truncated answer.
long=$(printf 'strata-%03d-' $(seq 1 20) | cut -c1-200)
big_txt=()
for i in 1 2 3 4; do
    big_txt+=("--txt-record=big.example.com,\"$i$long\",\"second string $i\"")
done

ip netns exec "$srv" timeout 60 dnsmasq \
    --keep-in-foreground --no-resolv --no-hosts --conf-file=/dev/null \
    --user=root --pid-file="$work/dnsmasq.pid" \
    --listen-address=198.18.0.1 --bind-interfaces --port=53 \
    --local=/example.com/ --local=/18.198.in-addr.arpa/ \
    --auth-server=ns1.example.com,strata-dns-s --auth-zone=example.com,198.18.0.0/24 \
    --auth-soa=2024010101,hostmaster.example.com,3600,600,86400 \
    --host-record=www.example.com,198.18.0.10,2001:db8::10 \
    --host-record=many.example.com,198.18.0.21 \
    --host-record=many.example.com,198.18.0.22 \
    --host-record=many.example.com,198.18.0.23 \
    --host-record=many.example.com,198.18.0.24 \
    --host-record=ns1.example.com,198.18.0.1 \
    --cname=alias.example.com,www.example.com \
    --mx-host=example.com,mail.example.com,10 \
    --host-record=mail.example.com,198.18.0.25 \
    --txt-record=example.com,"v=spf1 -all","hello \"quoted\" world" \
    --srv-host=_http._tcp.example.com,www.example.com,80,10,5 \
    --dns-rr=example.com,257,0005697373756563612e6578616d706c652e6e6574 \
    --dns-rr=odd.example.com,65280,deadbeef00 \
    "${big_txt[@]}" \
    >"$work/dnsmasq.log" 2>&1 &
dnsmasq_pid=$!

# Wait for dnsmasq, then start the capture and wait for it, so the
# readiness probes stay out of the pcap.
ready=no
for _ in $(seq 50); do
    if ip netns exec "$cli" dig @198.18.0.1 +time=1 +tries=1 +short ns1.example.com A 2>/dev/null | grep -q 198.18.0.1; then
        ready=yes
        break
    fi
    sleep 0.1
done
if [ "$ready" != yes ]; then
    echo "dnsmasq did not come up:" >&2
    cat "$work/dnsmasq.log" >&2
    exit 1
fi
: >"$work/tcpdump.log"
ip netns exec "$cli" timeout 60 tcpdump -i strata-dns-c --immediate-mode -U -s 0 -w "$here/dns.pcap" \
    'host 198.18.0.1 and port 53' 2>"$work/tcpdump.log" &
tcpdump_pid=$!
ready=no
for _ in $(seq 50); do
    if grep -q "listening on" "$work/tcpdump.log"; then
        ready=yes
        break
    fi
    sleep 0.1
done
if [ "$ready" != yes ]; then
    echo "tcpdump did not come up:" >&2
    cat "$work/tcpdump.log" >&2
    exit 1
fi

ask() {
    ip netns exec "$cli" timeout 10 dig @198.18.0.1 +time=2 +tries=1 "$@" >>"$work/dig.log" 2>&1 || true
}
ask www.example.com A
ask www.example.com AAAA
ask alias.example.com A
ask example.com MX
ask example.com TXT
ask _http._tcp.example.com SRV
ask example.com SOA
ask example.com NS
ask example.com CAA
ask odd.example.com TYPE65280
ask many.example.com A +noedns
ask nonexistent.example.com A
ask -x 198.18.0.10
# Plain UDP answer over 512 octets: TC, then dig retries over TCP.
ask big.example.com TXT +noedns

sleep 1
kill -INT "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true
tcpdump_pid=""

rm -rf "$here/captures"
mkdir -p "$here/captures"
n=0
# One line per DNS message: name, type, response flag, UDP or TCP payload.
tshark -r "$here/dns.pcap" -Y dns -T fields -E separator=';' \
    -e dns.qry.name -e dns.qry.type -e dns.flags.response -e udp.payload -e tcp.payload \
    2>/dev/null |
while IFS=';' read -r name qtype response udp tcp; do
    n=$((n + 1))
    if [ "$response" = "1" ] || [ "$response" = "True" ]; then dir=r; else dir=q; fi
    if [ -n "$udp" ]; then proto=udp; hex="$udp"; else proto=tcp; hex="${tcp:4}"; fi
    name="${name:-root}"
    file=$(printf '%02d-%s-%s-%s-%s.hex' "$n" "$name" "$qtype" "$dir" "$proto")
    printf '%s\n' "${hex//:/}" >"$here/captures/$file"
done
ls "$here/captures"
