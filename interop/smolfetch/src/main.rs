//! `smolfetch`: fetch one URL over HTTP/1.1 with smoltcp on a TAP device,
//! write the body to a file and print the transfer rate.
//!
//! This is the baseline of the interop speed run: the same download that
//! `strata fetch` makes, through the same TAP interface, by smoltcp's TCP.
//! It does only what the comparison needs: an IPv4 literal host, a GET with
//! `Connection: close`, a `Content-Length` body (or a body up to the
//! server's FIN).
//!
//! ```text
//! smolfetch [--tap NAME] [--addr A.B.C.D/N] [--buffer BYTES] [--timeout SECS] URL -o FILE
//! smolfetch [--tap NAME] [--addr A.B.C.D/N] [--buffer BYTES] --serve DIR [--port N]
//! ```
//!
//! The last line on stdout is machine-readable:
//! `smolfetch: bytes=N seconds=S mbps=R` (R in MB/s, 10^6 bytes).
//!
//! With `--serve`, it is the other end instead: an HTTP/1.1 server of the
//! files in DIR (GET only, one response per connection, up to 64
//! connections at once), so that `curl` downloads can time smoltcp's
//! sending side against `strata serve`'s. It runs until killed.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::Ipv4Addr;
use std::os::unix::io::AsRawFd;
use std::process::ExitCode;
use std::str::FromStr;

use smoltcp::iface::{Config, Interface, SocketSet};
use smoltcp::phy::{Medium, TunTapInterface, wait as phy_wait};
use smoltcp::socket::tcp;
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{EthernetAddress, IpAddress, IpCidr};

struct Options {
    serve: Option<String>,
    port: u16,
    tap: String,
    addr: Ipv4Addr,
    prefix: u8,
    buffer: usize,
    timeout: u64,
    url: String,
    output: String,
}

fn usage() -> String {
    "usage: smolfetch [--tap NAME] [--addr A.B.C.D/N] [--buffer BYTES] [--timeout SECS] \
     http://A.B.C.D[:PORT]/PATH -o FILE"
        .to_owned()
}

fn parse_args() -> Result<Options, String> {
    let mut tap = "strata0".to_owned();
    let mut cidr = "198.18.0.3/24".to_owned();
    let mut buffer = 1 << 20;
    let mut timeout = 600;
    let mut url = None;
    let mut output = None;
    let mut serve = None;
    let mut port = 80;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--tap" => tap = value("--tap")?,
            "--addr" => cidr = value("--addr")?,
            "--buffer" => {
                buffer = value("--buffer")?
                    .parse()
                    .map_err(|e| format!("--buffer: {e}"))?;
            }
            "--timeout" => {
                timeout = value("--timeout")?
                    .parse()
                    .map_err(|e| format!("--timeout: {e}"))?;
            }
            "-o" => output = Some(value("-o")?),
            "--serve" => serve = Some(value("--serve")?),
            "--port" => {
                port = value("--port")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?
            }
            "-h" | "--help" => return Err(usage()),
            other if url.is_none() && !other.starts_with('-') => url = Some(other.to_owned()),
            other => return Err(format!("unexpected argument {other}\n{}", usage())),
        }
    }
    let (addr, prefix) = cidr
        .split_once('/')
        .ok_or(format!("--addr {cidr}: want A.B.C.D/N"))?;
    if serve.is_some() {
        url.get_or_insert_with(String::new);
        output.get_or_insert_with(String::new);
    }
    Ok(Options {
        serve,
        port,
        tap,
        addr: Ipv4Addr::from_str(addr).map_err(|e| format!("--addr: {e}"))?,
        prefix: prefix.parse().map_err(|e| format!("--addr: {e}"))?,
        buffer,
        timeout,
        url: url.ok_or_else(usage)?,
        output: output.ok_or_else(usage)?,
    })
}

/// Splits `http://host[:port]/path` into its parts; the host must be an
/// IPv4 literal.
fn parse_url(url: &str) -> Result<(Ipv4Addr, u16, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or(format!("{url}: only http:// URLs"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, p.parse().map_err(|e| format!("{url}: port: {e}"))?),
        None => (authority, 80),
    };
    let host = Ipv4Addr::from_str(host).map_err(|e| format!("{url}: host: {e}"))?;
    Ok((host, port, path.to_owned()))
}

/// Where the response stands: the header is collected until its blank
/// line, then the body is streamed.
struct Response {
    header: Vec<u8>,
    body_started: bool,
    content_length: Option<u64>,
    received: u64,
}

impl Response {
    /// Takes the next bytes of the stream; body bytes go to `out`.
    fn feed(&mut self, data: &[u8], out: &mut impl Write) -> Result<(), String> {
        if self.body_started {
            self.received += data.len() as u64;
            return out.write_all(data).map_err(|e| format!("write: {e}"));
        }
        self.header.extend_from_slice(data);
        let Some(end) = self.header.windows(4).position(|w| w == b"\r\n\r\n") else {
            if self.header.len() > 64 * 1024 {
                return Err("response header longer than 64 KiB".to_owned());
            }
            return Ok(());
        };
        let head = String::from_utf8_lossy(&self.header[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap_or_default();
        if status.split_whitespace().nth(1) != Some("200") {
            return Err(format!("server answered {status:?}"));
        }
        for line in lines {
            if let Some((name, value)) = line.split_once(':') {
                if name.trim().eq_ignore_ascii_case("content-length") {
                    self.content_length = value.trim().parse().ok();
                }
                if name.trim().eq_ignore_ascii_case("transfer-encoding") {
                    return Err("chunked bodies are not supported".to_owned());
                }
            }
        }
        let body = self.header.split_off(end + 4);
        self.body_started = true;
        self.feed(&body, out)
    }

    fn complete(&self) -> bool {
        self.body_started && self.content_length.is_some_and(|n| self.received >= n)
    }
}

fn run(opts: &Options) -> Result<(u64, f64), String> {
    let (server, port, path) = parse_url(&opts.url)?;
    let mut device = TunTapInterface::new(&opts.tap, Medium::Ethernet)
        .map_err(|e| format!("TAP {}: {e}", opts.tap))?;
    let fd = device.as_raw_fd();
    let mut config = Config::new(EthernetAddress([0x02, 0x00, 0x00, 0x5e, 0x00, 0x03]).into());
    config.random_seed = u64::from(std::process::id()) * 0x9e37_79b9_7f4a_7c15;
    let mut iface = Interface::new(config, &mut device, Instant::now());
    let local = opts.addr;
    iface.update_ip_addrs(|addrs| {
        let _ = addrs.push(IpCidr::new(IpAddress::Ipv4(local), opts.prefix));
    });

    let rx = tcp::SocketBuffer::new(vec![0; opts.buffer]);
    let tx = tcp::SocketBuffer::new(vec![0; 64 * 1024]);
    let mut socket = tcp::Socket::new(rx, tx);
    // Timestamps as Linux and strata use them (RFC 7323), so that the
    // three clients negotiate the same options.
    socket.set_tsval_generator(Some(|| Instant::now().total_millis() as u32));
    socket.set_ack_delay(Some(Duration::from_millis(10)));
    let mut sockets = SocketSet::new(vec![]);
    let handle = sockets.add(socket);

    let local_port = 49152 + (std::process::id() % 16384) as u16;
    {
        let socket = sockets.get_mut::<tcp::Socket>(handle);
        socket
            .connect(iface.context(), (IpAddress::Ipv4(server), port), local_port)
            .map_err(|e| format!("connect: {e}"))?;
    }
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {server}:{port}\r\nUser-Agent: smolfetch\r\nConnection: close\r\n\r\n"
    );
    let mut sent = false;
    let file = File::create(&opts.output).map_err(|e| format!("{}: {e}", opts.output))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut response = Response {
        header: Vec::new(),
        body_started: false,
        content_length: None,
        received: 0,
    };
    let started = std::time::Instant::now();
    let deadline = started + std::time::Duration::from_secs(opts.timeout);
    let mut connected_at = None;
    loop {
        if std::time::Instant::now() > deadline {
            return Err(format!(
                "timed out after {} s with {} body bytes",
                opts.timeout, response.received
            ));
        }
        let now = Instant::now();
        iface.poll(now, &mut device, &mut sockets);
        let socket = sockets.get_mut::<tcp::Socket>(handle);
        if !sent && !socket.is_open() {
            return Err("connection refused or reset before the request".to_owned());
        }
        if !sent && socket.may_send() {
            connected_at.get_or_insert_with(std::time::Instant::now);
            socket
                .send_slice(request.as_bytes())
                .map_err(|e| format!("send: {e}"))?;
            sent = true;
        }
        let mut failed = None;
        while socket.can_recv() {
            let result = socket.recv(|data| (data.len(), response.feed(data, &mut out)));
            match result {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    failed = Some(e);
                    break;
                }
                Err(e) => {
                    failed = Some(format!("recv: {e}"));
                    break;
                }
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        if response.complete() {
            socket.close();
            break;
        }
        if sent && !socket.may_recv() {
            if response.content_length.is_none() && response.body_started {
                break;
            }
            return Err(format!(
                "connection closed after {} body bytes (state {})",
                response.received,
                socket.state()
            ));
        }
        let delay = iface.poll_delay(now, &sockets);
        let delay = Some(delay.map_or(Duration::from_millis(100), |d| {
            d.min(Duration::from_millis(100))
        }));
        phy_wait(fd, delay).map_err(|e| format!("wait: {e}"))?;
    }
    out.flush().map_err(|e| format!("write: {e}"))?;
    let elapsed = connected_at
        .map_or(started.elapsed(), |t| t.elapsed())
        .as_secs_f64();
    // Let the close reach the server (bounded), so the next run finds no
    // half-open connection behind.
    let close_end = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while std::time::Instant::now() < close_end {
        let now = Instant::now();
        iface.poll(now, &mut device, &mut sockets);
        if !sockets.get_mut::<tcp::Socket>(handle).is_open() {
            break;
        }
        let _ = phy_wait(fd, Some(Duration::from_millis(10)));
    }
    Ok((response.received, elapsed))
}

/// One connection of the server: the request head as it arrives, then
/// the response being sent.
struct Conn {
    handle: smoltcp::iface::SocketHandle,
    head: Vec<u8>,
    response: Option<(Vec<u8>, usize)>,
}

fn respond(dir: &str, head: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let mut parts = text.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let name = target.trim_start_matches('/');
    let body = if method != "GET" || name.contains("..") {
        None
    } else {
        std::fs::read(std::path::Path::new(dir).join(name)).ok()
    };
    match body {
        Some(body) => {
            let mut out = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            out.extend_from_slice(&body);
            out
        }
        None => {
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
        }
    }
}

fn serve(opts: &Options, dir: &str) -> Result<(), String> {
    let mut device = TunTapInterface::new(&opts.tap, Medium::Ethernet)
        .map_err(|e| format!("TAP {}: {e}", opts.tap))?;
    let fd = device.as_raw_fd();
    let mut config = Config::new(EthernetAddress([0x02, 0x00, 0x00, 0x5e, 0x00, 0x03]).into());
    config.random_seed = u64::from(std::process::id()) * 0x9e37_79b9_7f4a_7c15;
    let mut iface = Interface::new(config, &mut device, Instant::now());
    iface.update_ip_addrs(|addrs| {
        let _ = addrs.push(IpCidr::new(IpAddress::Ipv4(opts.addr), opts.prefix));
    });
    let mut sockets = SocketSet::new(vec![]);
    let new_listener = |sockets: &mut SocketSet<'static>| -> Result<_, String> {
        let rx = tcp::SocketBuffer::new(vec![0; 64 * 1024]);
        let tx = tcp::SocketBuffer::new(vec![0; opts.buffer]);
        let mut socket = tcp::Socket::new(rx, tx);
        socket.set_tsval_generator(Some(|| Instant::now().total_millis() as u32));
        socket
            .listen(opts.port)
            .map_err(|e| format!("listen: {e}"))?;
        Ok(Conn {
            handle: sockets.add(socket),
            head: Vec::new(),
            response: None,
        })
    };
    let mut conns = vec![new_listener(&mut sockets)?];
    loop {
        let now = Instant::now();
        iface.poll(now, &mut device, &mut sockets);
        // Keep one socket listening while there is room: smoltcp accepts
        // one connection per listening socket.
        if conns.len() < 64
            && conns
                .iter()
                .all(|c| !sockets.get::<tcp::Socket>(c.handle).is_listening())
        {
            conns.push(new_listener(&mut sockets)?);
        }
        let mut finished = Vec::new();
        for (i, conn) in conns.iter_mut().enumerate() {
            let socket = sockets.get_mut::<tcp::Socket>(conn.handle);
            if conn.response.is_none() {
                while socket.can_recv() {
                    let _ = socket.recv(|data| {
                        conn.head.extend_from_slice(data);
                        (data.len(), ())
                    });
                }
                if conn.head.windows(4).any(|w| w == b"\r\n\r\n") {
                    conn.response = Some((respond(dir, &conn.head), 0));
                }
            }
            if let Some((body, sent)) = conn.response.as_mut() {
                while *sent < body.len() && socket.can_send() {
                    match socket.send_slice(&body[*sent..]) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => *sent += n,
                    }
                }
                if *sent == body.len() && socket.send_queue() == 0 {
                    socket.close();
                }
            }
            let state = socket.state();
            if !socket.is_listening() && matches!(state, tcp::State::Closed | tcp::State::TimeWait)
            {
                finished.push(i);
            }
        }
        for i in finished.into_iter().rev() {
            let conn = conns.swap_remove(i);
            sockets.remove(conn.handle);
        }
        let delay = iface.poll_delay(now, &sockets);
        let delay = Some(delay.map_or(Duration::from_millis(100), |d| {
            d.min(Duration::from_millis(100))
        }));
        phy_wait(fd, delay).map_err(|e| format!("wait: {e}"))?;
    }
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("smolfetch: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(dir) = opts.serve.clone() {
        return match serve(&opts, &dir) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("smolfetch: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match run(&opts) {
        Ok((bytes, seconds)) => {
            let mbps = bytes as f64 / seconds.max(1e-9) / 1e6;
            println!("smolfetch: bytes={bytes} seconds={seconds:.3} mbps={mbps:.1}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("smolfetch: {e}");
            ExitCode::FAILURE
        }
    }
}
