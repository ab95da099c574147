//! Recording a device's traffic: [`PcapWriter`].
//!
//! `PcapWriter` wraps any [`Device`] and writes every frame it receives and
//! every frame it transmits to a capture file, with the `now` of the call
//! as the frame's time, so a capture of a simulated run shows simulated
//! time. Two formats are written with the `pcap-file` crate:
//!
//! - [`PcapFormat::Pcap`], classic libpcap with microsecond timestamps,
//!   which every tool reads;
//! - [`PcapFormat::PcapNg`], which also marks each frame inbound or
//!   outbound (the `epb_flags` direction bits, Wireshark's
//!   `frame.packet_flags_direction`).
//!
//! An [`Instant`] counts microseconds from an epoch the caller chooses; the
//! capture needs wall-clock time. [`PcapOptions::epoch`] says which
//! wall-clock time `Instant::ZERO` is. The default, the Unix epoch, keeps a
//! simulated run's capture identical from run to run; a host on a real
//! clock passes the time its clock started ([`PcapOptions::epoch_at`]).
//!
//! The file is written through a buffer, flushed by [`PcapWriter::flush`],
//! [`PcapWriter::into_inner`] and on drop. Writing never fails a frame: if
//! the file cannot be written, the device keeps working, the frames that
//! could not be recorded are counted, and the first error is kept
//! ([`PcapWriter::error`]) and returned by `into_inner`.
//!
//! ```
//! use strata::device::pcap::{PcapFormat, PcapOptions, PcapWriter};
//! use strata::device::{memory, Device};
//! use strata_core::time::Instant;
//!
//! let (a, mut b) = memory::pair(1500);
//! let options = PcapOptions { format: PcapFormat::Pcap, ..PcapOptions::default() };
//! let mut a = PcapWriter::with_options(a, Vec::new(), options).unwrap();
//!
//! a.transmit(Instant::from_millis(1500), |buf| { buf[..60].fill(0xff); Some(60) }).unwrap();
//! b.transmit(Instant::from_millis(1501), |buf| { buf[..64].fill(0x02); Some(64) }).unwrap();
//! assert_eq!(a.receive(Instant::from_millis(1502), |f| f.len()), Some(64));
//! assert_eq!(a.frames_written(), 2);
//!
//! let (_device, file) = a.into_inner();
//! let file = file.unwrap();
//! // A 24-byte file header, then a 16-byte record header before each frame.
//! assert_eq!(file.len(), 24 + 16 + 60 + 16 + 64);
//! // The first record: 1 s and 500000 µs after the epoch (native byte order).
//! assert_eq!(file[24..28], 1u32.to_ne_bytes());
//! assert_eq!(file[28..32], 500_000u32.to_ne_bytes());
//! ```

use std::borrow::Cow;
use std::fmt;
use std::io::{self, BufWriter, Write};
use std::time::{Duration as StdDuration, SystemTime};

use pcap_file::pcap::{PcapHeader, PcapPacket};
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::{Block, PcapNgWriter};
use pcap_file::{DataLink, Endianness, PcapError, TsResolution};
use strata_core::time::Instant;

use super::{Device, DeviceError};

/// The capture file format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PcapFormat {
    /// Classic libpcap, microsecond timestamps, native byte order.
    Pcap,
    /// pcapng with one Ethernet interface, microsecond timestamps and the
    /// direction of each frame.
    #[default]
    PcapNg,
}

/// How a [`PcapWriter`] writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PcapOptions {
    /// The file format.
    pub format: PcapFormat,
    /// The wall-clock time of `Instant::ZERO`. Times before the Unix epoch
    /// are read as the Unix epoch.
    pub epoch: SystemTime,
    /// The interface name recorded in a pcapng file (`if_name`); ignored
    /// for classic pcap.
    pub interface_name: Option<String>,
}

impl PcapOptions {
    /// The wall-clock time of `Instant::ZERO` for a host whose clock reads
    /// `now` at this moment: for [`epoch`](Self::epoch) when `Instant`s
    /// come from a real clock (a TAP device), so that the capture shows
    /// the real time of day.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use strata::device::pcap::PcapOptions;
    /// use strata_core::time::Instant;
    ///
    /// let epoch = PcapOptions::epoch_at(Instant::from_millis(2500));
    /// let age = SystemTime::now().duration_since(epoch).unwrap();
    /// assert!(age >= Duration::from_millis(2500) && age < Duration::from_secs(60));
    /// ```
    #[must_use]
    pub fn epoch_at(now: Instant) -> SystemTime {
        let since_zero = StdDuration::from_micros(now.total_micros());
        SystemTime::now()
            .checked_sub(since_zero)
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

impl Default for PcapOptions {
    fn default() -> Self {
        Self {
            format: PcapFormat::default(),
            epoch: SystemTime::UNIX_EPOCH,
            interface_name: None,
        }
    }
}

/// Which way a frame went, for pcapng's direction flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Inbound,
    Outbound,
}

/// Swallows the first `skip` bytes written through it: after a flush, the
/// classic pcap writer is rebuilt around the same file, and rebuilding it
/// writes a file header again, which must not reach the file.
struct Skip<W> {
    inner: W,
    skip: usize,
}

impl<W: Write> Write for Skip<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.skip > 0 {
            let n = self.skip.min(buf.len());
            self.skip -= n;
            return Ok(n);
        }
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The size of a classic pcap file header.
const PCAP_HEADER_LEN: usize = 24;

/// The writer of either format.
enum Writer<W: Write> {
    Pcap {
        writer: pcap_file::pcap::PcapWriter<Skip<BufWriter<W>>>,
        header: PcapHeader,
    },
    PcapNg(PcapNgWriter<BufWriter<W>>),
}

/// The capture being written. Flushes on drop; kept apart from the device
/// so that [`PcapWriter::into_inner`] can move the device out.
struct Sink<W: Write> {
    /// `None` only after `finish`, or if rebuilding after a flush failed.
    writer: Option<Writer<W>>,
    epoch: StdDuration,
    snaplen: u32,
    written: u64,
    lost: u64,
    error: Option<io::Error>,
}

fn pcap_to_io(e: PcapError) -> io::Error {
    match e {
        PcapError::IoError(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

impl<W: Write> Sink<W> {
    fn new(writer: W, options: &PcapOptions, snaplen: u32) -> Result<Self, PcapError> {
        let file = BufWriter::new(writer);
        let writer = match options.format {
            PcapFormat::Pcap => {
                let header = PcapHeader {
                    snaplen,
                    datalink: DataLink::ETHERNET,
                    ts_resolution: TsResolution::MicroSecond,
                    endianness: Endianness::native(),
                    ..PcapHeader::default()
                };
                let file = Skip {
                    inner: file,
                    skip: 0,
                };
                Writer::Pcap {
                    writer: pcap_file::pcap::PcapWriter::with_header(file, header)?,
                    header,
                }
            }
            PcapFormat::PcapNg => {
                let mut writer = PcapNgWriter::new(file)?;
                // pcap-file writes timestamps as a count of nanoseconds
                // whatever the resolution: say so, or readers assume µs.
                let mut idb_options = vec![InterfaceDescriptionOption::IfTsResol(9)];
                if let Some(name) = &options.interface_name {
                    idb_options.push(InterfaceDescriptionOption::IfName(Cow::Owned(name.clone())));
                }
                let idb = InterfaceDescriptionBlock {
                    linktype: DataLink::ETHERNET,
                    snaplen,
                    options: idb_options,
                };
                writer.write_block(&Block::InterfaceDescription(idb))?;
                Writer::PcapNg(writer)
            }
        };
        Ok(Self {
            writer: Some(writer),
            epoch: options
                .epoch
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default(),
            snaplen,
            written: 0,
            lost: 0,
            error: None,
        })
    }

    fn record(&mut self, now: Instant, frame: &[u8], direction: Direction) {
        let Some(writer) = self.writer.as_mut().filter(|_| self.error.is_none()) else {
            self.lost += 1;
            return;
        };
        let timestamp = self
            .epoch
            .saturating_add(StdDuration::from_micros(now.total_micros()));
        let orig_len = u32::try_from(frame.len()).unwrap_or(u32::MAX);
        let snap = usize::try_from(self.snaplen).unwrap_or(usize::MAX);
        let data = frame.get(..snap).unwrap_or(frame);
        let result = match writer {
            Writer::Pcap { writer, .. } => writer
                .write_packet(&PcapPacket {
                    timestamp,
                    orig_len,
                    data: Cow::Borrowed(data),
                })
                .map(drop),
            Writer::PcapNg(writer) => {
                let flags = match direction {
                    Direction::Inbound => 1,
                    Direction::Outbound => 2,
                };
                let block = Block::EnhancedPacket(EnhancedPacketBlock {
                    interface_id: 0,
                    timestamp,
                    original_len: orig_len,
                    data: Cow::Borrowed(data),
                    options: vec![EnhancedPacketOption::Flags(flags)],
                });
                writer.write_block(&block).map(drop)
            }
        };
        match result {
            Ok(()) => self.written += 1,
            Err(e) => {
                self.lost += 1;
                self.error = Some(pcap_to_io(e));
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if let Some(e) = &self.error {
            return Err(io::Error::new(e.kind(), e.to_string()));
        }
        let result = match self.writer.take() {
            None => Ok(()),
            Some(Writer::PcapNg(mut writer)) => {
                let r = writer.get_mut().flush();
                self.writer = Some(Writer::PcapNg(writer));
                r
            }
            Some(Writer::Pcap { writer, header }) => {
                // The classic writer does not lend its file: take it out,
                // flush it, and put a new writer around it whose header
                // is swallowed.
                let mut file = writer.into_writer();
                let r = file.flush();
                file.skip = PCAP_HEADER_LEN;
                match pcap_file::pcap::PcapWriter::with_header(file, header) {
                    Ok(writer) => {
                        self.writer = Some(Writer::Pcap { writer, header });
                        r
                    }
                    Err(e) => Err(pcap_to_io(e)),
                }
            }
        };
        if let Err(e) = &result {
            self.error = Some(io::Error::new(e.kind(), e.to_string()));
        }
        result
    }

    /// Flushes and returns the file, or the first error.
    fn finish(mut self) -> io::Result<W> {
        let file = match self.writer.take() {
            None => None,
            Some(Writer::PcapNg(writer)) => Some(writer.into_inner()),
            Some(Writer::Pcap { writer, .. }) => Some(writer.into_writer().inner),
        };
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        match file {
            None => Err(io::Error::other(
                "the capture writer was lost after an error",
            )),
            Some(file) => file.into_inner().map_err(|e| e.into_error()),
        }
    }
}

impl<W: Write> Drop for Sink<W> {
    fn drop(&mut self) {
        // The BufWriter would flush on its own drop; doing it here keeps
        // the behaviour explicit. Nobody is left to report an error to.
        let _ = self.flush();
    }
}

/// A [`Device`] that records every frame of the device it wraps; see the
/// [module documentation](self).
pub struct PcapWriter<D, W: Write> {
    device: D,
    sink: Sink<W>,
    /// A copy of the frame being transmitted: the frame is recorded only
    /// once the device has taken it, after its buffer is gone.
    scratch: Vec<u8>,
}

impl<D: fmt::Debug, W: Write> fmt::Debug for PcapWriter<D, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PcapWriter")
            .field("device", &self.device)
            .field("frames_written", &self.sink.written)
            .field("frames_lost", &self.sink.lost)
            .field("error", &self.sink.error)
            .finish_non_exhaustive()
    }
}

impl<D: Device, W: Write> PcapWriter<D, W> {
    /// Records `device`'s frames to `writer` as pcapng, with the Unix
    /// epoch as `Instant::ZERO`.
    ///
    /// # Errors
    /// The file header cannot be written.
    pub fn new(device: D, writer: W) -> io::Result<Self> {
        Self::with_options(device, writer, PcapOptions::default())
    }

    /// Records `device`'s frames to `writer` as `options` say.
    ///
    /// # Errors
    /// The file header cannot be written.
    pub fn with_options(device: D, writer: W, options: PcapOptions) -> io::Result<Self> {
        let snaplen = u32::try_from(device.max_frame_len().max(65_535)).unwrap_or(u32::MAX);
        let sink = Sink::new(writer, &options, snaplen).map_err(pcap_to_io)?;
        Ok(Self {
            scratch: Vec::with_capacity(device.max_frame_len()),
            device,
            sink,
        })
    }

    /// The wrapped device.
    pub fn device(&self) -> &D {
        &self.device
    }

    /// The wrapped device, to change its settings. Frames sent or
    /// received through it directly are not recorded.
    pub fn device_mut(&mut self) -> &mut D {
        &mut self.device
    }

    /// Frames recorded so far.
    #[must_use]
    pub fn frames_written(&self) -> u64 {
        self.sink.written
    }

    /// Frames that could not be recorded because writing failed.
    #[must_use]
    pub fn frames_lost(&self) -> u64 {
        self.sink.lost
    }

    /// The first write error, after which nothing more is recorded.
    #[must_use]
    pub fn error(&self) -> Option<&io::Error> {
        self.sink.error.as_ref()
    }

    /// Writes the buffered frames to the file, so that a reader sees them
    /// while the capture goes on.
    ///
    /// # Errors
    /// The first write error, now or earlier.
    pub fn flush(&mut self) -> io::Result<()> {
        self.sink.flush()
    }

    /// Flushes and returns the device, and the file or the first error
    /// met while writing it.
    pub fn into_inner(self) -> (D, io::Result<W>) {
        let Self { device, sink, .. } = self;
        (device, sink.finish())
    }
}

impl<D: Device, W: Write> Device for PcapWriter<D, W> {
    fn max_frame_len(&self) -> usize {
        self.device.max_frame_len()
    }

    fn receive<R>(&mut self, now: Instant, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let sink = &mut self.sink;
        self.device.receive(now, |frame| {
            sink.record(now, frame, Direction::Inbound);
            f(frame)
        })
    }

    fn transmit(
        &mut self,
        now: Instant,
        f: impl FnOnce(&mut [u8]) -> Option<usize>,
    ) -> Result<Option<usize>, DeviceError> {
        let scratch = &mut self.scratch;
        let sent = self.device.transmit(now, |buf| {
            let len = f(buf)?;
            scratch.clear();
            if let Some(frame) = buf.get(..len) {
                scratch.extend_from_slice(frame);
            }
            Some(len)
        })?;
        if let Some(len) = sent
            && len == self.scratch.len()
        {
            self.sink.record(now, &self.scratch, Direction::Outbound);
        }
        Ok(sent)
    }

    fn poll_at(&self) -> Option<Instant> {
        self.device.poll_at()
    }
}
