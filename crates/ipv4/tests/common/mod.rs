//! Helpers shared by the integration tests: the packets captured from Linux.

#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

/// Decodes a hex dump (whitespace ignored).
pub fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

macro_rules! capture {
    ($($name:ident),* $(,)?) => {
        $(
            #[doc = concat!("`testdata/", stringify!($name), ".hex`, an IPv4 packet captured on a veth.")]
            pub fn $name() -> Vec<u8> {
                hex(include_str!(concat!("../../testdata/", stringify!($name), ".hex")))
            }
        )*

        /// Every capture, by name.
        pub fn all() -> Vec<(&'static str, Vec<u8>)> {
            vec![$((stringify!($name), $name())),*]
        }
    };
}

// Captured between two Linux network namespaces joined by a router namespace
// (198.18.1.1 -- 198.18.1.2 | 198.18.2.1 -- 198.18.2.2, MTU 1000 on the far
// side) with tcpdump: ping, ping -s 3000 (fragments), ping -R, ping -T
// tsonly, ping -t 1 (time exceeded), ping -M do -s 1200 (fragmentation
// needed), a UDP datagram to a closed port (port unreachable), ping -Q 0xb9.
capture!(
    echo_request,
    echo_reply,
    frag_req_0,
    frag_req_1,
    frag_req_2,
    frag_rep_0,
    frag_rep_1,
    frag_rep_2,
    rr_request,
    rr_reply,
    ts_request,
    ts_reply,
    ttl1_request,
    time_exceeded,
    df_request,
    frag_needed,
    udp_closed,
    port_unreachable,
    tos_request,
    tos_reply,
);
