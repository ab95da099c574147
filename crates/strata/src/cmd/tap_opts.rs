//! The options every network command shares, and the host they make.
//!
//! `--tap NAME` (default `strata0`) names the TAP interface, attached if it
//! exists and created otherwise; `--addr CIDR` (default `198.18.0.2/24`) is
//! strata's address; `--gateway IP` and `--dns IP` default to the first
//! host of that network (`198.18.0.1`), where the kernel's side of the TAP
//! usually sits.
//!
//! ```
//! use clap::Parser;
//! use strata::cmd::tap_opts::TapOpts;
//!
//! #[derive(Parser)]
//! struct Cli {
//!     #[command(flatten)]
//!     tap: TapOpts,
//! }
//!
//! let cli = Cli::try_parse_from(["x", "--addr", "198.18.1.10/24"])?;
//! assert_eq!(cli.tap.tap, "strata0");
//! assert_eq!(cli.tap.gateway(), Some("198.18.1.1".parse()?));
//! assert_eq!(cli.tap.dns(), Some("198.18.1.1".parse()?));
//! let config = cli.tap.interface_config(1500, 7);
//! assert_eq!(config.dns_servers, ["198.18.1.1".parse::<std::net::Ipv4Addr>()?]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::net::Ipv4Addr;

use strata_ethernet::MacAddress;
use strata_ipv4::route::Ipv4Cidr;

use crate::iface::InterfaceConfig;

/// The shared options of `strata ping|resolve|fetch|serve`.
#[derive(Clone, Debug, clap::Args)]
pub struct TapOpts {
    /// TAP interface to use: attached to if it exists, created otherwise
    /// (creating, bringing up and setting the MTU need CAP_NET_ADMIN).
    #[arg(long, value_name = "NAME", default_value = "strata0")]
    pub tap: String,
    /// strata's own address and subnet.
    #[arg(long, value_name = "CIDR", default_value = "198.18.0.2/24")]
    pub addr: Ipv4Cidr,
    /// Default gateway [default: the first host of --addr's network].
    #[arg(long, value_name = "IP")]
    pub gateway: Option<Ipv4Addr>,
    /// DNS server [default: the first host of --addr's network].
    #[arg(long, value_name = "IP")]
    pub dns: Option<Ipv4Addr>,
}

impl TapOpts {
    /// The first host address of `--addr`'s network (`198.18.0.1` for
    /// `198.18.0.2/24`), unless that is strata's own address or the
    /// network has no room for another host.
    #[must_use]
    pub fn first_host(&self) -> Option<Ipv4Addr> {
        let network = u32::from(self.addr.network());
        let first = match self.addr.prefix_len {
            0..=30 => Ipv4Addr::from(network.wrapping_add(1)),
            31 => Ipv4Addr::from(network),
            _ => return None,
        };
        if first == self.addr.address {
            if self.addr.prefix_len == 31 {
                return Some(Ipv4Addr::from(network | 1));
            }
            return None;
        }
        Some(first)
    }

    /// The gateway: `--gateway`, else [`first_host`](Self::first_host).
    #[must_use]
    pub fn gateway(&self) -> Option<Ipv4Addr> {
        self.gateway.or_else(|| self.first_host())
    }

    /// The DNS server: `--dns`, else [`first_host`](Self::first_host).
    #[must_use]
    pub fn dns(&self) -> Option<Ipv4Addr> {
        self.dns.or_else(|| self.first_host())
    }

    /// strata's MAC on the TAP: locally administered, derived from the TAP
    /// name and the address so that it stays the same from one run to the
    /// next (the kernel's neighbour entry for strata stays valid).
    #[must_use]
    pub fn mac(&self) -> MacAddress {
        // FNV-1a: only to spread the bits, not for security.
        let text = format!("{}/{}", self.tap, self.addr);
        let h = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        let b = h.to_be_bytes();
        MacAddress([0x02, 0x00, b[4], b[5], b[6], b[7]])
    }

    /// The interface configuration these options describe, for a link of
    /// `mtu` bytes: the MAC of [`mac`](Self::mac) and the sockets'
    /// randomness (sequence numbers, ports, DNS ids) drawn from `seed`.
    #[must_use]
    pub fn interface_config(&self, mtu: usize, seed: u64) -> InterfaceConfig {
        let mut config = InterfaceConfig::new(self.mac(), self.addr);
        config.mtu = mtu;
        config.gateway = self.gateway();
        config.seed = seed;
        config.dns_servers = self.dns().into_iter().collect();
        config
    }

    /// Opens the TAP device and builds the interface on it.
    ///
    /// # Errors
    /// The device's (no permission, no `/dev/net/tun`, busy) or a
    /// configuration the interface refuses (as `InvalidInput`).
    #[cfg(target_os = "linux")]
    pub fn open(&self) -> std::io::Result<(crate::iface::Interface, TapLink)> {
        let tap = crate::device::tap::TapDevice::open(&self.tap)?;
        let config = self.interface_config(tap.mtu(), super::random_seed());
        let iface = crate::iface::Interface::new(config)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        wait_operational(tap.name());
        if tap.created() {
            eprintln!(
                "strata: created TAP {name}; give the kernel side an address, e.g. `ip addr add {host}/{len} dev {name}`",
                name = tap.name(),
                host = self.first_host().unwrap_or(Ipv4Addr::new(198, 18, 0, 1)),
                len = self.addr.prefix_len,
            );
        }
        Ok((iface, TapLink(tap)))
    }
}

/// Waits (up to two seconds) until the kernel sees the TAP as
/// operational. When a TAP gets its carrier (the moment a process
/// attaches), the kernel activates its transmit queue only when its
/// link-watch work runs, up to a second later; until then everything the
/// kernel sends on it (the first ARP reply) is dropped. Waiting here spares
/// the first exchange a one-second retry.
#[cfg(target_os = "linux")]
fn wait_operational(name: &str) {
    let path = format!("/sys/class/net/{name}/operstate");
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_secs(2) {
        match std::fs::read_to_string(&path) {
            Ok(state) if state.trim() == "down" || state.trim() == "lowerlayerdown" => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            // Up, unknown (no carrier reporting) or no sysfs: go ahead.
            _ => return,
        }
    }
}

/// A [`TapDevice`](crate::device::tap::TapDevice) the blocking layer's
/// real-time driver can wait on ([`crate::net::Wait`]).
#[cfg(target_os = "linux")]
#[derive(Debug)]
pub struct TapLink(pub crate::device::tap::TapDevice);

#[cfg(target_os = "linux")]
impl crate::device::Device for TapLink {
    fn max_frame_len(&self) -> usize {
        self.0.max_frame_len()
    }

    fn receive<R>(
        &mut self,
        now: strata_core::time::Instant,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Option<R> {
        self.0.receive(now, f)
    }

    fn transmit(
        &mut self,
        now: strata_core::time::Instant,
        f: impl FnOnce(&mut [u8]) -> Option<usize>,
    ) -> Result<Option<usize>, crate::device::DeviceError> {
        self.0.transmit(now, f)
    }

    fn poll_at(&self) -> Option<strata_core::time::Instant> {
        self.0.poll_at()
    }
}

#[cfg(target_os = "linux")]
impl crate::net::Wait for TapLink {
    fn wait(&self, timeout: Option<std::time::Duration>) -> std::io::Result<()> {
        self.0.wait(timeout).map(|_| ())
    }
}

/// Opens the host these options describe on its TAP device, drives it in
/// real time, and runs `f` on its handle (what `ping`, `resolve` and
/// `fetch` do).
///
/// # Errors
/// As [`TapOpts::open`]; `Unsupported` off Linux.
pub fn with_realtime_host<R>(
    opts: &TapOpts,
    f: impl FnOnce(&crate::net::HostHandle) -> R,
) -> std::io::Result<R> {
    #[cfg(target_os = "linux")]
    {
        let (iface, link) = opts.open()?;
        let net = crate::net::RealtimeNet::new(iface, link);
        Ok(f(&net.host()))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (opts, f);
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "TAP devices are only supported on Linux",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        tap: TapOpts,
    }

    fn opts(args: &[&str]) -> TapOpts {
        let mut v = vec!["x"];
        v.extend_from_slice(args);
        Cli::try_parse_from(v).unwrap().tap
    }

    #[test]
    fn defaults_follow_the_address() {
        let o = opts(&[]);
        assert_eq!(o.tap, "strata0");
        assert_eq!(o.addr, "198.18.0.2/24".parse().unwrap());
        assert_eq!(o.gateway(), Some(Ipv4Addr::new(198, 18, 0, 1)));
        assert_eq!(o.dns(), Some(Ipv4Addr::new(198, 18, 0, 1)));
        let o = opts(&["--addr", "198.18.0.1/24"]);
        assert_eq!(o.gateway(), None, "strata itself is the first host");
        let o = opts(&["--addr", "198.18.0.0/31"]);
        assert_eq!(o.gateway(), Some(Ipv4Addr::new(198, 18, 0, 1)));
        let o = opts(&["--addr", "198.18.0.7/32"]);
        assert_eq!(o.gateway(), None);
        let o = opts(&[
            "--tap",
            "t1",
            "--gateway",
            "198.18.0.254",
            "--dns",
            "198.18.1.53",
        ]);
        assert_eq!(o.tap, "t1");
        assert_eq!(o.gateway(), Some(Ipv4Addr::new(198, 18, 0, 254)));
        assert_eq!(o.dns(), Some(Ipv4Addr::new(198, 18, 1, 53)));
        assert!(Cli::try_parse_from(["x", "--addr", "198.18.0.2/33"]).is_err());
    }

    #[test]
    fn config_builds_an_interface() {
        let config = opts(&[]).interface_config(1500, 0x1234_5678_9abc_def0);
        assert_eq!(
            config.mac,
            opts(&[]).mac(),
            "the MAC does not depend on the seed"
        );
        assert_eq!(config.mac.0[..2], [0x02, 0]);
        assert!(config.mac.is_unicast());
        assert_ne!(config.mac, opts(&["--tap", "strata1"]).mac());
        assert_eq!((config.seed, config.mtu), (0x1234_5678_9abc_def0, 1500));
        assert!(crate::iface::Interface::new(config).is_ok());
    }
}
