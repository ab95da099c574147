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
# or, to remake only the DNS captures (dns.pcap is copied from crates/dns):
#         bash crates/strata/tests/data/make-captures.sh --dns-only
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

# (g) DNS: the dnsmasq capture of crates/dns (every common record type, an
# NXDOMAIN, a truncated UDP answer and its TCP retry) is copied, not
# remade, so both crates test the same bytes.
copy_dns() {
    cp "$OUT/../../../dns/tests/data/dns.pcap" "$OUT/dns.pcap"
}

# (h) DNS messages no server sends on request, written by hand onto A's veth
# like the edge frames but addressed to a MAC nobody has, so B answers none
# of them: the root name, EDNS(0) with DO, an extended RCODE, a version and
# options (NSID, client subnet for three families, a cookie, padding, an
# unknown code), CH-class TXT with awkward strings, names with dots, spaces,
# control characters and bytes that are not UTF-8, an unknown class, CAA
# with each kind of tag, an SRV owner of five labels, a dynamic update with
# empty RDATA, a NOTIFY, bytes after a message, Z and CD set; over TCP two
# messages in one segment and a segment that ends inside a message; and an
# ICMP port unreachable quoting a whole DNS query.
capture_dns_edge() {
    start_capture "$OUT/dns-edge.pcap"
    timeout 10 ip netns exec "$NS_A" python3 - "$MAC_A" "$MAC_B" "$IP_A" "$IP_B" <<'PY'
import socket, struct, sys

mac_a, mac_b, ip_a, ip_b = sys.argv[1:5]
A = (bytes.fromhex(mac_a.replace(":", "")), socket.inet_aton(ip_a))
B = (bytes.fromhex(mac_b.replace(":", "")), socket.inet_aton(ip_b))
NOBODY = bytes.fromhex("02005e120099")

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def put16(b, at, v):
    return b[:at] + struct.pack("!H", v) + b[at + 2:]

def ipv4(src, dst, proto, payload, ident, frag=0x4000):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0,
                      src[1], dst[1])
    return put16(hdr, 10, csum(hdr)) + payload

def pseudo(src, dst, proto, length):
    return src[1] + dst[1] + struct.pack("!BBH", 0, proto, length)

def udp(src, dst, sport, dport, data):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    return put16(seg, 6, csum(pseudo(src, dst, 17, len(seg)) + seg) or 0xFFFF)

def tcp(src, dst, sport, dport, seq, ack, data):
    seg = struct.pack("!HHIIHHHH", sport, dport, seq, ack, (5 << 12) | 0x018, 502, 0, 0) + data
    return put16(seg, 16, csum(pseudo(src, dst, 6, len(seg)) + seg))

def icmp(ty, code, rest, data):
    msg = struct.pack("!BBH", ty, code, 0) + rest + data
    return put16(msg, 2, csum(msg))

def eth(src, payload):
    return NOBODY + src[0] + struct.pack("!H", 0x0800) + payload

# DNS, written out by hand: names uncompressed unless a pointer is given.
ROOT = b"\0"

def name(*labels):
    out = b""
    for label in labels:
        label = label if isinstance(label, bytes) else label.encode()
        out += bytes([len(label)]) + label
    return out + ROOT

def header(ident, flags, qd, an, ns, ar):
    return struct.pack("!HHHHHH", ident, flags, qd, an, ns, ar)

def question(qname, qtype, qclass=1):
    return qname + struct.pack("!HH", qtype, qclass)

def rr(owner, rtype, rclass, ttl, rdata):
    return owner + struct.pack("!HHIH", rtype, rclass, ttl, len(rdata)) + rdata

def opt(payload, ext_rcode=0, version=0, flags=0, options=b""):
    return rr(ROOT, 41, payload, (ext_rcode << 24) | (version << 16) | flags, options)

def option(code, data):
    return struct.pack("!HH", code, len(data)) + data

def txt(*strings):
    return b"".join(bytes([len(s)]) + s for s in strings)

def caa(flags, tag, value):
    return bytes([flags, len(tag)]) + tag + value

EXAMPLE = name("example", "com")
PTR0 = b"\xc0\x0c"  # the first question's name
msgs = []  # (sent by A, message)

# The root's NS, asked without RD or AD; the answer with EDNS(0): DO, the
# largest payload size, BADVERS (header RCODE 0, OPT 1), version 1, and
# NSID (empty), a full cookie, padding and an unknown option.
msgs.append((True, header(0x0001, 0x0000, 1, 0, 0, 0) + question(ROOT, 2)))
opts = option(3, b"") + option(10, bytes(range(1, 9)) + bytes(range(0xA0, 0xB0))) \
    + option(12, bytes(4)) + option(65001, b"\xde\xad")
msgs.append((False, header(0x0001, 0x8000, 1, 1, 0, 1) + question(ROOT, 2)
             + rr(ROOT, 2, 1, 518400, name("a", "root-servers", "net"))
             + opt(65535, ext_rcode=1, version=1, flags=0x8000, options=opts)))
# Client subnet for IPv4 (/24, 3 address bytes), IPv6 (/56, 7 bytes) and an
# unknown family; a client cookie alone.
ecs = option(8, struct.pack("!HBB", 1, 24, 0) + bytes([198, 51, 100])) \
    + option(8, struct.pack("!HBB", 2, 56, 0) + bytes.fromhex("20010db8abcdef")) \
    + option(8, struct.pack("!HBB", 3, 8, 0) + b"\x99\x98") \
    + option(10, bytes(range(0x11, 0x19)))
msgs.append((True, header(0x0002, 0x0120, 1, 0, 0, 1) + question(EXAMPLE, 1)
             + opt(1232, options=ecs)))
# version.bind CH TXT: an empty string, control characters, a quote and a
# backslash, UTF-8, a byte that is not, a NUL inside, DEL; and an A record
# in class CH.
vb = name("version", "bind")
msgs.append((True, header(0x0003, 0x0100, 1, 0, 0, 0) + question(vb, 16, 3)))
msgs.append((False, header(0x0003, 0x8580, 1, 2, 0, 0) + question(vb, 16, 3)
             + rr(PTR0, 16, 3, 0, txt(b"", b"tab\there\nnl", b'q"b\\s', "caf\u00e9".encode(),
                                      b"\xff\x01end", b"a\0b", b"\x7f"))
             + rr(PTR0, 1, 3, 0, bytes([10, 0, 0, 1]))))
# Names with a dot, a space, control characters and upper case inside
# labels, UTF-8, bytes that are not UTF-8, a C1 control and a one-letter
# name; an unknown class.
msgs.append((True, header(0x0004, 0x0100, 1, 0, 0, 0)
             + question(name(b"a.b", b"my host", b"x\x01y", b"\r\x07\x1b", b"UPPER", "example", "com"),
                        1, 0x1234)))
msgs.append((True, header(0x0005, 0x0100, 1, 0, 0, 0)
             + question(name(b"back\\slash", "caf\u00e9".encode(), b"\xff\xfe", b"\xe2\x82z",
                             b"\xc2\x85", "\U0001f600".encode(), "com"), 1)))
msgs.append((True, header(0x0006, 0x0100, 1, 0, 0, 0) + question(name("x"), 1)))
# CAA with the critical flag and each kind of tag (a tag that is a prefix
# of "issue" counts as it), values that are not ASCII or hold a NUL; an SRV
# owner of five labels and the root as target.
resp = header(0x0007, 0x8400, 1, 8, 0, 0) + question(EXAMPLE, 257)
for flags, tag, value in [(0x80, b"iodef", b"mailto:ca@example.com"), (0, b"issuewild", b";"),
                          (0, b"iss", b"short.example"), (0x01, b"tbs", b"v\x01\xff"),
                          (0, b"issue", b"\xff\xff"), (0, b"issue", b"x\0y"),
                          (0, b"issue", b"\xe2\x82z")]:
    resp += rr(PTR0, 257, 1, 300, caa(flags, tag, value))
resp += rr(name("_sip", "_udp", "sub", "example", "com"), 33, 1, 60,
           struct.pack("!HHH", 0, 0, 5060) + ROOT)
msgs.append((False, resp))
# A dynamic update (opcode 5): the zone, a prerequisite and updates with
# empty RDATA in classes ANY and NONE, and an AAAA.
upd = header(0x0008, 0x2800, 1, 1, 2, 0) + question(EXAMPLE, 6)
upd += rr(name("www", "example", "com"), 255, 255, 0, b"")
upd += rr(name("old", "example", "com"), 1, 254, 0, b"")
upd += rr(name("new", "example", "com"), 28, 1, 3600,
          socket.inet_pton(socket.AF_INET6, "2001:db8::1"))
msgs.append((True, upd))
# A NOTIFY; a REFUSED answer with Z and CD set and three bytes after its end.
msgs.append((False, header(0x0009, 0x2400, 1, 0, 0, 0) + question(EXAMPLE, 6)))
msgs.append((False, header(0x000A, 0x8055, 1, 0, 0, 0) + question(EXAMPLE, 1) + b"\x00\x01\x02"))

frames = []
ident = 0x3000
for from_a, m in msgs:
    ident += 1
    if from_a:
        frames.append(eth(A, ipv4(A, B, 17, udp(A, B, 40053, 53, m), ident)))
    else:
        frames.append(eth(B, ipv4(B, A, 17, udp(B, A, 53, 40053, m), ident)))

# DNS over TCP: two queries in one segment; then an answer whose length
# prefix promises 100 bytes more than the segment holds (the rest never
# comes).
q1 = header(0x0101, 0x0100, 1, 0, 0, 0) + question(name("one", "example", "com"), 1)
q2 = header(0x0102, 0x0100, 1, 0, 0, 0) + question(name("two", "example", "com"), 28)
two = struct.pack("!H", len(q1)) + q1 + struct.pack("!H", len(q2)) + q2
frames.append(eth(A, ipv4(A, B, 6, tcp(A, B, 40054, 53, 1000, 2000, two), ident + 1)))
r1 = header(0x0101, 0x8580, 1, 1, 0, 0) + question(name("one", "example", "com"), 1) \
    + rr(PTR0, 1, 1, 60, socket.inet_aton("198.18.0.77"))
part = struct.pack("!H", len(r1) + 100) + r1
frames.append(eth(B, ipv4(B, A, 6, tcp(B, A, 53, 40054, 2000, 1000 + len(two), part), ident + 2)))
# An ICMP port unreachable quoting a whole DNS query.
quoted = ipv4(A, B, 17, udp(A, B, 40055, 53, q1), ident + 3)
frames.append(eth(B, ipv4(B, A, 1, icmp(3, 3, b"\0\0\0\0", quoted), ident + 4, frag=0)))

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
    dns.length dns.id dns.flags dns.flags.response dns.flags.opcode dns.flags.authoritative
    dns.flags.truncated dns.flags.recdesired dns.flags.recavail dns.flags.z dns.flags.authenticated
    dns.flags.checkdisable dns.flags.rcode
    dns.count.queries dns.count.zones dns.count.answers dns.count.prerequisites
    dns.count.auth_rr dns.count.updates dns.count.add_rr
    dns.qry.name dns.qry.name.len dns.count.labels dns.qry.type dns.qry.class
    dns.resp.name dns.resp.type dns.resp.class dns.resp.ttl dns.resp.len
    dns.a dns.aaaa dns.cname dns.ns dns.ptr.domain_name dns.mx.preference dns.mx.mail_exchange
    dns.txt dns.txt.length
    dns.srv.service dns.srv.proto dns.srv.name dns.srv.priority dns.srv.weight dns.srv.port dns.srv.target
    dns.soa.mname dns.soa.rname dns.soa.serial_number dns.soa.refresh_interval
    dns.soa.retry_interval dns.soa.expire_limit dns.soa.minimum_ttl
    dns.caa.flags dns.caa.flags.issuer_critical dns.caa.tag_length dns.caa.tag dns.caa.value
    dns.caa.issue dns.caa.issuewild dns.caa.iodef dns.caa.unknown
    dns.data
    dns.rr.udp_payload_size dns.resp.ext_rcode dns.resp.edns0_version
    dns.resp.z dns.resp.z.do dns.resp.z.reserved
    dns.opt dns.opt.code dns.opt.len dns.opt.data dns.opt.cookie.client dns.opt.cookie.server
    dns.opt.padding dns.opt.client.family dns.opt.client.netmask dns.opt.client.scope
    dns.opt.client.addr4 dns.opt.client.addr6 dns.opt.client.addr
    dns.extraneous.data dns.extraneous.length
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
        mixed.pcapng dns.pcap dns-edge.pcap; do
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
    if [ "${1:-}" = "--dns-only" ]; then
        # Remake only the DNS captures (the others keep their bytes), then
        # every reference.
        setup
        copy_dns
        capture_dns_edge
        references
        ls -l "$OUT"
        return
    fi
    setup
    capture_arp_icmp
    capture_tcp_http
    capture_udp
    capture_tcp_rst
    capture_vlan
    capture_edge
    copy_dns
    capture_dns_edge
    mergecap -F pcapng -w "$OUT/mixed.pcapng" \
        "$OUT/arp-icmp.pcap" "$OUT/tcp-http.pcap" "$OUT/udp.pcap" "$OUT/tcp-rst.pcap" \
        "$OUT/vlan.pcap" "$OUT/edge.pcap"
    references
    ls -l "$OUT"
}

main "$@"
