//! Reading capture files: pcap and pcapng, told apart by their magic
//! number, read with the `pcap-file` crate.
//!
//! [`CaptureReader`] yields [`CapturedFrame`]s in file order. Every problem
//! with the file (missing, not a capture, cut short, malformed) is a
//! [`CaptureError`] whose `Display` is a sentence for the user; nothing
//! here panics on a bad file.
//!
//! Two things `pcap-file` 2 leaves to the caller are done here: pcap
//! records are read raw and validated leniently (a record whose original
//! length exceeds the snapshot length is normal for a capture taken with
//! `-s`, and `pcap-file` would refuse it), and pcapng timestamps are scaled
//! by the interface's `if_tsresol` and `if_tsoffset` (`pcap-file` reports
//! the raw count of units as if they were nanoseconds).

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::{PcapError, TsResolution};

use crate::decode::FrameMeta;

/// The file formats the reader understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Classic libpcap, either byte order, micro- or nanosecond timestamps.
    Pcap,
    /// pcapng (Wireshark's default format).
    PcapNg,
}

impl Format {
    /// The format a file's first four bytes announce, if any.
    ///
    /// ```
    /// use strata::capture::Format;
    /// assert_eq!(Format::from_magic([0xd4, 0xc3, 0xb2, 0xa1]), Some(Format::Pcap));
    /// assert_eq!(Format::from_magic([0x0a, 0x0d, 0x0d, 0x0a]), Some(Format::PcapNg));
    /// assert_eq!(Format::from_magic(*b"GIF8"), None);
    /// ```
    #[must_use]
    pub fn from_magic(magic: [u8; 4]) -> Option<Self> {
        match u32::from_be_bytes(magic) {
            // Microsecond and nanosecond pcap, in both byte orders.
            0xa1b2_c3d4 | 0xd4c3_b2a1 | 0xa1b2_3c4d | 0x4d3c_b2a1 => Some(Format::Pcap),
            // The section header block type, the same in both byte orders.
            0x0a0d_0d0a => Some(Format::PcapNg),
            _ => None,
        }
    }
}

/// Why a capture could not be read.
#[derive(Debug)]
pub enum CaptureError {
    /// The file could not be opened or read.
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The file does not start with a pcap or pcapng magic number.
    NotACapture {
        /// The file.
        path: PathBuf,
        /// The first bytes found (fewer than four if the file is that short).
        magic: Vec<u8>,
    },
    /// The file ends in the middle of a header, block or record.
    Truncated {
        /// The file.
        path: PathBuf,
        /// Frames read successfully before the cut.
        frames_read: u64,
    },
    /// A header, block or record is malformed.
    Malformed {
        /// The file.
        path: PathBuf,
        /// Frames read successfully before the bad one.
        frames_read: u64,
        /// What was wrong, as the pcap library put it.
        reason: String,
    },
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureError::Io { path, source } => {
                write!(f, "cannot read {}: {source}", path.display())
            }
            CaptureError::NotACapture { path, magic } if magic.is_empty() => {
                write!(
                    f,
                    "{} is empty, not a pcap or pcapng capture",
                    path.display()
                )
            }
            CaptureError::NotACapture { path, magic } => write!(
                f,
                "{} is not a pcap or pcapng capture (starts with {})",
                path.display(),
                crate::decode::format_hex(magic)
            ),
            CaptureError::Truncated { path, frames_read } => write!(
                f,
                "{} is truncated: it ends in the middle of a record after {frames_read} complete frames",
                path.display()
            ),
            CaptureError::Malformed {
                path,
                frames_read,
                reason,
            } => write!(
                f,
                "{} is malformed after {frames_read} frames: {reason}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for CaptureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CaptureError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// One frame as the capture recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapturedFrame {
    /// Number, time, original length and link type.
    pub meta: FrameMeta,
    /// The captured bytes (possibly fewer than `meta.orig_len`).
    pub data: Vec<u8>,
}

enum Inner {
    Pcap {
        reader: PcapReader<BufReader<File>>,
        ts_resolution: TsResolution,
        link_type: u32,
    },
    PcapNg(PcapNgReader<BufReader<File>>),
}

/// A pcap or pcapng file being read frame by frame.
pub struct CaptureReader {
    inner: Inner,
    path: PathBuf,
    frames_read: u64,
    /// Set after an error: a reader that failed once yields nothing more.
    done: bool,
}

impl fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptureReader")
            .field("path", &self.path)
            .field("format", &self.format())
            .field("frames_read", &self.frames_read)
            .finish_non_exhaustive()
    }
}

impl CaptureReader {
    /// Opens a capture and reads its file header.
    ///
    /// # Errors
    /// [`CaptureError::Io`] if the file cannot be opened,
    /// [`CaptureError::NotACapture`] if its magic number is neither pcap's
    /// nor pcapng's, [`CaptureError::Truncated`] or
    /// [`CaptureError::Malformed`] if its file header is bad.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, CaptureError> {
        let path = path.as_ref().to_path_buf();
        let io_err = |source| CaptureError::Io {
            path: path.clone(),
            source,
        };
        let mut file = File::open(&path).map_err(io_err)?;
        let mut magic = Vec::with_capacity(4);
        (&mut file)
            .take(4)
            .read_to_end(&mut magic)
            .map_err(io_err)?;
        let format = <[u8; 4]>::try_from(magic.as_slice())
            .ok()
            .and_then(Format::from_magic)
            .ok_or_else(|| CaptureError::NotACapture {
                path: path.clone(),
                magic: magic.clone(),
            })?;
        file.seek(SeekFrom::Start(0)).map_err(io_err)?;
        let file = BufReader::new(file);
        let inner = match format {
            Format::Pcap => {
                let reader = PcapReader::new(file).map_err(|e| convert(&path, 0, e))?;
                let header = reader.header();
                Inner::Pcap {
                    ts_resolution: header.ts_resolution,
                    link_type: u32::from(header.datalink),
                    reader,
                }
            }
            Format::PcapNg => {
                Inner::PcapNg(PcapNgReader::new(file).map_err(|e| convert(&path, 0, e))?)
            }
        };
        Ok(Self {
            inner,
            path,
            frames_read: 0,
            done: false,
        })
    }

    /// The file's format.
    #[must_use]
    pub fn format(&self) -> Format {
        match self.inner {
            Inner::Pcap { .. } => Format::Pcap,
            Inner::PcapNg(_) => Format::PcapNg,
        }
    }

    /// The next frame, `None` at the end of the file.
    ///
    /// # Errors
    /// [`CaptureError::Truncated`] or [`CaptureError::Malformed`]; after an
    /// error the reader yields no more frames.
    pub fn next_frame(&mut self) -> Option<Result<CapturedFrame, CaptureError>> {
        if self.done {
            return None;
        }
        let number = self.frames_read + 1;
        let next = match &mut self.inner {
            Inner::Pcap {
                reader,
                ts_resolution,
                link_type,
            } => next_pcap(reader, *ts_resolution, *link_type, number),
            Inner::PcapNg(reader) => next_pcapng(reader, number),
        };
        match next {
            None => {
                self.done = true;
                None
            }
            Some(Ok(frame)) => {
                self.frames_read = number;
                Some(Ok(frame))
            }
            Some(Err(e)) => {
                self.done = true;
                Some(Err(convert(&self.path, self.frames_read, e)))
            }
        }
    }
}

impl Iterator for CaptureReader {
    type Item = Result<CapturedFrame, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_frame()
    }
}

fn convert(path: &Path, frames_read: u64, e: PcapError) -> CaptureError {
    let path = path.to_path_buf();
    match e {
        PcapError::IncompleteBuffer => CaptureError::Truncated { path, frames_read },
        PcapError::IoError(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            CaptureError::Truncated { path, frames_read }
        }
        PcapError::IoError(source) => CaptureError::Io { path, source },
        other => CaptureError::Malformed {
            path,
            frames_read,
            reason: other.to_string(),
        },
    }
}

fn next_pcap(
    reader: &mut PcapReader<BufReader<File>>,
    ts_resolution: TsResolution,
    link_type: u32,
    number: u64,
) -> Option<Result<CapturedFrame, PcapError>> {
    let raw = match reader.next_raw_packet()? {
        Ok(raw) => raw,
        Err(e) => return Some(Err(e)),
    };
    let frac_ns = match ts_resolution {
        TsResolution::MicroSecond => u64::from(raw.ts_frac) * 1_000,
        TsResolution::NanoSecond => u64::from(raw.ts_frac),
    };
    // A fraction of a second of a billion or more nanoseconds is invalid,
    // but carrying it into the seconds shows the frame rather than losing it.
    let timestamp = Duration::from_secs(u64::from(raw.ts_sec)) + Duration::from_nanos(frac_ns);
    Some(Ok(CapturedFrame {
        meta: FrameMeta {
            number,
            timestamp,
            orig_len: raw.orig_len,
            link_type,
        },
        data: raw.data.into_owned(),
    }))
}

fn next_pcapng(
    reader: &mut PcapNgReader<BufReader<File>>,
    number: u64,
) -> Option<Result<CapturedFrame, PcapError>> {
    loop {
        // Copy out what the frame needs so the block (which borrows the
        // reader) is released before the interface is looked up.
        let (interface, raw_time, orig_len, data) = match reader.next_block()? {
            Err(e) => return Some(Err(e)),
            Ok(Block::EnhancedPacket(epb)) => (
                Some(epb.interface_id),
                // pcap-file stores the raw unit count with `from_nanos`.
                Some(u64::try_from(epb.timestamp.as_nanos()).unwrap_or(u64::MAX)),
                epb.original_len,
                epb.data.into_owned(),
            ),
            Ok(Block::SimplePacket(spb)) => {
                (Some(0), None, spb.original_len, spb.data.into_owned())
            }
            Ok(Block::Packet(pb)) => (
                Some(u32::from(pb.interface_id)),
                Some(pb.timestamp),
                pb.original_len,
                pb.data.into_owned(),
            ),
            Ok(_) => continue,
        };
        let idb = interface.and_then(|i| reader.interfaces().get(usize::try_from(i).ok()?));
        let Some(idb) = idb else {
            return Some(Err(PcapError::InvalidField(
                "packet refers to an interface with no Interface Description Block",
            )));
        };
        let timestamp = raw_time.map_or(Duration::ZERO, |t| scale_timestamp(idb, t));
        return Some(Ok(CapturedFrame {
            meta: FrameMeta {
                number,
                timestamp,
                orig_len,
                link_type: u32::from(idb.linktype),
            },
            data,
        }));
    }
}

/// Converts a pcapng timestamp in the interface's units to time since the
/// epoch: `if_tsresol` gives the unit (10^-n s, or 2^-n s when its top bit
/// is set; microseconds by default) and `if_tsoffset` seconds to add.
fn scale_timestamp(idb: &InterfaceDescriptionBlock<'_>, units: u64) -> Duration {
    let mut resol = 6u8;
    let mut offset = 0u64;
    for option in &idb.options {
        match option {
            InterfaceDescriptionOption::IfTsResol(r) => resol = *r,
            InterfaceDescriptionOption::IfTsOffset(o) => offset = *o,
            _ => {}
        }
    }
    let per_second: u128 = if resol & 0x80 == 0 {
        10u128.checked_pow(u32::from(resol)).unwrap_or(0)
    } else {
        1u128.checked_shl(u32::from(resol & 0x7f)).unwrap_or(0)
    };
    if per_second == 0 {
        return Duration::ZERO;
    }
    let units = u128::from(units);
    let secs = u64::try_from(units / per_second).unwrap_or(u64::MAX);
    let nanos = (units % per_second)
        .checked_mul(1_000_000_000)
        .and_then(|n| u32::try_from(n / per_second).ok())
        .unwrap_or(0);
    Duration::new(secs.saturating_add(offset), nanos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pcap_file::DataLink;

    #[test]
    fn pcapng_resolutions() {
        let mut idb = InterfaceDescriptionBlock::new(DataLink::ETHERNET, 0);
        assert_eq!(
            scale_timestamp(&idb, 1_500_000),
            Duration::new(1, 500_000_000)
        );
        idb.options.push(InterfaceDescriptionOption::IfTsResol(9));
        assert_eq!(
            scale_timestamp(&idb, 1_500_000_001),
            Duration::new(1, 500_000_001)
        );
        idb.options
            .push(InterfaceDescriptionOption::IfTsResol(0x80 | 10));
        assert_eq!(
            scale_timestamp(&idb, 1024 + 512),
            Duration::new(1, 500_000_000)
        );
        idb.options
            .push(InterfaceDescriptionOption::IfTsOffset(100));
        assert_eq!(scale_timestamp(&idb, 1024), Duration::new(101, 0));
        // 10^50 units per second does not fit: no time rather than a panic.
        idb.options.push(InterfaceDescriptionOption::IfTsResol(50));
        assert_eq!(scale_timestamp(&idb, 1024), Duration::ZERO);
        idb.options
            .push(InterfaceDescriptionOption::IfTsResol(0x80 | 127));
        assert_eq!(scale_timestamp(&idb, 3), Duration::new(100, 0));
    }
}
