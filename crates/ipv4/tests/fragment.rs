//! Fragmentation: errors, a datagram that fits, fragments of fragments,
//! the RFC 791 copy flag and the offsets Linux would choose.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use core::net::Ipv4Addr;

use strata_ipv4::fragment::{FragmentError, copied_options, fragment};
use strata_ipv4::options::{Ipv4Option, Options, Route};
use strata_ipv4::{Packet, Protocol, Repr};

fn header(payload_len: usize) -> Repr {
    let mut h = Repr::new(
        Ipv4Addr::new(198, 18, 0, 1),
        Ipv4Addr::new(198, 19, 0, 1),
        Protocol::ICMP,
        payload_len,
    );
    h.identification = 0xbeef;
    h
}

#[test]
fn a_datagram_that_fits_is_one_unchanged_fragment() {
    let mut h = header(1480);
    h.dont_fragment = true;
    let payload = vec![7u8; 1480];
    let all: Vec<_> = fragment(&h, &payload, 1500).unwrap().collect();
    assert_eq!(all, vec![(h, 0..1480)]);
    let it = fragment(&h, &payload, 1500).unwrap();
    assert_eq!(it.len(), 1);
    assert_eq!(it.payload().len(), 1480);
}

#[test]
fn errors() {
    let payload = vec![0u8; 2000];
    let mut h = header(2000);
    h.dont_fragment = true;
    assert_eq!(
        fragment(&h, &payload, 1500).unwrap_err(),
        FragmentError::DontFragment
    );
    h.dont_fragment = false;
    assert_eq!(
        fragment(&h, &payload, 27).unwrap_err(),
        FragmentError::MtuTooSmall
    );
    // 28 leaves exactly 8 bytes.
    assert_eq!(fragment(&h, &payload, 28).unwrap().count(), 250);
    assert_eq!(
        fragment(&h, &payload[..10], 1500).unwrap_err(),
        FragmentError::PayloadLengthMismatch {
            expected: 2000,
            found: 10
        }
    );
    let mut late = header(2000);
    late.fragment_offset = 8000;
    assert_eq!(
        fragment(&late, &payload, 1500).unwrap_err(),
        FragmentError::TooLong { end: 66000 }
    );
    // The first fragment's options may leave no room while later ones would.
    let mut opts = header(2000);
    for _ in 0..10 {
        opts.options.push(&Ipv4Option::RouterAlert(0)).unwrap();
    }
    assert_eq!(
        fragment(&opts, &payload, 64).unwrap_err(),
        FragmentError::MtuTooSmall
    );
    for e in [
        FragmentError::DontFragment,
        FragmentError::TooLong { end: 1 },
    ] {
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn copy_flag_selects_the_options_of_later_fragments() {
    let addrs = [198u8, 18, 0, 1, 198, 18, 0, 2];
    let mut options = Options::EMPTY;
    options
        .push(&Ipv4Option::RecordRoute(Route {
            pointer: 4,
            data: &addrs,
        }))
        .unwrap();
    options
        .push(&Ipv4Option::LooseSourceRoute(Route {
            pointer: 4,
            data: &addrs,
        }))
        .unwrap();
    options.push(&Ipv4Option::Nop).unwrap();
    options.push(&Ipv4Option::RouterAlert(0)).unwrap();
    let copied = copied_options(&options);
    let kinds: Vec<u8> = copied
        .iter()
        .map(|o| o.kind().0)
        .filter(|&k| k != 0)
        .collect();
    // Loose source route (131) and router alert (148) have the copied bit;
    // record route (7) and NOP (1) do not.
    assert_eq!(kinds, [131, 148]);
    assert_eq!(copied.len(), 16);

    let mut h = header(1000);
    h.options = options;
    let payload: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
    let pieces: Vec<_> = fragment(&h, &payload, 300).unwrap().collect();
    // First: 300 - (20 + 28) = 252 -> 248 bytes; later: 300 - 36 = 264 bytes.
    let lens: Vec<usize> = pieces.iter().map(|(_, r)| r.len()).collect();
    assert_eq!(lens, [248, 264, 264, 224]);
    assert_eq!(pieces[0].0.options, options);
    for (repr, range) in &pieces[1..] {
        assert_eq!(repr.options, copied);
        assert_eq!(repr.fragment_offset as usize * 8, range.start);
        assert!(repr.total_len() <= 300);
    }
    for (i, (repr, range)) in pieces.iter().enumerate() {
        let mut buf = vec![0u8; repr.total_len()];
        buf[repr.header_len()..].copy_from_slice(&payload[range.clone()]);
        repr.emit(&mut buf).unwrap();
        let p = Packet::parse_verified(&buf[..]).unwrap();
        assert_eq!(p.more_fragments(), i < 3);
        assert_eq!(p.identification(), 0xbeef);
    }
}

#[test]
fn fragments_of_a_fragment_continue_its_offsets() {
    // The middle piece of some larger datagram: offset 1480, MF set.
    let mut h = header(1480);
    h.fragment_offset = 185;
    h.more_fragments = true;
    let payload = vec![1u8; 1480];
    let pieces: Vec<_> = fragment(&h, &payload, 576).unwrap().collect();
    let shape: Vec<(u16, bool, usize)> = pieces
        .iter()
        .map(|(r, range)| (r.fragment_offset, r.more_fragments, range.len()))
        .collect();
    assert_eq!(
        shape,
        [(185, true, 552), (254, true, 552), (323, true, 376)]
    );
    // The last piece of a datagram keeps MF clear at the end.
    h.more_fragments = false;
    let last = fragment(&h, &payload, 576).unwrap().last().unwrap();
    assert!(!last.0.more_fragments);
}

#[test]
fn size_hint_is_exact() {
    for len in [0usize, 1, 7, 8, 1480, 1481, 4000, 65_000] {
        for mtu in [68usize, 100, 576, 1500, 9000] {
            let h = header(len);
            let payload = vec![0u8; len];
            let mut it = fragment(&h, &payload, mtu).unwrap();
            let mut n = it.len();
            let mut covered = 0;
            while let Some((_, range)) = it.next() {
                assert_eq!(range.start, covered);
                covered = range.end;
                n -= 1;
                assert_eq!(it.len(), n);
            }
            assert_eq!((n, covered), (0, len));
        }
    }
}
