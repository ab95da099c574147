//! What a socket call reports when it fails, as the BSD API would.

use core::fmt;

use strata_dns::resolver::ResolveError;

/// Why a socket call failed. Each variant is one `errno` of the BSD socket
/// API ([`Error::errno_name`]); [`Error::Resolve`] carries a failed name
/// lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// `EAGAIN`/`EWOULDBLOCK`: nothing to read, no room to send, no
    /// connection to accept. Retry after readiness says so.
    WouldBlock,
    /// `EINPROGRESS`: a non-blocking connect started; the socket turns
    /// writable when it completes, or reports an error.
    InProgress,
    /// `EADDRINUSE`: the address and port are bound already.
    AddrInUse,
    /// `EADDRNOTAVAIL`: the address is not one of the host's, or no
    /// ephemeral port is free for the destination.
    AddrNotAvailable,
    /// `ECONNREFUSED`: the peer answered the connection request with a
    /// reset, or an ICMP port (or protocol) unreachable came back.
    ConnectionRefused,
    /// `ECONNRESET`: the peer reset an open connection.
    ConnectionReset,
    /// `ECONNABORTED`: the connection was aborted on this side.
    ConnectionAborted,
    /// `ETIMEDOUT`: the peer stopped answering.
    TimedOut,
    /// `EHOSTUNREACH`: no route to the host (ICMP host unreachable, or
    /// address resolution gave up).
    HostUnreachable,
    /// `ENETUNREACH`: the network is unreachable.
    NetworkUnreachable,
    /// `ENOTCONN`: the socket is not connected.
    NotConnected,
    /// `EISCONN`: the socket is already connected.
    IsConnected,
    /// `EALREADY`: a connect is already in progress.
    AlreadyInProgress,
    /// `EINVAL`: an argument makes no sense for this socket.
    InvalidInput,
    /// `EBADF`: no such descriptor.
    BadDescriptor,
    /// `EINVAL` from `accept`: the socket is not listening.
    NotListening,
    /// `EINVAL`: the call is not possible in the socket's current state
    /// (binding twice, listening on a connected socket).
    InvalidState,
    /// `EPIPE`: the sending side is shut down.
    BrokenPipe,
    /// `EMSGSIZE`: a datagram larger than UDP can carry (65,507 bytes).
    MessageTooLong,
    /// `EACCES`: a datagram to a broadcast address without the
    /// [`Broadcast`](crate::SocketOption::Broadcast) option.
    PermissionDenied,
    /// `ENOBUFS`: a bounded table or queue is full.
    NoBufferSpace,
    /// `EMFILE`: [`max_sockets`](crate::SocketsConfig::max_sockets) sockets
    /// exist already.
    TooManyOpenFiles,
    /// `EOPNOTSUPP`: the call or option does not apply to this kind of
    /// socket, or cannot change an existing connection.
    Unsupported,
    /// A name lookup failed.
    Resolve(ResolveError),
}

impl Error {
    /// The C name of the `errno` value the BSD API would set
    /// (`"ECONNREFUSED"`), or the `getaddrinfo` error for a failed lookup
    /// (`"EAI_NONAME"`).
    #[must_use]
    pub fn errno_name(&self) -> &'static str {
        match self {
            Error::WouldBlock => "EWOULDBLOCK",
            Error::InProgress => "EINPROGRESS",
            Error::AddrInUse => "EADDRINUSE",
            Error::AddrNotAvailable => "EADDRNOTAVAIL",
            Error::ConnectionRefused => "ECONNREFUSED",
            Error::ConnectionReset => "ECONNRESET",
            Error::ConnectionAborted => "ECONNABORTED",
            Error::TimedOut => "ETIMEDOUT",
            Error::HostUnreachable => "EHOSTUNREACH",
            Error::NetworkUnreachable => "ENETUNREACH",
            Error::NotConnected => "ENOTCONN",
            Error::IsConnected => "EISCONN",
            Error::AlreadyInProgress => "EALREADY",
            Error::InvalidInput | Error::NotListening | Error::InvalidState => "EINVAL",
            Error::BadDescriptor => "EBADF",
            Error::BrokenPipe => "EPIPE",
            Error::MessageTooLong => "EMSGSIZE",
            Error::PermissionDenied => "EACCES",
            Error::NoBufferSpace => "ENOBUFS",
            Error::TooManyOpenFiles => "EMFILE",
            Error::Unsupported => "EOPNOTSUPP",
            Error::Resolve(e) => match e {
                ResolveError::NxDomain { .. } | ResolveError::InvalidName { .. } => "EAI_NONAME",
                ResolveError::NoData { .. } => "EAI_NODATA",
                ResolveError::TooManyLookups { .. } => "EAI_MEMORY",
                ResolveError::TimedOut { .. } | ResolveError::ServFail { .. } => "EAI_AGAIN",
                _ => "EAI_FAIL",
            },
        }
    }

    /// The closest [`std::io::ErrorKind`], for layers that speak
    /// `std::io` (a blocking `TcpStream`).
    #[must_use]
    pub fn io_kind(&self) -> std::io::ErrorKind {
        use std::io::ErrorKind as K;
        match self {
            Error::WouldBlock | Error::InProgress | Error::AlreadyInProgress => K::WouldBlock,
            Error::AddrInUse => K::AddrInUse,
            Error::AddrNotAvailable => K::AddrNotAvailable,
            Error::ConnectionRefused => K::ConnectionRefused,
            Error::ConnectionReset => K::ConnectionReset,
            Error::ConnectionAborted => K::ConnectionAborted,
            Error::TimedOut => K::TimedOut,
            Error::HostUnreachable => K::HostUnreachable,
            Error::NetworkUnreachable => K::NetworkUnreachable,
            Error::NotConnected => K::NotConnected,
            Error::BrokenPipe => K::BrokenPipe,
            Error::PermissionDenied => K::PermissionDenied,
            Error::Unsupported => K::Unsupported,
            Error::NoBufferSpace | Error::TooManyOpenFiles => K::OutOfMemory,
            Error::Resolve(_) => K::NotFound,
            Error::IsConnected
            | Error::InvalidInput
            | Error::BadDescriptor
            | Error::NotListening
            | Error::InvalidState
            | Error::MessageTooLong => K::InvalidInput,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Error::WouldBlock => "Resource temporarily unavailable",
            Error::InProgress => "Operation now in progress",
            Error::AddrInUse => "Address already in use",
            Error::AddrNotAvailable => "Cannot assign requested address",
            Error::ConnectionRefused => "Connection refused",
            Error::ConnectionReset => "Connection reset by peer",
            Error::ConnectionAborted => "Software caused connection abort",
            Error::TimedOut => "Connection timed out",
            Error::HostUnreachable => "No route to host",
            Error::NetworkUnreachable => "Network is unreachable",
            Error::NotConnected => "Transport endpoint is not connected",
            Error::IsConnected => "Transport endpoint is already connected",
            Error::AlreadyInProgress => "Operation already in progress",
            Error::InvalidInput => "Invalid argument",
            Error::BadDescriptor => "Bad file descriptor",
            Error::NotListening => "Invalid argument (socket is not listening)",
            Error::InvalidState => "Invalid argument (not possible in the socket's state)",
            Error::BrokenPipe => "Broken pipe",
            Error::MessageTooLong => "Message too long",
            Error::PermissionDenied => "Permission denied",
            Error::NoBufferSpace => "No buffer space available",
            Error::TooManyOpenFiles => "Too many open files",
            Error::Unsupported => "Operation not supported",
            Error::Resolve(e) => return write!(f, "name resolution failed: {e}"),
        };
        f.write_str(s)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Resolve(e) => Some(e),
            _ => None,
        }
    }
}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        std::io::Error::new(e.io_kind(), e)
    }
}

impl From<ResolveError> for Error {
    fn from(e: ResolveError) -> Self {
        Error::Resolve(e)
    }
}
