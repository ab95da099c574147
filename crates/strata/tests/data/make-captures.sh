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
# Set once setup() has made the namespaces, so that only a run that made
# them deletes them (--references-only makes none).
MADE_NS=""

cleanup() {
    set +e
    [ -n "$TCPDUMP_PID" ] && kill -INT "$TCPDUMP_PID" 2>/dev/null
    for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    if [ -n "$MADE_NS" ]; then
        ip netns del "$NS_A" 2>/dev/null
        ip netns del "$NS_B" 2>/dev/null
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }

setup() {
    MADE_NS=1
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

# (f) Edge cases Linux does not send on its own, written by hand onto A's
# veth like the VLAN frames: QinQ, Ethernet padding, IPv4 options, DSCP/ECN,
# UDP without checksum, bad IPv4/UDP/TCP checksums, SACK blocks, every TCP
# flag with an urgent pointer and an unknown option, ICMP errors quoting
# only the first 8 bytes of the transport header (as RFC 792 allows), an
# unknown EtherType and an unknown IP protocol.
capture_edge() {
    start_capture "$OUT/edge.pcap"
    timeout 10 ip netns exec "$NS_A" python3 - "$MAC_A" "$MAC_B" "$IP_A" "$IP_B" <<'PY'
import socket, struct, sys

mac_a, mac_b, ip_a, ip_b = sys.argv[1:5]
A = (bytes.fromhex(mac_a.replace(":", "")), socket.inet_aton(ip_a))
B = (bytes.fromhex(mac_b.replace(":", "")), socket.inet_aton(ip_b))

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def put16(b, at, v):
    return b[:at] + struct.pack("!H", v) + b[at + 2:]

def ipv4(src, dst, proto, payload, ident, frag=0x4000, tos=0, options=b"", bad=False):
    ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos, ihl * 4 + len(payload), ident, frag, 64,
                      proto, 0, src[1], dst[1]) + options
    c = csum(hdr) ^ (0x5555 if bad else 0)
    return put16(hdr, 10, c) + payload

def pseudo(src, dst, proto, length):
    return src[1] + dst[1] + struct.pack("!BBH", 0, proto, length)

def udp(src, dst, sport, dport, data, zero=False, bad=False):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = 0 if zero else (csum(pseudo(src, dst, 17, len(seg)) + seg) or 0xFFFF) ^ (0x0101 if bad else 0)
    return put16(seg, 6, c)

def tcp(src, dst, sport, dport, seq, ack, flags, options=b"", data=b"", urg=0, bad=False):
    off = 5 + len(options) // 4
    seg = struct.pack("!HHIIHHHH", sport, dport, seq, ack, (off << 12) | flags, 502, 0, urg) + options + data
    c = csum(pseudo(src, dst, 6, len(seg)) + seg) ^ (0x00ff if bad else 0)
    return put16(seg, 16, c)

def icmp(ty, code, rest, data):
    msg = struct.pack("!BBH", ty, code, 0) + rest + data
    return put16(msg, 2, csum(msg))

def eth(src, dst, ethertype, payload, tags=b""):
    return dst[0] + src[0] + tags + struct.pack("!H", ethertype) + payload

frames = []
# 802.1ad S-tag (PCP 3, VLAN 200) over an 802.1Q C-tag (DEI set, VLAN 100).
qinq = struct.pack("!HHH", 0x88A8, (3 << 13) | 200, 0x8100) + struct.pack("!H", 0x1000 | 100)
frames.append(B[0] + A[0] + qinq + struct.pack("!H", 0x0800)
              + ipv4(A, B, 1, icmp(8, 0, struct.pack("!HH", 0x0202, 7), b"qinq"), 0x2001))
# ARP reply padded to the 60-byte minimum.
arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, B[0], B[1], A[0], A[1])
frames.append(eth(B, A, 0x0806, arp + bytes(60 - 14 - len(arp))))
# IPv4 options (NOP, Record Route with one empty slot, Router Alert),
# DSCP EF, ECN CE.
opts = bytes([1, 7, 7, 4, 0, 0, 0, 0, 148, 4, 0, 0])
frames.append(eth(A, B, 0x0800, ipv4(A, B, 17, udp(A, B, 40003, 9000, b"options"), 0x2002,
                                     tos=(46 << 2) | 3, options=opts)))
# UDP without checksum; UDP with a wrong one; IPv4 with a wrong header checksum.
frames.append(eth(A, B, 0x0800, ipv4(A, B, 17, udp(A, B, 40003, 9000, b"nocsum", zero=True), 0x2003)))
frames.append(eth(A, B, 0x0800, ipv4(A, B, 17, udp(A, B, 40003, 9000, b"badcsum", bad=True), 0x2004)))
frames.append(eth(A, B, 0x0800, ipv4(A, B, 1, icmp(8, 0, struct.pack("!HH", 0x0202, 8), b"badip"),
                                     0x2005, bad=True)))
# An ACK with two SACK blocks and timestamps.
sack = b"\x01\x01" + struct.pack("!BBIIII", 5, 18, 1000, 2000, 3000, 4000) \
    + b"\x01\x01" + struct.pack("!BBII", 8, 10, 111, 222)
frames.append(eth(B, A, 0x0800, ipv4(B, A, 6, tcp(B, A, 9000, 40005, 5000, 1000, 0x010, sack), 0x2006)))
# Every flag, reserved bits, urgent pointer, an unknown option (kind 253,
# RFC 4727 experimental), EOL and padding; and a wrong checksum.
weird = struct.pack("!BBH", 253, 4, 0xBEEF) + b"\x00\x00\x00\x00"
frames.append(eth(A, B, 0x0800, ipv4(A, B, 6, tcp(A, B, 40005, 9000, 1000, 5000, 0xFFF, weird,
                                                  b"urgent!", urg=3, bad=True), 0x2007)))
# ICMP time exceeded quoting an IPv4 header and the first 8 bytes of a TCP SYN.
syn = tcp(A, B, 40006, 9000, 77777, 0, 0x002)
orig = ipv4(A, B, 6, syn, 0x2008, tos=0)
frames.append(eth(B, A, 0x0800, ipv4(B, A, 1, icmp(11, 0, b"\0\0\0\0", orig[:28]), 0x2009, frag=0)))
# ICMP fragmentation needed (next-hop MTU 1400) quoting 8 bytes of a UDP datagram.
big = ipv4(A, B, 17, udp(A, B, 40007, 9000, bytes(1472)), 0x200A)
frames.append(eth(B, A, 0x0800, ipv4(B, A, 1, icmp(3, 4, struct.pack("!HH", 0, 1400), big[:28]),
                                     0x200B, frag=0)))
# An EtherType and an IP protocol nobody dissects (local experimental 0x88b5,
# IP protocol 253 of RFC 3692).
frames.append(eth(A, B, 0x88B5, b"strata experimental ethertype"))
frames.append(eth(A, B, 0x0800, ipv4(A, B, 253, b"strata experimental protocol", 0x200C)))

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("veth0", 0))
for f in frames:
    s.send(f)
PY
    stop_capture
}

# The fields the decode tests compare, as Wireshark names them.
FIELDS=(
    frame.number frame.len frame.cap_len frame.time_epoch
    eth.src eth.dst eth.type eth.padding
    ieee8021ad.priority ieee8021ad.dei ieee8021ad.id ieee8021ad.svid
    vlan.priority vlan.dei vlan.id vlan.etype
    arp.hw.type arp.proto.type arp.hw.size arp.proto.size
    arp.opcode arp.src.hw_mac arp.src.proto_ipv4 arp.dst.hw_mac arp.dst.proto_ipv4
    ip.version ip.hdr_len ip.dsfield.dscp ip.dsfield.ecn ip.len ip.id
    ip.flags ip.flags.rb ip.flags.df ip.flags.mf ip.frag_offset ip.ttl ip.proto ip.checksum ip.checksum.status
    ip.src ip.dst ip.opt.type ip.opt.len
    icmp.type icmp.code icmp.checksum icmp.checksum.status icmp.ident icmp.seq icmp.data_time icmp.mtu
    udp.srcport udp.dstport udp.length udp.checksum udp.checksum.status udp.payload
    tcp.srcport tcp.dstport tcp.seq tcp.seq_raw tcp.ack tcp.ack_raw tcp.hdr_len tcp.flags
    tcp.flags.res tcp.flags.ae tcp.flags.cwr tcp.flags.ece tcp.flags.urg tcp.flags.ack
    tcp.flags.push tcp.flags.reset tcp.flags.syn tcp.flags.fin
    tcp.window_size_value tcp.checksum tcp.checksum.status tcp.urgent_pointer
    tcp.options.mss_val tcp.options.wscale.shift tcp.options.sack_perm
    tcp.options.sack_le tcp.options.sack_re
    tcp.options.timestamp.tsval tcp.options.timestamp.tsecr
    tcp.option_kind tcp.option_len
    tcp.len tcp.payload tcp.reset_cause
    data.data data.len
)

# Wireshark 4.0's defaults, except that checksums are verified (so the
# status fields say Good/Bad as strata does), IPv4 is not reassembled
# (strata's decoder dissects each frame on its own: a first fragment's
# transport header is dissected, later fragments are data), and sequence
# numbers are absolute (so tcp.seq, tcp.ack and SACK edges are the raw
# values strata shows). Times (icmp.data_time) are printed in UTC.
reference() {
    local file="$1"
    local args=(-r "$file" -T json
        -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE
        -o ip.defragment:FALSE -o tcp.analyze_sequence_numbers:FALSE
        -o tcp.relative_sequence_numbers:FALSE)
    for f in "${FIELDS[@]}"; do args+=(-e "$f"); done
    # Compacted to one frame per line: tshark's pretty printing triples the size.
    TZ=UTC tshark "${args[@]}" 2>/dev/null | python3 -c '
import json, sys
frames = json.load(sys.stdin)
sys.stdout.write("[\n" + ",\n".join(json.dumps(f, separators=(",", ":")) for f in frames) + "\n]\n")
' >"$file.tshark.json"
}

references() {
    for f in arp-icmp.pcap tcp-http.pcap tcp-http.pcapng udp.pcap tcp-rst.pcap vlan.pcap edge.pcap \
        mixed.pcapng; do
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
    capture_edge
    mergecap -F pcapng -w "$OUT/mixed.pcapng" \
        "$OUT/arp-icmp.pcap" "$OUT/tcp-http.pcap" "$OUT/udp.pcap" "$OUT/tcp-rst.pcap" \
        "$OUT/vlan.pcap" "$OUT/edge.pcap"
    references
    ls -l "$OUT"
}

main "$@"
