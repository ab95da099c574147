//! Connection state transitions, segment by segment, against RFC 9293.
//!
//! Each test drives two connections by hand (no link delay unless a test
//! says so) and quotes the RFC text it checks.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod connection_support;

use connection_support::*;
use strata_core::time::Duration;
use strata_tcp::connection::Config;
use strata_tcp::isn::IsnGenerator;
use strata_tcp::{Connection, Error, Event, Flags, State};

fn cfg() -> Config {
    Config::default()
}

#[test]
fn three_way_handshake() {
    // RFC 9293 §3.5, figure 6: "basic three-way handshake for connection
    // synchronization".
    let mut a = client(cfg());
    assert_eq!(a.state(), State::SynSent);
    let syn = one(&mut a, ms(0));
    assert_eq!(syn.flags(), Flags::SYN);
    assert_eq!(syn.repr.seq, ISS_A);
    let o = &syn.repr.options;
    assert_eq!(o.mss, Some(1460));
    assert_eq!(o.window_scale, Some(1)); // 65536 needs one bit more
    assert!(o.sack_permitted);
    assert_eq!(o.timestamps.map(|t| t.tsecr), Some(0));
    none(&mut a, ms(0));

    let mut b = Connection::accept(ms(0), B, A, &syn.repr, cfg(), ISS_B).unwrap();
    assert_eq!(b.state(), State::SynReceived);
    // "<SEQ=300><ACK=101><CTL=SYN,ACK>"
    let synack = one(&mut b, ms(0));
    assert_eq!(synack.flags(), Flags::SYN | Flags::ACK);
    assert_eq!(synack.repr.seq, ISS_B);
    assert_eq!(synack.repr.ack, ISS_A + 1);
    assert_eq!(
        synack.repr.options.timestamps.unwrap().tsecr,
        syn.repr.options.timestamps.unwrap().tsval
    );

    deliver(&mut a, ms(0), &synack);
    // "If SND.UNA > ISS (our SYN has been ACKed), change the connection
    // state to ESTABLISHED, form an ACK segment <SEQ=SND.NXT><ACK=RCV.NXT>
    // <CTL=ACK> and send it."
    assert_eq!(a.state(), State::Established);
    assert_eq!(events(&mut a), [Event::Established]);
    let ack = one(&mut a, ms(0));
    assert_eq!(ack.flags(), Flags::ACK);
    assert_eq!((ack.repr.seq, ack.repr.ack), (ISS_A + 1, ISS_B + 1));

    deliver(&mut b, ms(0), &ack);
    // SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED
    // state".
    assert_eq!(b.state(), State::Established);
    assert_eq!(events(&mut b), [Event::Established]);
    assert!(a.sack_enabled() && a.timestamps_enabled());
    assert!(b.sack_enabled() && b.timestamps_enabled());
    assert_eq!(a.send_mss(), 1460 - 12);
    none(&mut a, ms(0));
    none(&mut b, ms(0));
}

#[test]
fn options_only_as_offered() {
    // RFC 7323 §2.2 / §3.2 and RFC 2018 §2: an option is answered in the
    // SYN-ACK only if the SYN carried it.
    let plain = Config {
        window_scaling: false,
        sack: false,
        timestamps: false,
        ..cfg()
    };
    let mut a = client(plain);
    let syn = one(&mut a, ms(0));
    assert_eq!(syn.repr.options.window_scale, None);
    assert!(!syn.repr.options.sack_permitted);
    assert_eq!(syn.repr.options.timestamps, None);
    let mut b = Connection::accept(ms(0), B, A, &syn.repr, cfg(), ISS_B).unwrap();
    let synack = one(&mut b, ms(0));
    assert_eq!(synack.repr.options.window_scale, None);
    assert!(!synack.repr.options.sack_permitted);
    assert_eq!(synack.repr.options.timestamps, None);
    assert_eq!(synack.repr.options.mss, Some(1460));
    deliver(&mut a, ms(0), &synack);
    assert!(!a.sack_enabled() && !a.timestamps_enabled());
    assert_eq!(a.send_mss(), 1460);
}

#[test]
fn window_scale_negotiated() {
    let big = Config {
        recv_buffer: 1 << 20,
        send_buffer: 1 << 20,
        ..cfg()
    };
    let mut a = client(big);
    let syn = one(&mut a, ms(0));
    // 1 MiB needs a shift of 5 to fit 16 bits.
    assert_eq!(syn.repr.options.window_scale, Some(5));
    // The window of a SYN is never scaled.
    assert_eq!(syn.repr.window, 65535);
    let mut b = Connection::accept(ms(0), B, A, &syn.repr, big, ISS_B).unwrap();
    let synack = one(&mut b, ms(0));
    deliver(&mut a, ms(0), &synack);
    let ack = one(&mut a, ms(0));
    assert_eq!(u32::from(ack.repr.window) << 5, 1 << 20);
    deliver(&mut b, ms(0), &ack);
    assert_eq!(b.send_window(), 1 << 20);
    assert_eq!(a.window_shifts(), (5, 5));
}

#[test]
fn passive_open_from_listen() {
    // RFC 9293 §3.10.7.2, LISTEN: "If the SYN bit is set ... Set RCV.NXT
    // to SEG.SEQ+1, IRS is set to SEG.SEQ ... ISS should be selected and a
    // SYN segment sent of the form <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>".
    let isn = IsnGenerator::new([7; 16]);
    let mut b = Connection::listen(ms(0), B, cfg(), &isn).unwrap();
    assert_eq!(b.state(), State::Listen);
    assert_eq!(b.send(b"x"), Err(Error::NotConnected));
    let mut a = client(cfg());
    let syn = one(&mut a, ms(0));

    // "An incoming RST segment could not be valid ... ignore it."
    deliver(&mut b, ms(0), &syn.edit(|r| r.flags = Flags::RST));
    none(&mut b, ms(0));
    // "Any acknowledgment is bad if it arrives on a connection still in the
    // LISTEN state. An acceptable reset segment should be formed for any
    // arriving ACK-bearing segment. The RST should be formatted as follows:
    // <SEQ=SEG.ACK><CTL=RST>"
    deliver(
        &mut b,
        ms(0),
        &syn.edit(|r| {
            r.flags = Flags::ACK;
            r.ack = 777;
        }),
    );
    let rst = one(&mut b, ms(0));
    assert_eq!((rst.flags(), rst.repr.seq), (Flags::RST, 777));
    assert_eq!(b.state(), State::Listen);

    deliver(&mut b, ms(0), &syn);
    assert_eq!(b.state(), State::SynReceived);
    assert_eq!(b.remote(), A);
    let synack = one(&mut b, ms(0));
    assert_eq!(synack.repr.seq, isn.isn(ms(0), B, A));
    deliver(&mut a, ms(0), &synack);
    deliver(&mut b, ms(0), &one(&mut a, ms(0)));
    assert_eq!(b.state(), State::Established);
}

#[test]
fn reset_in_syn_received_returns_to_listen() {
    // RFC 9293 §3.10.7.4, SYN-RECEIVED, RST: "If this connection was
    // initiated with a passive OPEN (i.e., came from the LISTEN state),
    // then return this connection to LISTEN state and return."
    let isn = IsnGenerator::new([1; 16]);
    let mut b = Connection::listen(ms(0), B, cfg(), &isn).unwrap();
    let mut a = client(cfg());
    let syn = one(&mut a, ms(0));
    deliver(&mut b, ms(0), &syn);
    let synack = one(&mut b, ms(0));
    let rst = build(
        A_IP,
        B_IP,
        strata_tcp::Repr {
            flags: Flags::RST,
            seq: synack.repr.ack,
            ack: 0,
            options: strata_tcp::Options::new(),
            ..syn.repr
        },
        &[],
    );
    deliver(&mut b, ms(0), &rst);
    assert_eq!(b.state(), State::Listen);
    assert!(events(&mut b).is_empty());
}

#[test]
fn simultaneous_open() {
    // RFC 9293 §3.5, figure 7: both ends send SYN, both go SYN-RECEIVED,
    // then ESTABLISHED.
    let mut a = client(cfg());
    let mut b = Connection::connect_with_iss(ms(0), B, A, cfg(), ISS_B).unwrap();
    let syn_a = one(&mut a, ms(0));
    let syn_b = one(&mut b, ms(0));
    deliver(&mut a, ms(0), &syn_b);
    deliver(&mut b, ms(0), &syn_a);
    // "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment
    // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it."
    assert_eq!(
        (a.state(), b.state()),
        (State::SynReceived, State::SynReceived)
    );
    let sa_a = one(&mut a, ms(0));
    let sa_b = one(&mut b, ms(0));
    assert_eq!(
        (sa_a.flags(), sa_a.repr.seq, sa_a.repr.ack),
        (Flags::SYN | Flags::ACK, ISS_A, ISS_B + 1)
    );
    deliver(&mut a, ms(0), &sa_b);
    deliver(&mut b, ms(0), &sa_a);
    assert_eq!(
        (a.state(), b.state()),
        (State::Established, State::Established)
    );
    assert_eq!(events(&mut a), [Event::Established]);
    pump(&mut a, &mut b, ms(0));
    a.send(b"ping").unwrap();
    pump(&mut a, &mut b, ms(0));
    assert_eq!(read_all(&mut b), b"ping");
}

#[test]
fn data_both_ways() {
    let (mut a, mut b) = established(cfg(), cfg());
    let to_b = pattern(200_000, 1);
    let to_a = pattern(150_000, 2);
    let (mut sa, mut sb) = (0, 0);
    let (mut got_a, mut got_b) = (Vec::new(), Vec::new());
    let mut now = ms(0);
    for _ in 0..10_000 {
        if sa < to_b.len() {
            sa += a.send(&to_b[sa..]).unwrap_or(0);
        }
        if sb < to_a.len() {
            sb += b.send(&to_a[sb..]).unwrap_or(0);
        }
        pump(&mut a, &mut b, now);
        got_b.extend(read_all(&mut b));
        got_a.extend(read_all(&mut a));
        if got_b.len() == to_b.len() && got_a.len() == to_a.len() {
            break;
        }
        now += Duration::from_millis(50);
        a.handle_timeout(now);
        b.handle_timeout(now);
    }
    assert!(got_b == to_b, "a -> b stream differs");
    assert!(got_a == to_a, "b -> a stream differs");
    assert_eq!(a.stats().retransmissions, 0);
    assert!(events(&mut b).contains(&Event::Readable));
}

/// Data an application queued while the handshake was under way was
/// accepted by `send`, so a shutdown in SYN-SENT must not drop it: the
/// data and then the FIN follow the handshake. With nothing queued the
/// connection is simply forgotten (RFC 9293's CLOSE in SYN-SENT).
#[test]
fn shutdown_in_syn_sent_keeps_queued_data() {
    let mut a = client(cfg());
    let syn = one(&mut a, ms(0));
    a.send(b"early request").unwrap();
    a.shutdown().unwrap();
    assert_eq!(a.state(), State::SynSent);
    assert_eq!(a.send(b"more"), Err(Error::Closing));
    let mut b = Connection::accept(ms(0), B, A, &syn.repr, cfg(), ISS_B).unwrap();
    let synack = one(&mut b, ms(0));
    deliver(&mut a, ms(0), &synack);
    assert_eq!(a.state(), State::FinWait1);
    pump(&mut a, &mut b, ms(1));
    assert_eq!(read_all(&mut b), b"early request");
    assert_eq!(b.state(), State::CloseWait);
    assert_eq!(a.state(), State::FinWait2);

    let mut idle = client(cfg());
    let _ = one(&mut idle, ms(0));
    idle.shutdown().unwrap();
    assert_eq!(idle.state(), State::Closed);
}

#[test]
fn half_close_then_close() {
    // RFC 9293 §3.6: "CLOSE is an operation meaning 'I have no more data to
    // send.' ... a user who CLOSEs may continue to RECEIVE until the TCP
    // receiver is told that the remote side has CLOSED also."
    let (mut a, mut b) = established(cfg(), cfg());
    a.send(b"request").unwrap();
    a.shutdown().unwrap();
    assert_eq!(a.state(), State::FinWait1);
    assert_eq!(a.send(b"more"), Err(Error::Closing));
    let segs = drain(&mut a, ms(0));
    assert_eq!(segs.len(), 1);
    assert_eq!(segs[0].flags(), Flags::ACK | Flags::PSH | Flags::FIN);
    assert_eq!(segs[0].payload(), b"request");
    deliver(&mut b, ms(0), &segs[0]);
    // ESTABLISHED, FIN: "Enter the CLOSE-WAIT state."
    assert_eq!(b.state(), State::CloseWait);
    assert_eq!(events(&mut b), [Event::Readable, Event::PeerClosed]);
    assert_eq!(read_all(&mut b), b"request");
    let mut buf = [0u8; 8];
    assert_eq!(b.recv(&mut buf), Ok(0)); // end of stream
    let ack = one(&mut b, ms(0));
    deliver(&mut a, ms(0), &ack);
    // FIN-WAIT-1: "if the FIN segment is now acknowledged, then enter
    // FIN-WAIT-2 and continue processing in that state."
    assert_eq!(a.state(), State::FinWait2);

    // B keeps sending on its half.
    let reply = pattern(100_000, 3);
    let mut sent = 0;
    let mut got = Vec::new();
    let mut now = ms(0);
    while got.len() < reply.len() {
        sent += b.send(&reply[sent..]).unwrap_or(0);
        pump(&mut a, &mut b, now);
        got.extend(read_all(&mut a));
        now += Duration::from_millis(50);
        a.handle_timeout(now);
        b.handle_timeout(now);
    }
    assert!(got == reply);
    assert_eq!(a.state(), State::FinWait2);

    b.close().unwrap();
    assert_eq!(b.state(), State::LastAck);
    let fin = one(&mut b, now);
    assert!(fin.has(Flags::FIN));
    deliver(&mut a, now, &fin);
    // FIN-WAIT-2: "Enter the TIME-WAIT state. Start the time-wait timer".
    assert_eq!(a.state(), State::TimeWait);
    let last = one(&mut a, now);
    deliver(&mut b, now, &last);
    // LAST-ACK: "If our FIN is now acknowledged, delete the TCB, enter the
    // CLOSED state, and return."
    assert_eq!(b.state(), State::Closed);
    assert!(events(&mut b).contains(&Event::Closed));
    assert_eq!(a.recv(&mut buf), Ok(0));
}

#[test]
fn time_wait_lasts_two_msl_and_reacks_fin() {
    let config = Config {
        time_wait: Duration::from_secs(30),
        ..cfg()
    };
    let (mut a, mut b) = established(config, config);
    a.shutdown().unwrap();
    pump(&mut a, &mut b, ms(0));
    b.shutdown().unwrap();
    let fin = one(&mut b, ms(0));
    deliver(&mut a, ms(0), &fin);
    assert_eq!(a.state(), State::TimeWait);
    let _lost_ack = one(&mut a, ms(0));
    assert_eq!(a.poll_timeout(), Some(ms(30_000)));
    // B retransmits its FIN at the RTO: "The only thing that can arrive in
    // this state is a retransmission of the remote FIN. Acknowledge it, and
    // restart the 2 MSL timeout."
    let t = b.poll_timeout().unwrap();
    b.handle_timeout(t);
    let again = one(&mut b, t);
    assert!(again.has(Flags::FIN));
    deliver(&mut a, t, &again);
    let ack = one(&mut a, t);
    assert_eq!(ack.repr.ack, fin.repr.seq + 1);
    assert_eq!(a.poll_timeout(), Some(t + Duration::from_secs(30)));
    deliver(&mut b, t, &ack);
    assert_eq!(b.state(), State::Closed);
    // "When the time-wait timeout expires, delete the TCB".
    a.handle_timeout(t + Duration::from_secs(30) - Duration::from_micros(1));
    assert_eq!(a.state(), State::TimeWait);
    a.handle_timeout(t + Duration::from_secs(30));
    assert_eq!(a.state(), State::Closed);
    assert!(events(&mut a).contains(&Event::Closed));
    assert_eq!(a.poll_timeout(), None);
}

#[test]
fn simultaneous_close() {
    // RFC 9293 §3.6, figure 13: both FIN-WAIT-1, both CLOSING, both
    // TIME-WAIT.
    let (mut a, mut b) = established(cfg(), cfg());
    a.shutdown().unwrap();
    b.shutdown().unwrap();
    let fa = one(&mut a, ms(0));
    let fb = one(&mut b, ms(0));
    deliver(&mut a, ms(0), &fb);
    deliver(&mut b, ms(0), &fa);
    // FIN-WAIT-1, FIN: "If our FIN has been ACKed (perhaps in this segment),
    // then enter TIME-WAIT ...; otherwise, enter the CLOSING state."
    assert_eq!((a.state(), b.state()), (State::Closing, State::Closing));
    let aa = one(&mut a, ms(0));
    let ab = one(&mut b, ms(0));
    deliver(&mut a, ms(0), &ab);
    deliver(&mut b, ms(0), &aa);
    // CLOSING: "If the ACK acknowledges our FIN, then enter the TIME-WAIT
    // state".
    assert_eq!((a.state(), b.state()), (State::TimeWait, State::TimeWait));
    none(&mut a, ms(0));
    none(&mut b, ms(0));
}

#[test]
fn reset_refuses_syn() {
    // SYN-SENT: "If the RST bit is set, If the ACK was acceptable, then
    // signal to the user 'error: connection reset', drop the segment, enter
    // CLOSED state".
    let mut a = client(cfg());
    let syn = one(&mut a, ms(0));
    let rst = strata_tcp::connection::reset_reply(&syn.repr).unwrap();
    assert_eq!(rst.flags, Flags::RST | Flags::ACK);
    assert_eq!(rst.ack, ISS_A + 1);
    // An RST whose ACK does not acknowledge the SYN is ignored.
    deliver(
        &mut a,
        ms(0),
        &build(
            B_IP,
            A_IP,
            strata_tcp::Repr {
                ack: ISS_A + 5,
                ..rst
            },
            &[],
        ),
    );
    assert_eq!(a.state(), State::SynSent);
    deliver(&mut a, ms(0), &build(B_IP, A_IP, rst, &[]));
    assert_eq!(a.state(), State::Closed);
    assert_eq!(events(&mut a), [Event::Refused]);
    assert_eq!(a.send(b"x"), Err(Error::Refused));
}

#[test]
fn bad_ack_in_syn_sent_draws_reset() {
    // "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the RST
    // bit is set, if so drop the segment and return) <SEQ=SEG.ACK><CTL=RST>"
    let mut a = client(cfg());
    let syn = one(&mut a, ms(0));
    let bogus = build(
        B_IP,
        A_IP,
        strata_tcp::Repr {
            src_port: B.port(),
            dst_port: A.port(),
            seq: 9,
            ack: ISS_A + 100,
            flags: Flags::SYN | Flags::ACK,
            options: strata_tcp::Options::new(),
            ..syn.repr
        },
        &[],
    );
    deliver(&mut a, ms(0), &bogus);
    let rst = one(&mut a, ms(0));
    assert_eq!((rst.flags(), rst.repr.seq), (Flags::RST, ISS_A + 100));
    assert_eq!(a.state(), State::SynSent);
}

/// A reset from B to A with sequence number `seq`.
fn rst_to_a(b: &Connection, seq: u32) -> Seg {
    build(
        B_IP,
        A_IP,
        strata_tcp::Repr {
            src_port: B.port(),
            dst_port: A.port(),
            seq,
            ack: 0,
            flags: Flags::RST,
            window: 0,
            urgent: 0,
            options: strata_tcp::Options::new(),
            payload_len: 0,
        },
        &[],
    )
    .edit(|_| {
        let _ = b;
    })
}

#[test]
fn reset_in_each_synchronized_state() {
    // RFC 9293 §3.10.7.4 second step (with RFC 5961 §3.2: exactly RCV.NXT).
    type Setup = fn(&mut Connection, &mut Connection);
    let setups: [(&str, Setup, State, Option<Event>); 6] = [
        (
            "ESTABLISHED",
            |_, _| {},
            State::Established,
            Some(Event::Reset),
        ),
        (
            "FIN-WAIT-1",
            |a, _| {
                a.shutdown().unwrap();
                drain(a, ms(0));
            },
            State::FinWait1,
            Some(Event::Reset),
        ),
        (
            "FIN-WAIT-2",
            |a, b| {
                a.shutdown().unwrap();
                pump(a, b, ms(0));
            },
            State::FinWait2,
            Some(Event::Reset),
        ),
        (
            "CLOSE-WAIT",
            |a, b| {
                b.shutdown().unwrap();
                pump(a, b, ms(0));
            },
            State::CloseWait,
            Some(Event::Reset),
        ),
        (
            "LAST-ACK",
            |a, b| {
                b.shutdown().unwrap();
                pump(a, b, ms(0));
                a.shutdown().unwrap();
                drain(a, ms(0));
            },
            State::LastAck,
            Some(Event::Reset),
        ),
        (
            "CLOSING",
            |a, b| {
                a.shutdown().unwrap();
                b.shutdown().unwrap();
                drain(a, ms(0));
                let fb = drain(b, ms(0));
                deliver(a, ms(0), &fb[0]);
                drain(a, ms(0));
            },
            State::Closing,
            Some(Event::Reset),
        ),
    ];
    for (name, setup, state, event) in setups {
        let (mut a, mut b) = established(cfg(), cfg());
        setup(&mut a, &mut b);
        assert_eq!(a.state(), state, "{name}");
        events(&mut a);
        let nxt = a.rcv_nxt();
        deliver(&mut a, ms(0), &rst_to_a(&b, nxt));
        assert_eq!(a.state(), State::Closed, "{name}");
        assert_eq!(events(&mut a).first().copied(), event, "{name}");
        none(&mut a, ms(0));
    }

    // TIME-WAIT: "If the RST bit is set, then enter the CLOSED state".
    let (mut a, mut b) = established(cfg(), cfg());
    a.shutdown().unwrap();
    pump(&mut a, &mut b, ms(0));
    b.shutdown().unwrap();
    pump(&mut a, &mut b, ms(0));
    assert_eq!(a.state(), State::TimeWait);
    let nxt = a.rcv_nxt();
    deliver(&mut a, ms(0), &rst_to_a(&b, nxt));
    assert_eq!(a.state(), State::Closed);
}

#[test]
fn abort_sends_reset() {
    // ABORT: "Send a reset segment: <SEQ=SND.NXT><CTL=RST>".
    let (mut a, mut b) = established(cfg(), cfg());
    a.send(b"lost forever").unwrap();
    drain(&mut a, ms(0));
    a.abort();
    assert_eq!(a.state(), State::Closed);
    let rst = one(&mut a, ms(0));
    assert_eq!(rst.flags(), Flags::RST);
    assert_eq!(rst.repr.seq, a.snd_nxt());
    deliver(&mut b, ms(0), &rst);
    // B never saw the data, so the reset is in its window but not at
    // RCV.NXT: RFC 5961 §3.2 "send an ACK (challenge ACK)".
    assert_eq!(b.state(), State::Established);
    let challenge = one(&mut b, ms(0));
    assert_eq!(challenge.flags(), Flags::ACK);
    assert_eq!(b.stats().challenge_acks, 1);
    // The closed end answers with <SEQ=SEG.ACK><CTL=RST>, which matches.
    deliver(&mut a, ms(0), &challenge);
    let rst = one(&mut a, ms(0));
    assert_eq!(
        (rst.flags(), rst.repr.seq),
        (Flags::RST, challenge.repr.ack)
    );
    deliver(&mut b, ms(0), &rst);
    assert_eq!(b.state(), State::Closed);
    assert_eq!(events(&mut b), [Event::Reset]);
    let mut buf = [0u8; 4];
    assert_eq!(b.recv(&mut buf), Err(Error::Reset));
}

#[test]
fn close_with_unread_data_resets() {
    // RFC 1122 §4.2.2.13: "If such a host issues a CLOSE call while received
    // data is still pending in TCP, or if new data is received after CLOSE
    // is called, its TCP SHOULD send a RST to show that data was lost."
    let (mut a, mut b) = established(cfg(), cfg());
    b.send(b"unread").unwrap();
    pump(&mut a, &mut b, ms(0));
    a.close().unwrap();
    let rst = drain(&mut a, ms(0));
    assert!(rst.iter().any(|s| s.has(Flags::RST)));
    assert_eq!(a.state(), State::Closed);

    let (mut a, mut b) = established(cfg(), cfg());
    a.close().unwrap();
    pump(&mut a, &mut b, ms(0));
    assert_eq!(a.state(), State::FinWait2);
    b.send(b"too late").unwrap();
    let data = one(&mut b, ms(0));
    deliver(&mut a, ms(0), &data);
    assert_eq!(a.state(), State::Closed);
    assert!(one(&mut a, ms(0)).has(Flags::RST));
}

#[test]
fn syn_cookie_handshake() {
    // RFC 4987 §3.6: the listener answers the SYN statelessly, with the
    // cookie as its ISN (and options in the TSval), and builds the
    // connection only from the returning ACK.
    use strata_tcp::cookie::{CookieJar, SynParams};
    let jar = CookieJar::new([3; 16]);
    let mut a = client(cfg());
    let syn = one(&mut a, ms(0));
    let params = SynParams::from_syn(&syn.repr.options, false);
    let now = ms(5);
    let clock = Connection::timestamp_clock(0, now);
    let cookie = jar.encode(now, B, A, syn.repr.seq, &params, clock);
    let synack = Connection::cookie_syn_ack(
        now,
        B,
        A,
        &syn.repr,
        &cookie.params,
        &cfg(),
        cookie.isn,
        cookie.tsval,
    );
    assert_eq!(synack.seq, cookie.isn);
    deliver(&mut a, ms(6), &build(B_IP, A_IP, synack, &[]));
    assert_eq!(a.state(), State::Established);
    a.send(b"first request").unwrap();
    let segs = drain(&mut a, ms(6));
    // The ACK carries the first data (no separate ACK is needed).
    let ack = &segs[0];
    let tsecr = ack.repr.options.timestamps.map(|t| t.tsecr);
    let peer = jar
        .decode(ms(7), B, A, ack.repr.ack, ack.repr.seq, tsecr)
        .unwrap();
    assert_eq!(peer, cookie.params);
    let mut b =
        Connection::from_cookie(ms(7), B, A, &peer, &ack.repr, ack.payload(), cfg()).unwrap();
    assert_eq!(b.state(), State::Established);
    assert_eq!(events(&mut b), [Event::Established, Event::Readable]);
    assert_eq!(read_all(&mut b), b"first request");
    assert!(b.sack_enabled() && b.timestamps_enabled());
    assert_eq!(b.window_shifts(), a.window_shifts());
    b.send(b"response").unwrap();
    pump(&mut a, &mut b, ms(8));
    assert_eq!(read_all(&mut a), b"response");
    // A non-ACK cannot complete a cookie handshake.
    assert_eq!(
        Connection::from_cookie(ms(7), B, A, &peer, &syn.repr, &[], cfg()).unwrap_err(),
        Error::InvalidSegment
    );
}

#[test]
fn sequence_numbers_wrap_around() {
    // Both ISNs just below 2^32: every comparison must be modulo 2^32
    // (RFC 9293 §3.4).
    let mut a = Connection::connect_with_iss(ms(0), A, B, cfg(), u32::MAX - 1000).unwrap();
    let syn = one(&mut a, ms(0));
    let mut b = Connection::accept(ms(0), B, A, &syn.repr, cfg(), u32::MAX - 5).unwrap();
    pump(&mut a, &mut b, ms(0));
    assert_eq!(b.state(), State::Established);
    let data = pattern(300_000, 9);
    let back = pattern(100_000, 10);
    let (mut sa, mut sb, mut ga, mut gb) = (0, 0, Vec::new(), Vec::new());
    let mut now = ms(0);
    while gb.len() < data.len() || ga.len() < back.len() {
        sa += a.send(&data[sa..]).unwrap_or(0);
        sb += b.send(&back[sb..]).unwrap_or(0);
        pump(&mut a, &mut b, now);
        gb.extend(read_all(&mut b));
        ga.extend(read_all(&mut a));
        now += Duration::from_millis(50);
        a.handle_timeout(now);
        b.handle_timeout(now);
        assert!(now < ms(100_000));
    }
    assert!(gb == data && ga == back);
    assert!(a.snd_nxt() < 1_000_000, "sequence space wrapped");
}

#[test]
fn slow_start_restarts_after_idle() {
    // RFC 5681 §4.1: "if the TCP has not sent data in an interval exceeding
    // the retransmission timeout ... cwnd is reduced to ... RW = min(IW,
    // cwnd)".
    let (mut a, mut b) = established(cfg(), cfg());
    let data = pattern(200_000, 11);
    let mut sent = 0;
    let mut now = ms(0);
    while sent < data.len() {
        sent += a.send(&data[sent..]).unwrap_or(0);
        pump(&mut a, &mut b, now);
        read_all(&mut b);
        now += Duration::from_millis(50);
        a.handle_timeout(now);
        b.handle_timeout(now);
    }
    pump(&mut a, &mut b, now);
    let grown = a.cwnd();
    assert!(grown > 14_480, "cwnd {grown}");
    // Idle for 10 s, then send again: the first flight is IW again.
    now += Duration::from_secs(10);
    a.send(&pattern(100_000, 12)).unwrap();
    let burst = drain(&mut a, now);
    assert_eq!(burst.len(), 10);
    assert_eq!(a.cwnd(), 14_480);
}

#[test]
fn closed_connection_answers_with_reset() {
    // RFC 9293 §3.10.7.1: "If the state is CLOSED ... An incoming segment
    // not containing a RST causes a RST to be sent in response."
    let (mut a, mut b) = established(cfg(), cfg());
    a.abort();
    drain(&mut a, ms(0));
    b.send(b"anyone?").unwrap();
    let data = one(&mut b, ms(1));
    deliver(&mut a, ms(1), &data);
    let rst = one(&mut a, ms(1));
    assert_eq!((rst.flags(), rst.repr.seq), (Flags::RST, data.repr.ack));
    // Without ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    let bare = data.edit(|r| r.flags = Flags::PSH);
    let reply = strata_tcp::connection::reset_reply(&bare.repr).unwrap();
    assert_eq!(reply.flags, Flags::RST | Flags::ACK);
    assert_eq!(reply.ack, data.repr.seq + 7);
    assert_eq!((reply.src_port, reply.dst_port), (A.port(), B.port()));
    // A reset is never answered.
    assert!(strata_tcp::connection::reset_reply(&rst.repr).is_none());
}

#[test]
fn segments_for_other_connections_are_ignored() {
    let (mut a, mut b) = established(cfg(), cfg());
    b.send(b"x").unwrap();
    let seg = one(&mut b, ms(0));
    let other_port = seg.edit(|r| r.src_port = 81);
    deliver(&mut a, ms(0), &other_port);
    let other_host = build(
        std::net::Ipv4Addr::new(198, 18, 9, 9),
        A_IP,
        seg.repr,
        seg.payload(),
    );
    deliver(&mut a, ms(0), &other_host);
    assert_eq!(a.stats().segments_received, 1); // the handshake's SYN-ACK
    assert_eq!(read_all(&mut a), b"");
    deliver(&mut a, ms(0), &seg);
    assert_eq!(read_all(&mut a), b"x");
}

#[test]
fn urgent_pointer_is_recorded_and_data_stays_inline() {
    // RFC 9293 §3.8.5 with RFC 6093: urgent data is delivered in the
    // stream; only the pointer is signalled.
    let (mut a, mut b) = established(cfg(), cfg());
    b.send(b"abc!").unwrap();
    let seg = one(&mut b, ms(0)).edit(|r| {
        r.flags |= Flags::URG;
        r.urgent = 4;
    });
    deliver(&mut a, ms(0), &seg);
    assert_eq!(a.urgent_pointer(), Some(seg.repr.seq + 4));
    assert_eq!(read_all(&mut a), b"abc!");
}

#[test]
fn constructors_check_their_inputs() {
    let mut a = client(cfg());
    let syn = one(&mut a, ms(0));
    let mut not_syn = syn.repr;
    not_syn.flags = Flags::ACK;
    assert_eq!(
        Connection::accept(ms(0), B, A, &not_syn, cfg(), 1).unwrap_err(),
        Error::InvalidSegment
    );
    let mut syn_ack = syn.repr;
    syn_ack.flags = Flags::SYN | Flags::ACK;
    assert!(Connection::accept(ms(0), B, A, &syn_ack, cfg(), 1).is_err());
    let empty = Config {
        recv_buffer: 0,
        ..cfg()
    };
    assert_eq!(
        Connection::connect_with_iss(ms(0), A, B, empty, 1).unwrap_err(),
        Error::InvalidConfig
    );
    assert_eq!(
        Config { mss: 10, ..cfg() }.validate(),
        Err(Error::InvalidConfig)
    );
    // Data on a SYN is not acknowledged (it will come again).
    let mut b = Connection::accept(ms(0), B, A, &syn.repr, cfg(), ISS_B).unwrap();
    let synack = one(&mut b, ms(0));
    assert_eq!(synack.repr.ack, ISS_A + 1);
}

#[test]
fn from_handshake_builds_an_established_connection() {
    // A handshake completed outside the connection (a socket layer's own
    // SYN queue): the SYN, our ISS and the ACK are enough to continue as
    // if the connection had answered the SYN itself (RFC 9293 §3.10.7.4,
    // SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT, then enter
    // ESTABLISHED state").
    let mut a = client(Config::default());
    let syn = one(&mut a, ms(0));
    let mut answer = Connection::accept(ms(0), B, A, &syn.repr, Config::default(), ISS_B).unwrap();
    let synack = one(&mut answer, ms(0));
    deliver(&mut a, ms(10), &synack);
    a.send(b"first words").unwrap();
    let ack = drain(&mut a, ms(10)).remove(0);
    // The wrong ISS is refused.
    assert_eq!(
        Connection::from_handshake(
            ms(20),
            B,
            A,
            &syn.repr,
            ISS_B + 1,
            &ack.repr,
            ack.payload(),
            Config::default()
        )
        .unwrap_err(),
        strata_tcp::Error::InvalidSegment
    );
    let mut b = Connection::from_handshake(
        ms(20),
        B,
        A,
        &syn.repr,
        ISS_B,
        &ack.repr,
        ack.payload(),
        Config::default(),
    )
    .unwrap();
    assert_eq!(b.state(), State::Established);
    assert_eq!(b.iss(), ISS_B);
    assert_eq!(b.sack_enabled(), a.sack_enabled());
    assert_eq!(b.timestamps_enabled(), a.timestamps_enabled());
    assert_eq!(
        b.window_shifts(),
        (a.window_shifts().1, a.window_shifts().0)
    );
    b.send(b"and the reply").unwrap();
    run(&mut a, &mut b, ms(20), ms(2000));
    assert_eq!(read_all(&mut b), b"first words");
    assert_eq!(read_all(&mut a), b"and the reply");
    assert_eq!(a.snd_una(), a.snd_nxt());
    assert_eq!(b.snd_una(), b.snd_nxt());
}
