//! A window on the frames an interface moves, for tools that show them
//! (`strata demo` prints each layer; a test can assert on the sequence).

use strata_core::time::Instant;

/// Which way a frame went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Received from the device.
    Rx,
    /// Handed to the device.
    Tx,
}

/// One frame as the interface saw it: borrowed for the duration of the
/// observer call, so observing costs no copy unless the observer makes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameRecord<'a> {
    /// When.
    pub time: Instant,
    /// Which way.
    pub direction: Direction,
    /// The whole Ethernet frame (no FCS).
    pub frame: &'a [u8],
}

/// The callback type [`Interface::set_observer`](super::Interface::set_observer) takes.
pub type Observer = Box<dyn FnMut(&FrameRecord<'_>) + Send>;
