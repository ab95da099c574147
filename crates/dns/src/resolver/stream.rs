//! Reassembly of one DNS message from a TCP byte stream.
//!
//! Over TCP each message is preceded by its length as two bytes in network
//! order (RFC 1035 4.2.2, RFC 7766 section 8). Bytes arrive in whatever
//! pieces the connection delivers, down to one at a time, so they are
//! collected until the announced length is there. A stream carries one
//! query, so once one message is complete the rest is ignored. The buffer
//! never holds more than the 2-byte prefix plus 65,535 bytes.

use std::vec::Vec;

/// Collects one length-prefixed message.
#[derive(Debug, Default)]
pub(crate) struct StreamBuf {
    buf: Vec<u8>,
    done: bool,
}

impl StreamBuf {
    /// Adds `bytes`; returns the message once it is complete (once only).
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Option<Vec<u8>> {
        if self.done {
            return None;
        }
        let mut bytes = bytes;
        if self.buf.len() < 2 {
            let take = (2 - self.buf.len()).min(bytes.len());
            let (head, rest) = bytes.split_at_checked(take)?;
            self.buf.extend_from_slice(head);
            bytes = rest;
        }
        let want = 2 + self.announced()?;
        let take = want.saturating_sub(self.buf.len()).min(bytes.len());
        let (body, _) = bytes.split_at_checked(take)?;
        self.buf.extend_from_slice(body);
        self.finish(want)
    }

    fn announced(&self) -> Option<usize> {
        match self.buf.get(..2) {
            Some(&[hi, lo]) => Some(usize::from(u16::from_be_bytes([hi, lo]))),
            _ => None,
        }
    }

    fn finish(&mut self, want: usize) -> Option<Vec<u8>> {
        if self.buf.len() < want {
            return None;
        }
        self.done = true;
        let mut message = core::mem::take(&mut self.buf);
        message.drain(..2);
        Some(message)
    }
}

/// Frames `message` for a stream: its length, then the message. `None`
/// when the message is longer than a 2-byte length can say.
pub(crate) fn frame(message: &[u8]) -> Option<Vec<u8>> {
    let len = u16::try_from(message.len()).ok()?;
    let mut out = Vec::with_capacity(message.len() + 2);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(message);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_byte_at_a_time() {
        let framed = frame(b"hello").unwrap();
        let mut s = StreamBuf::default();
        let mut out = None;
        for b in &framed {
            assert!(out.is_none());
            out = s.push(core::slice::from_ref(b));
        }
        assert_eq!(out.as_deref(), Some(&b"hello"[..]));
        assert_eq!(s.push(b"more"), None);
    }

    #[test]
    fn all_at_once_with_trailing_bytes() {
        let mut framed = frame(b"abc").unwrap();
        framed.extend_from_slice(b"junk");
        let mut s = StreamBuf::default();
        assert_eq!(s.push(&framed).as_deref(), Some(&b"abc"[..]));
    }

    #[test]
    fn prefix_split_from_body_and_empty_pieces() {
        let mut s = StreamBuf::default();
        assert_eq!(s.push(&[]), None);
        assert_eq!(s.push(&[0]), None);
        assert_eq!(s.push(&[3, b'x']), None);
        assert_eq!(s.push(&[]), None);
        assert_eq!(s.push(b"yz").as_deref(), Some(&b"xyz"[..]));
    }

    #[test]
    fn empty_message_completes_on_its_prefix() {
        let mut s = StreamBuf::default();
        assert_eq!(s.push(&[0, 0]).as_deref(), Some(&[][..]));
    }

    #[test]
    fn frame_refuses_oversized() {
        assert!(frame(&std::vec![0; 65_536]).is_none());
        assert_eq!(frame(&[]).unwrap(), std::vec![0, 0]);
    }
}
