//! A Linux TAP interface: [`TapDevice`].
//!
//! A TAP interface is a virtual Ethernet NIC whose "wire" is a file
//! descriptor: frames the kernel sends out of the interface are read from
//! the descriptor, and frames written to it arrive at the kernel as if
//! received. With strata on one end and the kernel's own stack on the
//! other, the two talk Ethernet, ARP, IP, TCP and UDP to each other.
//!
//! [`TapDevice::open`] opens `/dev/net/tun` and binds it to the named
//! interface with `TUNSETIFF` (`IFF_TAP | IFF_NO_PI`: Ethernet frames with
//! no packet-information prefix). If the interface exists (a persistent
//! TAP made with `ip tuntap add NAME mode tap`), it is attached to and left
//! as it was found when the device is dropped. If it does not exist, the
//! kernel creates it, non-persistent (`TUNSETPERSIST` 0), so it disappears
//! when the device is dropped. Creating needs `CAP_NET_ADMIN`; attaching
//! to a persistent TAP made for the caller's user (`ip tuntap add NAME
//! mode tap user USER`, already up) does not, as long as
//! [`TapOptions::bring_up`] is false and no MTU is set (those ioctls need
//! it).
//!
//! The interface is brought up (`SIOCSIFFLAGS` with `IFF_UP`) unless
//! [`TapOptions::bring_up`] is false, and its MTU is read (`SIOCGIFMTU`)
//! or set ([`TapOptions::mtu`], `SIOCSIFMTU`). The kernel side's address
//! is the caller's business (`ip addr add 198.18.0.1/24 dev NAME`). The
//! MTU is read once: changing it on the interface later is not noticed.
//!
//! The descriptor is non-blocking: [`receive`](Device::receive) returns
//! `None` when no frame waits, and a host with nothing to do waits in
//! [`TapDevice::wait`] (poll(2) for readability, with a timeout: the
//! host's next `poll_at`) instead of spinning. [`TapDevice::raw_fd`] lends
//! the descriptor to an event loop of the caller's own.
//!
//! This is the one module of strata that uses `unsafe`: the ioctls and
//! poll(2) have no safe interface in the standard library. Reads and
//! writes go through `std::fs::File` and need none.
//!
//! ```no_run
//! use std::time::Duration;
//! use strata::device::tap::TapDevice;
//! use strata::device::Device;
//! use strata_core::time::Instant;
//!
//! let mut tap = TapDevice::open("strata0")?;
//! println!("{} is up, MTU {}", tap.name(), tap.mtu());
//! if tap.wait(Some(Duration::from_secs(1)))? {
//!     let len = tap.receive(Instant::ZERO, |frame| frame.len());
//!     println!("the kernel sent a frame of {len:?} bytes");
//! }
//! # Ok::<(), std::io::Error>(())
//! ```

// The module needs system calls that the standard library does not wrap:
// ioctl(2) on the TUN device and on a socket, and poll(2). Every unsafe
// block below says why it is sound.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::time::Duration as StdDuration;

use strata_core::time::Instant;

use super::{Device, DeviceError, ETHERNET_HEADER_LEN};

/// Extra room in the receive buffer beyond the largest frame, so that a
/// longer frame (an 802.1Q tag, an MTU raised behind our back) is seen as
/// too long rather than silently cut by read(2).
const RX_SLACK: usize = 64;

/// How [`TapDevice::open_with`] sets the interface up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TapOptions {
    /// Set the interface's MTU to this instead of reading it.
    pub mtu: Option<usize>,
    /// Bring the interface up (`IFF_UP`). When false, the caller does it
    /// (`ip link set NAME up`); frames only flow once it is up.
    pub bring_up: bool,
}

impl Default for TapOptions {
    fn default() -> Self {
        Self {
            mtu: None,
            bring_up: true,
        }
    }
}

/// Counters of a TAP device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TapStats {
    /// Frames read from the interface.
    pub rx_frames: u64,
    /// Bytes read.
    pub rx_bytes: u64,
    /// Frames written to the interface.
    pub tx_frames: u64,
    /// Bytes written.
    pub tx_bytes: u64,
    /// Frames read that were longer than [`Device::max_frame_len`] and
    /// dropped.
    pub rx_too_long: u64,
    /// Reads that failed with an error other than "would block".
    pub rx_errors: u64,
    /// Writes the kernel refused for now ("would block"); the frame was
    /// kept and written later.
    pub tx_deferred: u64,
}

/// A Linux TAP interface; see the [module documentation](self).
pub struct TapDevice {
    file: File,
    name: String,
    mtu: usize,
    created: bool,
    rx_buf: Box<[u8]>,
    tx_buf: Box<[u8]>,
    /// Length of a frame in `tx_buf` that the kernel refused with EAGAIN:
    /// written before anything else.
    tx_pending: Option<usize>,
    last_rx_error: Option<io::ErrorKind>,
    stats: TapStats,
}

impl fmt::Debug for TapDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TapDevice")
            .field("name", &self.name)
            .field("fd", &self.file.as_raw_fd())
            .field("mtu", &self.mtu)
            .field("created", &self.created)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// An `ifreq` naming `name`, everything else zero.
fn ifreq(name: &str) -> io::Result<libc::ifreq> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) || name.contains('/')
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "bad interface name {name:?}: 1 to {} bytes, no '/' or NUL",
                libc::IFNAMSIZ - 1
            ),
        ));
    }
    // SAFETY: `ifreq` is plain old data (integers, byte arrays, raw
    // pointers and unions of those): all-zero bytes are a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, &src) in req.ifr_name.iter_mut().zip(bytes) {
        *dst = src as libc::c_char;
    }
    Ok(req)
}

/// ioctl(2) with an `ifreq` argument.
fn ioctl_ifreq(fd: BorrowedFd<'_>, request: libc::Ioctl, req: &mut libc::ifreq) -> io::Result<()> {
    // SAFETY: `fd` is an open descriptor for the whole call (borrowed),
    // and every request used with this helper reads and writes at most one
    // `struct ifreq`, which `req` points to and which lives through the
    // call.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), request, std::ptr::from_mut(req)) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// An AF_INET datagram socket, for the interface ioctls (they work on any
/// socket of the network namespace).
fn control_socket() -> io::Result<OwnedFd> {
    // SAFETY: socket(2) takes no pointers.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by socket(2), is open, and nothing
    // else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Whether an interface called `name` exists in this network namespace.
fn interface_exists(name: &str) -> bool {
    let Ok(c_name) = CString::new(name) else {
        return false;
    };
    // SAFETY: `c_name` is a NUL-terminated string that outlives the call.
    unsafe { libc::if_nametoindex(c_name.as_ptr()) != 0 }
}

/// Adds context to an error from setting up `name`.
fn context(name: &str, what: &str, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("TAP {name}: {what}: {e}"))
}

impl TapDevice {
    /// Attaches to the TAP interface `name`, creating it if it does not
    /// exist, brings it up and reads its MTU.
    ///
    /// # Errors
    /// `/dev/net/tun` cannot be opened (no TUN support, no permission), the
    /// name is invalid or taken by an interface that is not a TAP, another
    /// process holds the TAP (`EBUSY`), or an ioctl fails (no
    /// `CAP_NET_ADMIN`).
    pub fn open(name: &str) -> io::Result<Self> {
        Self::open_with(name, TapOptions::default())
    }

    /// Like [`open`](Self::open), set up as `options` say.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn open_with(name: &str, options: TapOptions) -> io::Result<Self> {
        let mut req = ifreq(name)?;
        let existed = interface_exists(name);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open("/dev/net/tun")
            .map_err(|e| context(name, "cannot open /dev/net/tun", e))?;
        // The flag values fit in the c_short the kernel reads.
        req.ifr_ifru.ifru_flags = (libc::IFF_TAP | libc::IFF_NO_PI) as libc::c_short;
        ioctl_ifreq(file.as_fd(), libc::TUNSETIFF, &mut req)
            .map_err(|e| context(name, "TUNSETIFF", e))?;
        if !existed {
            // SAFETY: TUNSETPERSIST takes its argument by value (an
            // integer, not a pointer); the descriptor is open.
            let r =
                unsafe { libc::ioctl(file.as_raw_fd(), libc::TUNSETPERSIST, 0 as libc::c_ulong) };
            if r < 0 {
                return Err(context(name, "TUNSETPERSIST", io::Error::last_os_error()));
            }
        }
        let socket = control_socket().map_err(|e| context(name, "socket", e))?;
        let mtu = match options.mtu {
            Some(mtu) => {
                let mut req = ifreq(name)?;
                req.ifr_ifru.ifru_mtu = libc::c_int::try_from(mtu).map_err(|_| {
                    io::Error::new(io::ErrorKind::InvalidInput, format!("MTU {mtu} too large"))
                })?;
                ioctl_ifreq(socket.as_fd(), libc::SIOCSIFMTU, &mut req)
                    .map_err(|e| context(name, "SIOCSIFMTU", e))?;
                mtu
            }
            None => {
                let mut req = ifreq(name)?;
                ioctl_ifreq(socket.as_fd(), libc::SIOCGIFMTU, &mut req)
                    .map_err(|e| context(name, "SIOCGIFMTU", e))?;
                // SAFETY: SIOCGIFMTU filled the `ifru_mtu` member; any bit
                // pattern is a valid c_int.
                let mtu = unsafe { req.ifr_ifru.ifru_mtu };
                usize::try_from(mtu).map_err(|_| {
                    io::Error::new(io::ErrorKind::InvalidData, format!("TAP {name}: MTU {mtu}"))
                })?
            }
        };
        if options.bring_up {
            set_up(socket.as_fd(), name)?;
        }
        let max_frame_len = mtu.saturating_add(ETHERNET_HEADER_LEN);
        Ok(Self {
            file,
            name: name.to_owned(),
            mtu,
            created: !existed,
            rx_buf: vec![0; max_frame_len + RX_SLACK].into_boxed_slice(),
            tx_buf: vec![0; max_frame_len].into_boxed_slice(),
            tx_pending: None,
            last_rx_error: None,
            stats: TapStats::default(),
        })
    }

    /// The interface's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The interface's MTU, as read or set when it was opened.
    #[must_use]
    pub fn mtu(&self) -> usize {
        self.mtu
    }

    /// Whether opening created the interface (it disappears when this
    /// device is dropped) rather than attaching to an existing one.
    #[must_use]
    pub fn created(&self) -> bool {
        self.created
    }

    /// The descriptor, for an event loop: readable when a frame waits.
    /// It stays owned by the device.
    #[must_use]
    pub fn raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> TapStats {
        self.stats
    }

    /// The last error a read met, other than "would block" (receive has
    /// no way to return it; it is counted in [`TapStats::rx_errors`]).
    #[must_use]
    pub fn last_rx_error(&self) -> Option<io::ErrorKind> {
        self.last_rx_error
    }

    /// Blocks until a frame can be read or `timeout` passes (`None`: no
    /// limit). Returns whether a frame waits; a signal interrupting the
    /// wait counts as a timeout.
    ///
    /// # Errors
    /// poll(2) failed, or reported the descriptor in error.
    pub fn wait(&self, timeout: Option<StdDuration>) -> io::Result<bool> {
        let mut pfd = libc::pollfd {
            fd: self.file.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ts = timeout.map(|t| libc::timespec {
            tv_sec: libc::time_t::try_from(t.as_secs()).unwrap_or(libc::time_t::MAX),
            // Below 10^9: fits every c_long.
            tv_nsec: t.subsec_nanos() as libc::c_long,
        });
        let ts_ptr = ts.as_ref().map_or(std::ptr::null(), std::ptr::from_ref);
        // SAFETY: `pfd` is one valid pollfd (count 1) and `ts_ptr` is null
        // or points to `ts`; both live through the call. A null signal
        // mask leaves the mask unchanged.
        let r = unsafe { libc::ppoll(&raw mut pfd, 1, ts_ptr, std::ptr::null()) };
        if r < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted {
                Ok(false)
            } else {
                Err(e)
            };
        }
        if pfd.revents & (libc::POLLERR | libc::POLLNVAL) != 0 {
            return Err(io::Error::other(format!(
                "TAP {}: poll reported an error on the descriptor",
                self.name
            )));
        }
        Ok(pfd.revents & libc::POLLIN != 0)
    }

    /// Writes the frame in `tx_buf[..len]`. `Ok(false)`: the kernel would
    /// block.
    fn write_frame(&mut self, len: usize) -> Result<bool, DeviceError> {
        let frame = self.tx_buf.get(..len).unwrap_or(&[]);
        match (&self.file).write(frame) {
            Ok(_) => {
                self.stats.tx_frames += 1;
                self.stats.tx_bytes += len as u64;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
            Err(e) if e.raw_os_error() == Some(libc::EBADFD) => Err(DeviceError::Closed),
            Err(e) => Err(DeviceError::Io(e.kind())),
        }
    }
}

/// Sets `IFF_UP` on `name`, keeping its other flags.
fn set_up(socket: BorrowedFd<'_>, name: &str) -> io::Result<()> {
    let mut req = ifreq(name)?;
    ioctl_ifreq(socket, libc::SIOCGIFFLAGS, &mut req)
        .map_err(|e| context(name, "SIOCGIFFLAGS", e))?;
    // SAFETY: SIOCGIFFLAGS filled the `ifru_flags` member; any bit pattern
    // is a valid c_short.
    let flags = unsafe { req.ifr_ifru.ifru_flags };
    req.ifr_ifru.ifru_flags = flags | libc::IFF_UP as libc::c_short;
    ioctl_ifreq(socket, libc::SIOCSIFFLAGS, &mut req).map_err(|e| context(name, "SIOCSIFFLAGS", e))
}

impl AsFd for TapDevice {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

impl AsRawFd for TapDevice {
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

impl Device for TapDevice {
    fn max_frame_len(&self) -> usize {
        self.mtu.saturating_add(ETHERNET_HEADER_LEN)
    }

    fn receive<R>(&mut self, _now: Instant, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let max = self.max_frame_len();
        loop {
            match (&self.file).read(&mut self.rx_buf) {
                Ok(n) if n > max => self.stats.rx_too_long += 1,
                Ok(n) => {
                    self.stats.rx_frames += 1;
                    self.stats.rx_bytes += n as u64;
                    return Some(f(self.rx_buf.get(..n).unwrap_or(&[])));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.stats.rx_errors += 1;
                    self.last_rx_error = Some(e.kind());
                    return None;
                }
            }
        }
    }

    fn transmit(
        &mut self,
        _now: Instant,
        f: impl FnOnce(&mut [u8]) -> Option<usize>,
    ) -> Result<Option<usize>, DeviceError> {
        if let Some(len) = self.tx_pending {
            match self.write_frame(len) {
                Ok(true) => self.tx_pending = None,
                Ok(false) => return Err(DeviceError::Busy),
                Err(e) => {
                    // Refused for good: drop it rather than retry forever.
                    self.tx_pending = None;
                    return Err(e);
                }
            }
        }
        let max = self.tx_buf.len();
        let Some(len) = f(&mut self.tx_buf) else {
            return Ok(None);
        };
        if len > max {
            return Err(DeviceError::FrameTooLong { len, max });
        }
        if !self.write_frame(len)? {
            // Built but not written: keep it for the next call, which
            // writes it before asking for another.
            self.stats.tx_deferred += 1;
            self.tx_pending = Some(len);
        }
        Ok(Some(len))
    }
}
