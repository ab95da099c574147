//! A fixed-capacity byte ring, allocated once.
//!
//! The send buffer keeps unacknowledged and unsent bytes in one; the receive
//! buffer keeps bytes the application has not read yet, followed by the
//! out-of-order bytes that arrived beyond a gap (written in place, so
//! reassembly never copies twice).

use alloc::boxed::Box;
use alloc::vec;

/// Bytes `[head, head + len)` (modulo capacity) are the contents.
pub(crate) struct Ring {
    storage: Box<[u8]>,
    head: usize,
    len: usize,
}

impl core::fmt::Debug for Ring {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ring")
            .field("capacity", &self.capacity())
            .field("head", &self.head)
            .field("len", &self.len)
            .finish()
    }
}

impl Ring {
    /// An empty ring of `capacity` bytes.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            storage: vec![0; capacity].into_boxed_slice(),
            head: 0,
            len: 0,
        }
    }

    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.storage.len()
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Room left after the contents.
    #[inline]
    pub(crate) fn free(&self) -> usize {
        self.capacity() - self.len
    }

    /// Physical index of logical offset `offset` from the head.
    #[inline]
    fn physical(&self, offset: usize) -> usize {
        let cap = self.capacity();
        if cap == 0 {
            return 0;
        }
        let i = self.head + offset % cap;
        if i >= cap { i - cap } else { i }
    }

    /// Appends as much of `data` as fits; returns how much.
    pub(crate) fn push(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(self.free());
        let data = data.get(..n).unwrap_or_default();
        self.write_at(self.len, data);
        self.len += n;
        n
    }

    /// Writes `data` at logical offset `offset` from the head, past the
    /// contents if need be, without changing the length. Bytes that would
    /// land past the capacity are not written; returns how many were.
    pub(crate) fn write_at(&mut self, offset: usize, data: &[u8]) -> usize {
        let cap = self.capacity();
        if offset >= cap {
            return 0;
        }
        let n = data.len().min(cap - offset);
        let start = self.physical(offset);
        let first = n.min(cap - start);
        let (a, b) = data.get(..n).unwrap_or_default().split_at(first);
        if let Some(dst) = self.storage.get_mut(start..start + first) {
            dst.copy_from_slice(a);
        }
        if let Some(dst) = self.storage.get_mut(..b.len()) {
            dst.copy_from_slice(b);
        }
        n
    }

    /// Makes `n` more bytes (already written with [`Ring::write_at`]) part
    /// of the contents, up to the capacity.
    pub(crate) fn extend(&mut self, n: usize) {
        self.len = (self.len + n).min(self.capacity());
    }

    /// Copies bytes from logical offset `offset` into `out`, within the
    /// contents; returns how many.
    pub(crate) fn peek(&self, offset: usize, out: &mut [u8]) -> usize {
        if offset >= self.len {
            return 0;
        }
        let n = out.len().min(self.len - offset);
        let cap = self.capacity();
        let start = self.physical(offset);
        let first = n.min(cap - start);
        let (a, b) = out.split_at_mut(first);
        if let Some(src) = self.storage.get(start..start + first) {
            a.copy_from_slice(src);
        }
        let rest = n - first;
        if let (Some(dst), Some(src)) = (b.get_mut(..rest), self.storage.get(..rest)) {
            dst.copy_from_slice(src);
        }
        n
    }

    /// Drops up to `n` bytes from the front.
    pub(crate) fn discard(&mut self, n: usize) {
        let n = n.min(self.len);
        self.head = self.physical(n);
        self.len -= n;
        // The head stays where it is even when the ring drains: bytes may
        // sit beyond the contents (out-of-order data) at their offsets.
    }

    /// Reallocates to `capacity` bytes, keeping the first `capacity` bytes
    /// from the head: the contents and, beyond them, any bytes written
    /// ahead with [`Ring::write_at`]. The caller keeps `capacity` at least
    /// as large as what it must not lose.
    pub(crate) fn resize(&mut self, capacity: usize) {
        let mut storage = vec![0; capacity].into_boxed_slice();
        let (front, back) = self.storage.split_at(self.head.min(self.storage.len()));
        // Logical order: from the head to the end, then the wrapped part.
        let mut at = 0;
        for part in [back, front] {
            let n = part.len().min(capacity - at);
            if let (Some(dst), Some(src)) = (storage.get_mut(at..at + n), part.get(..n)) {
                dst.copy_from_slice(src);
            }
            at += n;
        }
        self.storage = storage;
        self.head = 0;
        self.len = self.len.min(capacity);
    }

    /// Moves bytes from the front into `out`; returns how many.
    pub(crate) fn pop(&mut self, out: &mut [u8]) -> usize {
        let n = self.peek(0, out);
        self.discard(n);
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_around() {
        let mut r = Ring::new(8);
        assert_eq!(r.push(b"abcdef"), 6);
        let mut out = [0u8; 4];
        assert_eq!(r.pop(&mut out), 4);
        assert_eq!(&out, b"abcd");
        assert_eq!(r.push(b"ghijklmn"), 6);
        assert_eq!(r.len(), 8);
        let mut all = [0u8; 10];
        assert_eq!(r.peek(0, &mut all), 8);
        assert_eq!(&all[..8], b"efghijkl");
        assert_eq!(r.peek(3, &mut all[..2]), 2);
        assert_eq!(&all[..2], b"hi");
    }

    #[test]
    fn writes_past_contents_then_extends() {
        let mut r = Ring::new(8);
        r.push(b"ab");
        r.discard(2);
        assert_eq!(r.write_at(4, b"XYZW"), 4);
        assert_eq!(r.write_at(0, b"0123"), 4);
        r.extend(8);
        let mut out = [0u8; 8];
        r.pop(&mut out);
        assert_eq!(&out, b"0123XYZW");
        assert_eq!(r.write_at(7, b"abc"), 1);
        assert_eq!(r.write_at(9, b"abc"), 0);
    }

    #[test]
    fn resize_keeps_contents_and_bytes_ahead() {
        let mut r = Ring::new(8);
        r.push(b"abcdef");
        r.discard(5);
        // Contents "f" at physical 5; out-of-order bytes wrap around.
        assert_eq!(r.write_at(2, b"XYZ"), 3);
        r.resize(16);
        assert_eq!(r.capacity(), 16);
        assert_eq!(r.len(), 1);
        r.extend(4);
        let mut out = [0u8; 8];
        assert_eq!(r.pop(&mut out), 5);
        assert_eq!(&out[..5], b"f\0XYZ");
        // Shrinking keeps what is held.
        r.push(b"0123456789");
        r.resize(10);
        let mut all = [0u8; 16];
        assert_eq!(r.peek(0, &mut all), 10);
        assert_eq!(&all[..10], b"0123456789");
        assert_eq!(r.free(), 0);
    }

    #[test]
    fn zero_capacity() {
        let mut r = Ring::new(0);
        assert_eq!(r.push(b"x"), 0);
        assert_eq!(r.write_at(0, b"x"), 0);
        let mut out = [0u8; 1];
        assert_eq!(r.pop(&mut out), 0);
        r.discard(3);
        r.extend(3);
        assert!(r.is_empty());
    }
}
