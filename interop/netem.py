#!/usr/bin/env python3
"""A userspace stand-in for `tc qdisc ... netem` between the kernel and strata.

The interop suite wants the kernel side of the TAP link impaired the way
`tc qdisc add dev strata0 root netem loss 2% delay 10ms 5ms reorder 5%
duplicate 1%` does it. Kernels built without CONFIG_NET_SCH_NETEM (the CI
virtual machines among them) refuse that qdisc, so this program plays the
wire instead:

    kernel (netns A, strata0 = 198.18.0.1/24)
        | TAP descriptor of A's strata0, held here
    netem.py: loss, duplication, delay with jitter, reordering
        | packet socket on B's strata0 (a TAP in netns B, no addresses)
    strata or smolfetch (netns B, attached to B's strata0)

Frames the kernel sends out of A's strata0 are read from its TAP descriptor
and, impaired, transmitted on B's strata0, which delivers them to the
program attached there. Frames that program writes arrive on B's strata0
as received frames; the packet socket reads them and, impaired, they are
written to A's TAP descriptor, which the kernel receives. Namespace B has
no addresses, so its kernel takes no part.

The impairment follows netem's model, per direction: each frame is lost
with probability LOSS; otherwise it is sent after DELAY +- JITTER
(uniform), except that a fraction REORDER of frames goes at once (which
overtakes the delayed ones: netem's "reorder"); a surviving frame is
duplicated with probability DUPLICATE. At most LIMIT frames wait per
direction (netem's default limit is 1000); more are dropped.

Run it inside namespace A; it enters B by the path given (setns(2)).
Stops on SIGTERM/SIGINT and prints per-direction counters to stderr.
Standard library only (Python 3.9+).
"""

import argparse
import ctypes
import fcntl
import heapq
import os
import random
import select
import signal
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def enter_netns(path):
    libc = ctypes.CDLL(None, use_errno=True)
    with open(path, "rb") as ns:
        if libc.setns(ns.fileno(), CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns {path}: {os.strerror(err)}")


class Direction:
    """One direction's impairment and its waiting frames."""

    def __init__(self, name, args, rng):
        self.name = name
        self.args = args
        self.rng = rng
        self.queue = []  # (due, order, frame)
        self.order = 0
        self.counts = dict(seen=0, lost=0, duplicated=0, reordered=0, overflow=0, sent=0)

    def push(self, now, frame):
        a = self.args
        self.counts["seen"] += 1
        if self.rng.random() < a.loss:
            self.counts["lost"] += 1
            return
        copies = 1
        if self.rng.random() < a.duplicate:
            copies = 2
            self.counts["duplicated"] += 1
        for _ in range(copies):
            if len(self.queue) >= a.limit:
                self.counts["overflow"] += 1
                continue
            if a.reorder > 0 and self.rng.random() < a.reorder:
                due = now
                self.counts["reordered"] += 1
            else:
                due = now + max(0.0, a.delay + self.rng.uniform(-a.jitter, a.jitter))
            self.order += 1
            heapq.heappush(self.queue, (due, self.order, frame))

    def next_due(self):
        return self.queue[0][0] if self.queue else None

    def pop_due(self, now):
        while self.queue and self.queue[0][0] <= now:
            yield heapq.heappop(self.queue)[2]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tap", default="strata0", help="the kernel's TAP in this namespace")
    p.add_argument("--peer-netns", required=True, help="path of namespace B (/var/run/netns/NAME)")
    p.add_argument("--peer-dev", default="strata0", help="the TAP strata attaches to in namespace B")
    p.add_argument("--loss", type=float, default=0.02)
    p.add_argument("--delay", type=float, default=0.010, help="seconds")
    p.add_argument("--jitter", type=float, default=0.005, help="seconds")
    p.add_argument("--reorder", type=float, default=0.05)
    p.add_argument("--duplicate", type=float, default=0.01)
    p.add_argument("--limit", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--directions",
        choices=["both", "to-peer", "to-kernel"],
        default="both",
        help="which way frames are impaired (the other way passes untouched)",
    )
    p.add_argument("--ready-file", help="created once both ends are open")
    args = p.parse_args()

    tap = open_tap(args.tap)
    enter_netns(args.peer_netns)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((args.peer_dev, 0))
    sock.setblocking(False)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)

    rng = random.Random(args.seed)
    untouched = argparse.Namespace(loss=0.0, delay=0.0, jitter=0.0, reorder=0.0, duplicate=0.0, limit=args.limit)
    to_peer = Direction("kernel->strata", args if args.directions in ("both", "to-peer") else untouched, rng)
    to_kernel = Direction("strata->kernel", args if args.directions in ("both", "to-kernel") else untouched, rng)

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    if args.ready_file:
        open(args.ready_file, "w").close()

    sock_fd = sock.fileno()
    while not stopping:
        now = time.monotonic()
        dues = [d for d in (to_peer.next_due(), to_kernel.next_due()) if d is not None]
        timeout = max(0.0, min(dues) - now) if dues else 0.2
        try:
            readable, _, _ = select.select([tap, sock_fd], [], [], min(timeout, 0.2))
        except InterruptedError:
            continue
        now = time.monotonic()
        if tap in readable:
            for _ in range(64):
                try:
                    frame = os.read(tap, 65536)
                except BlockingIOError:
                    break
                except OSError:
                    break
                to_peer.push(now, frame)
        if sock_fd in readable:
            for _ in range(64):
                try:
                    frame, addr = sock.recvfrom(65536)
                except BlockingIOError:
                    break
                # Frames B's kernel transmits (ours, going to strata) come
                # back on the packet socket as outgoing: not strata's.
                if addr[2] == PACKET_OUTGOING:
                    continue
                to_kernel.push(now, frame)
        now = time.monotonic()
        for frame in to_peer.pop_due(now):
            try:
                sock.send(frame)
                to_peer.counts["sent"] += 1
            except OSError:
                to_peer.counts["overflow"] += 1
        for frame in to_kernel.pop_due(now):
            try:
                os.write(tap, frame)
                to_kernel.counts["sent"] += 1
            except OSError:
                to_kernel.counts["overflow"] += 1

    for d in (to_peer, to_kernel):
        c = d.counts
        print(
            f"netem.py {d.name}: {c['seen']} frames, {c['lost']} lost, {c['duplicated']} duplicated, "
            f"{c['reordered']} sent early (reordered), {c['overflow']} dropped at the limit, {c['sent']} sent",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
