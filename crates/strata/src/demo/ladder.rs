//! A TCP conversation drawn as a sequence ("ladder") diagram in SVG.
//!
//! [`Ladder::from_frames`] reads the frames seen on a link (Ethernet, IPv4,
//! TCP, parsed with the strata wire crates), keeps the segments of the first
//! TCP connection among them, and numbers them the way Wireshark does:
//! sequence and acknowledgment numbers relative to each side's initial
//! sequence number (the SYN is `seq=0`, the first data byte `seq=1`). A
//! segment that carries sequence space (data, SYN or FIN) already sent in
//! its direction is marked as a retransmission. The caller says which
//! frames the link dropped; they are drawn too, stopping midway with an X.
//!
//! [`Ladder::to_svg`] renders one arrow per segment between two lifelines,
//! A (the side that sent the first segment, normally the client) on the
//! left and B on the right, time flowing down; each arrow is labelled
//! `SYN seq=0 win=64240`, `PSH, ACK seq=1 ack=1 len=78 win=502` and so on,
//! retransmissions in red, lost segments as half arrows ending in an X.
//!
//! ```
//! use strata::demo::ladder::{Direction, Ladder, LinkFrame};
//!
//! // A SYN from 198.18.0.1:49152 to 198.18.0.2:80 (Ethernet, IPv4, TCP).
//! let syn: Vec<u8> = [
//!     &[0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00][..],
//!     &[0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2],
//!     &[0xc0, 0x00, 0, 80, 0, 0, 0x10, 0, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0],
//! ]
//! .concat();
//! let ladder = Ladder::from_frames([LinkFrame { time_us: 0, data: &syn, dropped: false }])
//!     .ok_or("no TCP")?;
//! assert_eq!(ladder.segments.len(), 1);
//! assert_eq!(ladder.segments[0].direction, Direction::AtoB);
//! assert_eq!(ladder.segments[0].label(), "SYN seq=0 win=65535");
//! let svg = ladder.to_svg();
//! assert!(svg.starts_with("<svg") && svg.contains("SYN seq=0 win=65535"));
//! # Ok::<(), &'static str>(())
//! ```

use std::fmt::Write as _;
use std::net::SocketAddrV4;

use strata_ethernet::{EtherType, Frame};
use strata_ipv4::{Packet, Protocol};
use strata_tcp::{Flags, Segment, TcpOption};

/// Which way a segment went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From A (the left lifeline) to B.
    AtoB,
    /// From B to A.
    BtoA,
}

/// One frame seen on the link.
#[derive(Clone, Copy, Debug)]
pub struct LinkFrame<'a> {
    /// When it was seen, in microseconds from any fixed origin.
    pub time_us: u64,
    /// The Ethernet frame (no FCS).
    pub data: &'a [u8],
    /// Whether the link lost it (it was sent but never arrived).
    pub dropped: bool,
}

/// One TCP segment of the conversation, as the diagram shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LadderSegment {
    /// When it was seen, in microseconds (as given in [`LinkFrame`]).
    pub time_us: u64,
    /// Which way it went.
    pub direction: Direction,
    /// The TCP flags.
    pub flags: Flags,
    /// Sequence number relative to the sender's initial sequence number.
    pub seq: u32,
    /// Acknowledgment number relative to the receiver's initial sequence
    /// number (0 when ACK is not set, or the other side's ISN is unknown).
    pub ack: u32,
    /// Payload bytes.
    pub len: u32,
    /// The advertised window in bytes: the field scaled by the sender's
    /// window scale once both SYNs carried the option (RFC 7323), as
    /// Wireshark shows it; the raw field on SYNs and without scaling.
    pub window: u32,
    /// Whether it carries sequence space its sender had already sent.
    pub retransmission: bool,
    /// Whether the link lost it.
    pub dropped: bool,
}

impl LadderSegment {
    /// The arrow's label: `FLAGS seq=N [ack=N] [len=N] win=N`.
    #[must_use]
    pub fn label(&self) -> String {
        let names: Vec<&str> = self.flags.names().collect();
        let mut label = if names.is_empty() {
            String::from("<none>")
        } else {
            names.join(", ")
        };
        let _ = write!(label, " seq={}", self.seq);
        if self.flags.contains(Flags::ACK) {
            let _ = write!(label, " ack={}", self.ack);
        }
        if self.len > 0 {
            let _ = write!(label, " len={}", self.len);
        }
        let _ = write!(label, " win={}", self.window);
        label
    }
}

/// A TCP conversation between two endpoints, segment by segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ladder {
    /// The left lifeline: the sender of the first segment.
    pub a: SocketAddrV4,
    /// The right lifeline.
    pub b: SocketAddrV4,
    /// The segments in the order seen.
    pub segments: Vec<LadderSegment>,
}

/// Per-direction state while reading frames.
#[derive(Clone, Copy, Default)]
struct Side {
    isn: Option<u32>,
    /// The highest sequence number (relative) covered so far.
    high: Option<u32>,
    /// The window scale shift its SYN announced.
    wscale: Option<u8>,
}

/// The header fields of the TCP segment in an Ethernet frame.
struct Seen {
    src: SocketAddrV4,
    dst: SocketAddrV4,
    seq: u32,
    ack: u32,
    flags: Flags,
    window: u16,
    wscale: Option<u8>,
    len: usize,
}

fn tcp_of(frame: &[u8]) -> Option<Seen> {
    let eth = Frame::parse(frame).ok()?;
    if eth.ethertype() != EtherType::IPV4 {
        return None;
    }
    let ip = Packet::parse(eth.payload()).ok()?;
    if ip.protocol() != Protocol::TCP || ip.is_fragment() {
        return None;
    }
    let tcp = Segment::parse(ip.payload()).ok()?;
    Some(Seen {
        src: SocketAddrV4::new(ip.src(), tcp.src_port()),
        dst: SocketAddrV4::new(ip.dst(), tcp.dst_port()),
        seq: tcp.seq(),
        ack: tcp.ack(),
        flags: tcp.flags(),
        window: tcp.window(),
        wscale: tcp.options().find_map(|o| match o {
            TcpOption::WindowScale(shift) => Some(shift.min(14)),
            _ => None,
        }),
        len: tcp.payload().len(),
    })
}

impl Ladder {
    /// Reads the first TCP connection out of `frames`; frames that are not
    /// IPv4/TCP, or belong to another connection, are skipped. `None` when
    /// there is no TCP segment at all.
    pub fn from_frames<'a>(frames: impl IntoIterator<Item = LinkFrame<'a>>) -> Option<Ladder> {
        let mut ends: Option<(SocketAddrV4, SocketAddrV4)> = None;
        let mut sides = [Side::default(), Side::default()];
        let mut segments = Vec::new();
        for frame in frames {
            let Some(tcp) = tcp_of(frame.data) else {
                continue;
            };
            let (src, dst) = (tcp.src, tcp.dst);
            let (a, b) = *ends.get_or_insert((src, dst));
            let direction = if (src, dst) == (a, b) {
                Direction::AtoB
            } else if (src, dst) == (b, a) {
                Direction::BtoA
            } else {
                continue;
            };
            let (mine, theirs) = match direction {
                Direction::AtoB => (0, 1),
                Direction::BtoA => (1, 0),
            };
            let flags = tcp.flags;
            let side = sides.get(mine).copied().unwrap_or_default();
            let isn = side.isn.unwrap_or(tcp.seq);
            let their_isn = sides.get(theirs).and_then(|s| s.isn);
            let seq = tcp.seq.wrapping_sub(isn);
            let ack = match (flags.contains(Flags::ACK), their_isn) {
                (true, Some(their)) => tcp.ack.wrapping_sub(their),
                _ => 0,
            };
            let len = u32::try_from(tcp.len).unwrap_or(u32::MAX);
            // Sequence space: payload, plus one each for SYN and FIN.
            let space =
                len + u32::from(flags.contains(Flags::SYN)) + u32::from(flags.contains(Flags::FIN));
            let end = seq.wrapping_add(space);
            let retransmission = space > 0
                && side
                    .high
                    .is_some_and(|high| end.wrapping_sub(high) as i32 <= 0);
            let high = match side.high {
                Some(high) if end.wrapping_sub(high) as i32 <= 0 => high,
                _ => end,
            };
            let wscale = if flags.contains(Flags::SYN) {
                tcp.wscale
            } else {
                side.wscale
            };
            // Scaling applies once both sides announced it, never to a SYN.
            let their_scale = sides.get(theirs).and_then(|s| s.wscale);
            let window = match (flags.contains(Flags::SYN), wscale, their_scale) {
                (false, Some(shift), Some(_)) => u32::from(tcp.window) << shift,
                _ => u32::from(tcp.window),
            };
            if let Some(slot) = sides.get_mut(mine) {
                *slot = Side {
                    isn: Some(isn),
                    high: if space > 0 { Some(high) } else { side.high },
                    wscale,
                };
            }
            segments.push(LadderSegment {
                time_us: frame.time_us,
                direction,
                flags,
                seq,
                ack,
                len,
                window,
                retransmission,
                dropped: frame.dropped,
            });
        }
        let (a, b) = ends?;
        Some(Ladder { a, b, segments })
    }

    /// Segments marked as retransmissions.
    #[must_use]
    pub fn retransmissions(&self) -> usize {
        self.segments.iter().filter(|s| s.retransmission).count()
    }

    /// Segments the link lost.
    #[must_use]
    pub fn dropped(&self) -> usize {
        self.segments.iter().filter(|s| s.dropped).count()
    }

    /// The diagram as a standalone SVG document.
    ///
    /// Every segment is exactly one `<line class="segment ...">` (classes
    /// `retransmission` and `dropped` added where they apply), followed by
    /// its `<text class="label">`; a lost segment also gets one
    /// `<path class="drop">` drawing the X where it stops.
    #[must_use]
    pub fn to_svg(&self) -> String {
        const WIDTH: u32 = 860;
        const LEFT: u32 = 260;
        const RIGHT: u32 = 740;
        const TOP: u32 = 90;
        const ROW: u32 = 44;
        const DROP: u32 = 22;
        let rows = u32::try_from(self.segments.len()).unwrap_or(u32::MAX / ROW - 4);
        let height = TOP + rows.saturating_mul(ROW) + 50;
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
             viewBox=\"0 0 {WIDTH} {height}\" font-family=\"monospace\" font-size=\"12\">"
        );
        svg.push_str(
            "<defs>\
             <marker id=\"arrow\" markerWidth=\"10\" markerHeight=\"8\" refX=\"9\" refY=\"4\" orient=\"auto\">\
             <path d=\"M0,0 L10,4 L0,8 z\" fill=\"#1f4e79\"/></marker>\
             <marker id=\"arrow-red\" markerWidth=\"10\" markerHeight=\"8\" refX=\"9\" refY=\"4\" orient=\"auto\">\
             <path d=\"M0,0 L10,4 L0,8 z\" fill=\"#c0392b\"/></marker>\
             </defs>\n",
        );
        let _ = writeln!(
            svg,
            "<rect x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{height}\" fill=\"white\"/>"
        );
        let _ = writeln!(
            svg,
            "<text x=\"{LEFT}\" y=\"30\" text-anchor=\"middle\" font-weight=\"bold\">A {}</text>",
            escape(&self.a.to_string())
        );
        let _ = writeln!(
            svg,
            "<text x=\"{RIGHT}\" y=\"30\" text-anchor=\"middle\" font-weight=\"bold\">B {}</text>",
            escape(&self.b.to_string())
        );
        let _ = writeln!(svg, "<text x=\"10\" y=\"60\" fill=\"#555\">time (s)</text>");
        for x in [LEFT, RIGHT] {
            let _ = writeln!(
                svg,
                "<line class=\"lifeline\" x1=\"{x}\" y1=\"45\" x2=\"{x}\" y2=\"{}\" stroke=\"#888\" stroke-dasharray=\"4 4\"/>",
                height - 20
            );
        }
        let start = self.segments.first().map_or(0, |s| s.time_us);
        for (i, seg) in self.segments.iter().enumerate() {
            let row = u32::try_from(i).unwrap_or(u32::MAX / ROW - 4);
            let y1 = TOP + row * ROW;
            let y2 = y1 + DROP;
            let (x1, x2) = match seg.direction {
                Direction::AtoB => (LEFT, RIGHT),
                Direction::BtoA => (RIGHT, LEFT),
            };
            let (colour, marker) = if seg.retransmission {
                ("#c0392b", "arrow-red")
            } else {
                ("#1f4e79", "arrow")
            };
            let mut class = String::from("segment");
            if seg.retransmission {
                class.push_str(" retransmission");
            }
            if seg.dropped {
                class.push_str(" dropped");
            }
            let elapsed = seg.time_us.saturating_sub(start);
            let _ = writeln!(
                svg,
                "<text class=\"time\" x=\"10\" y=\"{}\" fill=\"#555\">{}.{:06}</text>",
                y1 + 4,
                elapsed / 1_000_000,
                elapsed % 1_000_000
            );
            if seg.dropped {
                // Stops halfway, with an X where it was lost.
                let mx = (x1 + x2) / 2;
                let my = (y1 + y2) / 2;
                let _ = writeln!(
                    svg,
                    "<line class=\"{class}\" x1=\"{x1}\" y1=\"{y1}\" x2=\"{mx}\" y2=\"{my}\" stroke=\"{colour}\" stroke-width=\"1.5\"/>"
                );
                let _ = writeln!(
                    svg,
                    "<path class=\"drop\" d=\"M{} {} L{} {} M{} {} L{} {}\" stroke=\"#c0392b\" stroke-width=\"2.5\"/>",
                    mx - 7,
                    my - 7,
                    mx + 7,
                    my + 7,
                    mx - 7,
                    my + 7,
                    mx + 7,
                    my - 7
                );
            } else {
                let _ = writeln!(
                    svg,
                    "<line class=\"{class}\" x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"{colour}\" stroke-width=\"1.5\" marker-end=\"url(#{marker})\"/>"
                );
            }
            let mut label = seg.label();
            if seg.retransmission {
                label.insert_str(0, "[retransmission] ");
            }
            if seg.dropped {
                label.push_str(" (lost)");
            }
            let _ = writeln!(
                svg,
                "<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{colour}\">{}</text>",
                (LEFT + RIGHT) / 2,
                y1 + 2,
                escape(&label)
            );
        }
        svg.push_str("</svg>\n");
        svg
    }
}

/// Escapes text for XML character data and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}
