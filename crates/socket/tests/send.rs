//! The socket table can be moved to another thread (its random source is
//! `Send`): a host can be built on one thread and run on another.
#![allow(clippy::unwrap_used)]

use std::net::{Ipv4Addr, SocketAddrV4};

use strata_core::rand::SplitMix64;
use strata_core::time::Instant;
use strata_socket::{SocketKind, Sockets, SocketsConfig};

const fn assert_send<T: Send>() {}
const _: () = assert_send::<Sockets>();

#[test]
fn a_table_moves_to_another_thread() {
    let mut sockets = Sockets::new(SocketsConfig::default(), Box::new(SplitMix64::new(5)));
    sockets.set_addresses(&[Ipv4Addr::new(198, 18, 0, 2)]);
    let fd = sockets.socket(SocketKind::Datagram).unwrap();
    let to = SocketAddrV4::new(Ipv4Addr::new(198, 18, 0, 1), 9);
    let len = std::thread::spawn(move || {
        sockets.send_to(Instant::ZERO, fd, b"moved", to).unwrap();
        let mut buf = [0u8; 64];
        sockets.poll_transmit(Instant::ZERO, &mut buf).unwrap().len
    })
    .join()
    .unwrap();
    assert_eq!(len, 13);
}
