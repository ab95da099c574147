//! Why an application call on a connection failed.

use core::fmt;

/// Why [`Connection`](super::Connection) refused a call or could not be
/// made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// Nothing can be done now: no data to read, no room to send. Try again
    /// after an [`Event`](super::Event).
    WouldBlock,
    /// The connection has no remote end yet (LISTEN) or was never opened.
    NotConnected,
    /// The send side was shut down (RFC 9293: "connection closing"), or
    /// after `close` the application may no longer read.
    Closing,
    /// The connection is closed (RFC 9293: "connection does not exist").
    Closed,
    /// The peer reset the connection.
    Reset,
    /// The peer refused the connection.
    Refused,
    /// The peer stopped answering.
    TimedOut,
    /// The local application aborted the connection.
    Aborted,
    /// A segment handed to a constructor was not the kind it needs (a SYN
    /// without ACK for [`Connection::accept`](super::Connection::accept),
    /// an ACK for [`Connection::from_cookie`](super::Connection::from_cookie)).
    InvalidSegment,
    /// A [`Config`](super::Config) value is out of range.
    InvalidConfig,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Error::WouldBlock => "operation would block",
            Error::NotConnected => "connection has no remote end",
            Error::Closing => "connection closing",
            Error::Closed => "connection does not exist",
            Error::Reset => "connection reset by peer",
            Error::Refused => "connection refused",
            Error::TimedOut => "connection timed out",
            Error::Aborted => "connection aborted locally",
            Error::InvalidSegment => "segment cannot open a connection",
            Error::InvalidConfig => "invalid connection configuration",
        };
        f.write_str(s)
    }
}

impl core::error::Error for Error {}
