//! A packet buffer with headroom, so each layer prepends its header in place.
//!
//! Building a frame top-down would mean copying the payload once per layer.
//! Instead the application payload is written at an offset that leaves room
//! for every header below it; each layer then claims bytes in front of what
//! is already there with [`PacketBuf::prepend`], and the finished frame is a
//! contiguous sub-slice of the caller's storage. Decapsulation is the
//! reverse: [`PacketBuf::strip_front`] moves the start past a parsed header.

use crate::error::BufferTooSmall;

/// A window `[start, end)` over caller-owned storage `B`.
///
/// ```
/// use strata_core::buffer::PacketBuf;
/// let mut storage = [0u8; 64];
/// let mut pkt = PacketBuf::new(&mut storage[..], 16)?;
/// pkt.append(5)?.copy_from_slice(b"hello");
/// pkt.prepend(4)?.copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
/// assert_eq!(pkt.as_slice(), b"\xde\xad\xbe\xefhello");
/// assert_eq!(pkt.headroom(), 12);
/// # Ok::<(), strata_core::error::BufferTooSmall>(())
/// ```
#[derive(Debug, Clone)]
pub struct PacketBuf<B> {
    storage: B,
    start: usize,
    end: usize,
}

impl<B: AsRef<[u8]>> PacketBuf<B> {
    /// An empty packet that leaves `headroom` bytes in front for headers.
    ///
    /// # Errors
    /// [`BufferTooSmall`] if the storage is shorter than `headroom`.
    pub fn new(storage: B, headroom: usize) -> Result<Self, BufferTooSmall> {
        let available = storage.as_ref().len();
        if headroom > available {
            return Err(BufferTooSmall {
                needed: headroom,
                available,
            });
        }
        Ok(Self {
            storage,
            start: headroom,
            end: headroom,
        })
    }

    /// A packet whose contents are `storage[start..end]`, e.g. a received
    /// frame about to be decapsulated.
    ///
    /// # Errors
    /// [`BufferTooSmall`] if the range does not lie within the storage.
    pub fn with_range(storage: B, start: usize, end: usize) -> Result<Self, BufferTooSmall> {
        let available = storage.as_ref().len();
        if start > end || end > available {
            return Err(BufferTooSmall {
                needed: end.max(start),
                available,
            });
        }
        Ok(Self {
            storage,
            start,
            end,
        })
    }

    /// Bytes free in front of the contents.
    #[must_use]
    pub fn headroom(&self) -> usize {
        self.start
    }

    /// Bytes free after the contents.
    #[must_use]
    pub fn tailroom(&self) -> usize {
        self.storage.as_ref().len().saturating_sub(self.end)
    }

    /// Length of the contents.
    #[must_use]
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the contents are empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The contents.
    #[must_use]
    pub fn as_slice(&self) -> &[u8] {
        self.storage
            .as_ref()
            .get(self.start..self.end)
            .unwrap_or_default()
    }

    /// Drops `n` bytes from the front (a parsed header), keeping them as
    /// headroom so a reply can be built in the same storage.
    ///
    /// # Errors
    /// [`BufferTooSmall`] if the contents are shorter than `n`.
    pub fn strip_front(&mut self, n: usize) -> Result<(), BufferTooSmall> {
        if n > self.len() {
            return Err(BufferTooSmall {
                needed: n,
                available: self.len(),
            });
        }
        self.start += n;
        Ok(())
    }

    /// Drops bytes past `len` (link-layer padding, say).
    ///
    /// # Errors
    /// [`BufferTooSmall`] if the contents are shorter than `len`.
    pub fn truncate(&mut self, len: usize) -> Result<(), BufferTooSmall> {
        if len > self.len() {
            return Err(BufferTooSmall {
                needed: len,
                available: self.len(),
            });
        }
        self.end = self.start + len;
        Ok(())
    }

    /// The storage, and the range of the contents within it.
    pub fn into_parts(self) -> (B, core::ops::Range<usize>) {
        (self.storage, self.start..self.end)
    }
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> PacketBuf<B> {
    /// The contents, writable.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        let (start, end) = (self.start, self.end);
        self.storage
            .as_mut()
            .get_mut(start..end)
            .unwrap_or_default()
    }

    /// Grows the contents by `n` bytes at the front and returns those bytes,
    /// for a header to be written into.
    ///
    /// # Errors
    /// [`BufferTooSmall`] if there is less than `n` bytes of headroom; the
    /// buffer is left unchanged.
    pub fn prepend(&mut self, n: usize) -> Result<&mut [u8], BufferTooSmall> {
        let Some(start) = self.start.checked_sub(n) else {
            return Err(BufferTooSmall {
                needed: n,
                available: self.start,
            });
        };
        self.start = start;
        Ok(self
            .storage
            .as_mut()
            .get_mut(start..start + n)
            .unwrap_or_default())
    }

    /// Grows the contents by `n` bytes at the back and returns those bytes.
    ///
    /// # Errors
    /// [`BufferTooSmall`] if there is less than `n` bytes of tailroom; the
    /// buffer is left unchanged.
    pub fn append(&mut self, n: usize) -> Result<&mut [u8], BufferTooSmall> {
        let available = self.tailroom();
        if n > available {
            return Err(BufferTooSmall {
                needed: n,
                available,
            });
        }
        let at = self.end;
        self.end += n;
        Ok(self
            .storage
            .as_mut()
            .get_mut(at..at + n)
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepend_and_strip_round_trip() {
        let mut storage = [0u8; 32];
        let mut p = PacketBuf::new(&mut storage[..], 10).unwrap();
        p.append(3).unwrap().copy_from_slice(b"abc");
        p.prepend(2).unwrap().copy_from_slice(b"HH");
        assert_eq!(p.as_slice(), b"HHabc");
        p.strip_front(2).unwrap();
        assert_eq!(p.as_slice(), b"abc");
        assert_eq!(p.headroom(), 10);
    }

    #[test]
    fn errors_leave_buffer_unchanged() {
        let mut storage = [0u8; 8];
        let mut p = PacketBuf::new(&mut storage[..], 2).unwrap();
        assert_eq!(
            p.prepend(3).unwrap_err(),
            BufferTooSmall {
                needed: 3,
                available: 2
            }
        );
        assert_eq!(
            p.append(7).unwrap_err(),
            BufferTooSmall {
                needed: 7,
                available: 6
            }
        );
        assert_eq!(
            p.strip_front(1).unwrap_err(),
            BufferTooSmall {
                needed: 1,
                available: 0
            }
        );
        assert_eq!((p.headroom(), p.len()), (2, 0));
        assert!(PacketBuf::new(&storage[..], 9).is_err());
        assert!(PacketBuf::with_range(&storage[..], 5, 4).is_err());
    }

    #[test]
    fn truncate_drops_padding() {
        let storage = *b"headerpayloadPAD";
        let mut p = PacketBuf::with_range(&storage[..], 0, 16).unwrap();
        p.strip_front(6).unwrap();
        p.truncate(7).unwrap();
        assert_eq!(p.as_slice(), b"payload");
        let (_, range) = p.into_parts();
        assert_eq!(range, 6..13);
    }
}
