//! A host can be built on one thread and driven on another: `Interface`
//! (with its sockets, caches and observer) is `Send`.

use std::thread;

use strata::iface::{Interface, InterfaceConfig};
use strata_core::time::Instant;

const fn assert_send<T: Send>() {}
const _: () = assert_send::<Interface>();

#[test]
fn an_interface_moves_to_another_thread_and_runs_there() {
    let config = InterfaceConfig::new(
        "02:00:00:00:00:07".parse().unwrap(),
        "198.18.0.7/24".parse().unwrap(),
    );
    let mut iface = Interface::new(config).unwrap();
    let (frames_tx, frames_rx) = std::sync::mpsc::channel();
    iface.set_observer(Some(Box::new(move |record| {
        frames_tx.send(record.frame.len()).unwrap();
    })));
    let (mut dev, _peer) = strata::device::memory::pair(1500);
    let handle = thread::spawn(move || {
        // The gratuitous ARP announcement of our address goes out at once.
        iface.poll(Instant::ZERO, &mut dev);
        iface
    });
    let _iface = handle.join().unwrap();
    assert_eq!(
        frames_rx.try_recv(),
        Ok(60),
        "the announcement, seen by the observer"
    );
}
