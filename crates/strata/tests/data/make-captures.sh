#!/usr/bin/env bash
# Regenerates the real captures under this directory and the tshark
# reference output next to each of them.
#
# Two network namespaces joined by a veth pair, addressed ONLY from the
# benchmarking range 198.18.0.0/15 (RFC 2544): nothing here can reach another
# network. Every traffic generator is bounded in count and wrapped in
# `timeout`; the namespaces are deleted on exit, even on failure.
#
# Needs (Debian packages): iproute2 tcpdump tshark (mergecap, editcap) curl
# socat iputils-ping python3, and ethtool if available (to turn off checksum
# offload on the veth so the captured checksums are the real ones). Run as
# root:   bash crates/strata/tests/data/make-captures.sh
# or, to regenerate only the tshark reference output from the captures:
#         bash crates/strata/tests/data/make-captures.sh --references-only
#
# The captures are committed; the tests read them and the stored
# `.tshark.json` files and do not need this script, nor tshark, to run.
set -euo pipefail

OUT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NS_A=strata-cap-a
NS_B=strata-cap-b
IP_A=198.18.0.1
IP_B=198.18.0.2
# Locally administered MACs so the captures are reproducible.
MAC_A=02:00:5e:12:00:01
MAC_B=02:00:5e:12:00:02
WORK="$(mktemp -d)"
TCPDUMP_PID=""
BG_PIDS=()

cleanup() {
    set +e
    [ -n "$TCPDUMP_PID" ] && kill -INT "$TCPDUMP_PID" 2>/dev/null
    for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    ip netns del "$NS_A" 2>/dev/null
    ip netns del "$NS_B" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }

setup() {
    ip netns del "$NS_A" 2>/dev/null || true
    ip netns del "$NS_B" 2>/dev/null || true
    ip netns add "$NS_A"
    ip netns add "$NS_B"
    ip link add veth0 netns "$NS_A" address "$MAC_A" type veth \
        peer name veth0 netns "$NS_B" address "$MAC_B"
    for ns in "$NS_A" "$NS_B"; do
        # No IPv6 chatter (router solicitations, MLD) in the captures.
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
        ip netns exec "$ns" ip link set lo up
        if command -v ethtool >/dev/null; then
            ip netns exec "$ns" ethtool -K veth0 tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
        fi
    done
    in_a ip addr add "$IP_A/24" dev veth0
    in_b ip addr add "$IP_B/24" dev veth0
    in_a ip link set veth0 up
    in_b ip link set veth0 up
    # Wait (bounded) for the link to come up.
    for _ in $(seq 50); do
        in_a ip link show veth0 | grep -q 'state UP' && break
        sleep 0.1
    done
}

flush_neigh() {
    in_a ip neigh flush dev veth0
    in_b ip neigh flush dev veth0
}

# start_capture FILE [tcpdump options...]: capture on A's side of the veth.
start_capture() {
    local file="$1"
    shift
    : >"$WORK/tcpdump.err"
    # Immediate mode: with TPACKET_V3 buffering, packets still in the ring
    # when SIGINT arrives would be lost.
    # Started directly (not through a shell function) so that $! is the
    # tcpdump process itself and SIGINT reaches it.
    ip netns exec "$NS_A" tcpdump -i veth0 -U --immediate-mode -n -Z root "$@" -w "$file" 2>"$WORK/tcpdump.err" &
    TCPDUMP_PID=$!
    for _ in $(seq 100); do
        grep -q 'listening on' "$WORK/tcpdump.err" && return 0
        sleep 0.05
    done
    echo "tcpdump did not start:" >&2
    cat "$WORK/tcpdump.err" >&2
    return 1
}

stop_capture() {
    sleep 0.5
    kill -INT "$TCPDUMP_PID"
    # Bounded: tcpdump exits at once on SIGINT.
    for _ in $(seq 100); do
        kill -0 "$TCPDUMP_PID" 2>/dev/null || break
        sleep 0.05
    done
    wait "$TCPDUMP_PID" || true
    TCPDUMP_PID=""
}

wait_listening() { # ns proto port
    for _ in $(seq 100); do
        ip netns exec "$1" ss -ln"$2" | grep -q ":$3 " && return 0
        sleep 0.05
    done
    echo "nothing listening on $2 port $3 in $1" >&2
    return 1
}

# (a) ARP resolution, ICMP echo, and a large echo sent as IPv4 fragments.
capture_arp_icmp() {
    flush_neigh
    start_capture "$OUT/arp-icmp.pcap"
    timeout 10 ip netns exec "$NS_A" ping -n -c 3 -i 0.2 -W 1 "$IP_B" >/dev/null
    timeout 10 ip netns exec "$NS_A" ping -n -c 2 -i 0.2 -W 1 -s 3000 "$IP_B" >/dev/null
    stop_capture
}

# (b) An HTTP fetch: handshake with options, data, close.
capture_tcp_http() {
    mkdir -p "$WORK/www"
    printf 'strata test file\n' >"$WORK/www/hello.txt"
    ip netns exec "$NS_B" timeout 20 python3 -m http.server --bind "$IP_B" --directory "$WORK/www" 8000 \
        >/dev/null 2>&1 &
    BG_PIDS+=($!)
    wait_listening "$NS_B" t 8000
    start_capture "$OUT/tcp-http.pcap"
    timeout 10 ip netns exec "$NS_A" curl -s --max-time 5 -o /dev/null "http://$IP_B:8000/hello.txt"
    stop_capture
    # The same capture also in pcapng, as Wireshark would save it.
    editcap -F pcapng "$OUT/tcp-http.pcap" "$OUT/tcp-http.pcapng"
}

# (c) UDP datagrams (one of odd length) and one to a closed port, answered
# with ICMP port unreachable.
capture_udp() {
    ip netns exec "$NS_B" timeout 10 socat -u UDP4-RECV:9000,bind="$IP_B" /dev/null &
    BG_PIDS+=($!)
    wait_listening "$NS_B" u 9000
    start_capture "$OUT/udp.pcap"
    printf 'even' | timeout 5 ip netns exec "$NS_A" socat -u - "UDP4-SENDTO:$IP_B:9000,sourceport=40000"
    printf 'odd!!' | timeout 5 ip netns exec "$NS_A" socat -u - "UDP4-SENDTO:$IP_B:9000,sourceport=40000"
    printf 'nobody home' | timeout 5 ip netns exec "$NS_A" socat -u - "UDP4-SENDTO:$IP_B:9001,sourceport=40001"
    stop_capture
}

# (d) A SYN to a closed TCP port, answered with RST.
capture_tcp_rst() {
    start_capture "$OUT/tcp-rst.pcap"
    timeout 5 ip netns exec "$NS_A" socat -u /dev/null "TCP4:$IP_B:9999,connect-timeout=2" 2>/dev/null || true
    stop_capture
}

# (e) 802.1Q. The kernel here may lack 8021q (no VLAN devices), so the
# tagged frames are written by hand onto A's veth with an AF_PACKET socket:
# an ICMP echo request and a UDP datagram in VLAN 100, priority 5. B has no
# VLAN 100 and drops them; the capture still sees them as sent.
capture_vlan() {
    start_capture "$OUT/vlan.pcap"
    timeout 10 ip netns exec "$NS_A" python3 - "$MAC_A" "$MAC_B" "$IP_A" "$IP_B" <<'PY'
import socket, struct, sys

mac_a, mac_b, ip_a, ip_b = sys.argv[1:5]

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def ipv4(proto, ident, payload):
    src, dst = socket.inet_aton(ip_a), socket.inet_aton(ip_b)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, 64, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload

def icmp_echo(ident, seq, data):
    msg = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    return msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]

def udp(sport, dport, data):
    length = 8 + len(data)
    pseudo = socket.inet_aton(ip_a) + socket.inet_aton(ip_b) + struct.pack("!BBH", 0, 17, length)
    seg = struct.pack("!HHHH", sport, dport, length, 0) + data
    c = csum(pseudo + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]

def tagged(ethertype, payload):
    dst = bytes.fromhex(mac_b.replace(":", ""))
    src = bytes.fromhex(mac_a.replace(":", ""))
    tci = (5 << 13) | 100
    return dst + src + struct.pack("!HHH", 0x8100, tci, ethertype) + payload

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("veth0", 0))
s.send(tagged(0x0800, ipv4(1, 0x1234, icmp_echo(0x0101, 1, b"strata vlan test"))))
s.send(tagged(0x0800, ipv4(17, 0x1235, udp(40002, 9000, b"tagged"))))
PY
    stop_capture
}

# The fields the decode tests compare, as Wireshark names them.
FIELDS=(
    frame.number frame.len frame.cap_len frame.time_epoch
    eth.src eth.dst eth.type vlan.priority vlan.dei vlan.id vlan.etype
    arp.hw.type arp.proto.type arp.hw.size arp.proto.size
    arp.opcode arp.src.hw_mac arp.src.proto_ipv4 arp.dst.hw_mac arp.dst.proto_ipv4
    ip.version ip.hdr_len ip.dsfield.dscp ip.dsfield.ecn ip.len ip.id
    ip.flags ip.flags.rb ip.flags.df ip.flags.mf ip.frag_offset ip.ttl ip.proto ip.checksum ip.checksum.status
    ip.src ip.dst
    icmp.type icmp.code icmp.checksum icmp.checksum.status icmp.ident icmp.seq icmp.data_time
    udp.srcport udp.dstport udp.length udp.checksum udp.checksum.status udp.payload
    tcp.srcport tcp.dstport tcp.seq_raw tcp.ack_raw tcp.hdr_len tcp.flags
    tcp.flags.res tcp.flags.ae tcp.flags.cwr tcp.flags.ece tcp.flags.urg tcp.flags.ack
    tcp.flags.push tcp.flags.reset tcp.flags.syn tcp.flags.fin
    tcp.window_size_value tcp.checksum tcp.checksum.status tcp.urgent_pointer
    tcp.options.mss_val tcp.options.wscale.shift tcp.options.sack_perm
    tcp.options.sack_le tcp.options.sack_re
    tcp.options.timestamp.tsval tcp.options.timestamp.tsecr
    tcp.option_kind tcp.option_len
    tcp.len tcp.payload
    data.data data.len
)

# Wireshark 4.0's defaults, except that checksums are verified (so the
# status fields say Good/Bad as strata does) and IPv4 is not reassembled
# (strata's decoder dissects each frame on its own: a first fragment's
# transport header is dissected, later fragments are data).
reference() {
    local file="$1"
    local args=(-r "$file" -T json
        -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE
        -o ip.defragment:FALSE -o tcp.analyze_sequence_numbers:FALSE)
    for f in "${FIELDS[@]}"; do args+=(-e "$f"); done
    # Compacted to one frame per line: tshark's pretty printing triples the size.
    tshark "${args[@]}" 2>/dev/null | python3 -c '
import json, sys
frames = json.load(sys.stdin)
sys.stdout.write("[\n" + ",\n".join(json.dumps(f, separators=(",", ":")) for f in frames) + "\n]\n")
' >"$file.tshark.json"
}

references() {
    for f in arp-icmp.pcap tcp-http.pcap tcp-http.pcapng udp.pcap tcp-rst.pcap vlan.pcap mixed.pcapng; do
        reference "$OUT/$f"
    done
    tshark -v | head -n 1 >"$OUT/tshark-version.txt"
}

main() {
    if [ "${1:-}" = "--references-only" ]; then
        # Keep the captures, regenerate only the tshark output (after adding
        # a field to FIELDS, say).
        references
        return
    fi
    setup
    capture_arp_icmp
    capture_tcp_http
    capture_udp
    capture_tcp_rst
    capture_vlan
    mergecap -F pcapng -w "$OUT/mixed.pcapng" \
        "$OUT/arp-icmp.pcap" "$OUT/tcp-http.pcap" "$OUT/udp.pcap" "$OUT/tcp-rst.pcap" "$OUT/vlan.pcap"
    references
    ls -l "$OUT"
}

main "$@"
