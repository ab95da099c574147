//! `arbitrary::Arbitrary` for names and the owned forms, written by hand so
//! every value is one that emits and parses back equal: names within 255
//! octets, TXT strings within 255, raw RDATA only for types (and classes)
//! that this crate does not interpret.

use arbitrary::{Arbitrary, Result, Unstructured};

use super::name::{MAX_LABEL_LEN, MAX_NAME_LEN, NameBuf};
use super::rdata::{Caa, Mx, Soa, Srv, is_typed};
use super::repr::{EdnsOptionRepr, QuestionRepr, RDataRepr, RecordRepr, Repr};
use super::types::{Class, Flags, OptionCode, RecordType};

impl<'a> Arbitrary<'a> for NameBuf {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let count = u.int_in_range(0..=5)?;
        let mut labels: Vec<&[u8]> = Vec::with_capacity(count);
        let mut len = 1usize;
        for _ in 0..count {
            let want = u.int_in_range(1..=MAX_LABEL_LEN)?;
            if len + want + 1 > MAX_NAME_LEN {
                break;
            }
            let label = u.bytes(want)?;
            if label.is_empty() {
                break;
            }
            len += label.len() + 1;
            labels.push(label);
        }
        NameBuf::from_labels(labels).map_err(|_| arbitrary::Error::IncorrectFormat)
    }
}

impl<'a> Arbitrary<'a> for QuestionRepr {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(QuestionRepr {
            name: u.arbitrary()?,
            qtype: u.arbitrary()?,
            qclass: u.arbitrary()?,
        })
    }
}

impl<'a> Arbitrary<'a> for EdnsOptionRepr {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(EdnsOptionRepr {
            code: OptionCode(u.arbitrary()?),
            data: u.arbitrary()?,
        })
    }
}

/// A class under which every non-address type is typed.
fn plain_class(u: &mut Unstructured<'_>) -> Result<Class> {
    let class = Class(u.arbitrary()?);
    Ok(if class == Class::ANY || class == Class::NONE {
        Class::IN
    } else {
        class
    })
}

/// Some bytes: up to `max`.
fn some_bytes(u: &mut Unstructured<'_>, max: usize) -> Result<Vec<u8>> {
    let len = u.int_in_range(0..=max)?;
    Ok(u.bytes(len)?.to_vec())
}

/// RDATA and a CLASS under which it parses back as the same variant.
fn rdata_and_class(u: &mut Unstructured<'_>) -> Result<(RDataRepr, Class)> {
    Ok(match u.int_in_range(0u8..=11)? {
        0 => (RDataRepr::A(u.arbitrary::<[u8; 4]>()?.into()), Class::IN),
        1 => (
            RDataRepr::Aaaa(u.arbitrary::<[u8; 16]>()?.into()),
            Class::IN,
        ),
        2 => (RDataRepr::Cname(u.arbitrary()?), plain_class(u)?),
        3 => (RDataRepr::Ns(u.arbitrary()?), plain_class(u)?),
        4 => (RDataRepr::Ptr(u.arbitrary()?), plain_class(u)?),
        5 => (
            RDataRepr::Mx(Mx {
                preference: u.arbitrary()?,
                exchange: u.arbitrary()?,
            }),
            plain_class(u)?,
        ),
        6 => {
            let count = u.int_in_range(0..=4)?;
            let strings = (0..count)
                .map(|_| some_bytes(u, 255))
                .collect::<Result<Vec<_>>>()?;
            (RDataRepr::Txt(strings), plain_class(u)?)
        }
        7 => (
            RDataRepr::Soa(Box::new(Soa {
                mname: u.arbitrary()?,
                rname: u.arbitrary()?,
                serial: u.arbitrary()?,
                refresh: u.arbitrary()?,
                retry: u.arbitrary()?,
                expire: u.arbitrary()?,
                minimum: u.arbitrary()?,
            })),
            plain_class(u)?,
        ),
        8 => (
            RDataRepr::Srv(Srv {
                priority: u.arbitrary()?,
                weight: u.arbitrary()?,
                port: u.arbitrary()?,
                target: u.arbitrary()?,
            }),
            plain_class(u)?,
        ),
        9 => (
            RDataRepr::Caa(Caa {
                flags: u.arbitrary()?,
                tag: some_bytes(u, 255)?,
                value: some_bytes(u, 64)?,
            }),
            plain_class(u)?,
        ),
        10 => {
            let count = u.int_in_range(0..=3)?;
            let options = (0..count)
                .map(|_| u.arbitrary())
                .collect::<Result<Vec<EdnsOptionRepr>>>()?;
            (RDataRepr::Opt(options), Class(u.arbitrary()?))
        }
        _ => {
            let rtype = RecordType(u.arbitrary()?);
            let class = Class(u.arbitrary()?);
            let data = some_bytes(u, 64)?;
            if is_typed(rtype, class, data.len()) {
                // Move to a type nobody interprets, keeping the bytes.
                (
                    RDataRepr::Unknown {
                        rtype: RecordType(65280),
                        data,
                    },
                    class,
                )
            } else {
                (RDataRepr::Unknown { rtype, data }, class)
            }
        }
    })
}

impl<'a> Arbitrary<'a> for RDataRepr {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(rdata_and_class(u)?.0)
    }
}

impl<'a> Arbitrary<'a> for RecordRepr {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let name = u.arbitrary()?;
        let (data, class) = rdata_and_class(u)?;
        Ok(RecordRepr {
            name,
            class,
            ttl: u.arbitrary()?,
            data,
        })
    }
}

/// Up to `max` values.
fn some<'a, T: Arbitrary<'a>>(u: &mut Unstructured<'a>, max: usize) -> Result<Vec<T>> {
    let count = u.int_in_range(0..=max)?;
    (0..count).map(|_| u.arbitrary()).collect()
}

impl<'a> Arbitrary<'a> for Repr {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Repr {
            id: u.arbitrary()?,
            flags: Flags(u.arbitrary()?),
            questions: some(u, 3)?,
            answers: some(u, 8)?,
            authorities: some(u, 4)?,
            additionals: some(u, 4)?,
        })
    }
}
