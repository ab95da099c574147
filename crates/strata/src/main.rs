//! The `strata` command line.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use strata::capture::CaptureReader;
use strata::decode::dissect_frame;

/// strata: a userspace TCP/IP stack, and tools built on it.
#[derive(Debug, Parser)]
#[command(name = "strata", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Dissect every frame of a pcap or pcapng capture, layer by layer
    /// (Ethernet, 802.1Q, ARP, IPv4, ICMPv4, UDP, TCP, DNS).
    Decode {
        /// The capture file (pcap or pcapng; the format is detected).
        file: PathBuf,
        /// Output format: a readable tree, or JSON Lines keyed by
        /// Wireshark field names.
        #[arg(long, value_enum, default_value_t = OutputFormat::Tree)]
        format: OutputFormat,
    },
    /// Two hosts on an in-memory link: the client resolves
    /// server.example.test, connects to port 80, fetches a page over
    /// HTTP/1.1 and closes; the story is told layer by layer.
    Demo {
        /// Write every frame the client's end of the link sent or received
        /// to this pcapng file (opens in Wireshark/tshark).
        #[arg(long, value_name = "FILE")]
        pcap: Option<PathBuf>,
        /// Draw the TCP conversation as an SVG sequence diagram.
        #[arg(long, value_name = "FILE.svg")]
        ladder: Option<PathBuf>,
        /// Probability that the link loses a frame (each direction), 0..1.
        #[arg(long, value_name = "P", default_value_t = 0.0)]
        loss: f64,
        /// Seed of the link's and the hosts' random choices.
        #[arg(long, value_name = "N", default_value_t = 1)]
        seed: u64,
    },
    /// Send ICMP echo requests over a TAP device and print the round trips
    /// like iputils' ping.
    Ping(strata::cmd::ping::PingArgs),
    /// Look a name up in the DNS over a TAP device (UDP, TCP when
    /// truncated).
    Resolve(strata::cmd::resolve::ResolveArgs),
    /// Fetch an http:// URL over a TAP device.
    Fetch(strata::cmd::fetch::FetchArgs),
    /// Serve a directory over HTTP/1.1 on a TAP device.
    Serve(strata::cmd::serve::ServeArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    /// One indented tree per frame, like a packet analyser's detail pane.
    Tree,
    /// One JSON object per line and frame.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode { file, format } => decode(&file, format),
        Command::Demo {
            pcap,
            ladder,
            loss,
            seed,
        } => demo(pcap.as_deref(), ladder.as_deref(), loss, seed),
        Command::Ping(args) => strata::cmd::ping::main(&args),
        Command::Resolve(args) => strata::cmd::resolve::main(&args),
        Command::Fetch(args) => strata::cmd::fetch::main(&args),
        Command::Serve(args) => strata::cmd::serve::main(&args),
    }
}

fn demo(
    pcap: Option<&std::path::Path>,
    ladder: Option<&std::path::Path>,
    loss: f64,
    seed: u64,
) -> ExitCode {
    if !(0.0..=1.0).contains(&loss) {
        eprintln!("strata: --loss must be between 0 and 1, got {loss}");
        return ExitCode::FAILURE;
    }
    let config = strata::demo::DemoConfig {
        loss,
        seed,
        ..strata::demo::DemoConfig::default()
    };
    let mut file = match pcap.map(std::fs::File::create).transpose() {
        Ok(file) => file.map(BufWriter::new),
        Err(e) => {
            eprintln!("strata: cannot create the capture file: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = strata::demo::run(&config, file.as_mut().map(|f| f as &mut dyn Write));
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(e) => {
            if let strata::demo::DemoError::Incomplete { story, .. } = &e {
                print!("{story}");
            }
            eprintln!("strata: demo failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(Err(e)) = file.map(|mut f| f.flush()) {
        eprintln!("strata: cannot write the capture file: {e}");
        return ExitCode::FAILURE;
    }
    print!("{}", outcome.story);
    if let Some(path) = pcap {
        println!("  capture written to {}", path.display());
    }
    if let Some(path) = ladder {
        let Some(diagram) = outcome.ladder.as_ref() else {
            eprintln!("strata: no TCP conversation to draw");
            return ExitCode::FAILURE;
        };
        if let Err(e) = std::fs::write(path, diagram.to_svg()) {
            eprintln!("strata: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("  sequence diagram written to {}", path.display());
    }
    if outcome.response == strata::demo::http_response() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Why `decode` stopped.
enum Failure {
    Capture(strata::capture::CaptureError),
    Output(io::Error),
}

fn decode(file: &std::path::Path, format: OutputFormat) -> ExitCode {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = decode_to(file, format, &mut out);
    let flushed = out.flush();
    match result.and(flushed.map_err(Failure::Output)) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`strata decode … | head`) is the reader's choice,
        // not a failure.
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Output(e)) => {
            eprintln!("strata: cannot write output: {e}");
            ExitCode::FAILURE
        }
        Err(Failure::Capture(e)) => {
            eprintln!("strata: {e}");
            ExitCode::FAILURE
        }
    }
}

fn decode_to(
    file: &std::path::Path,
    format: OutputFormat,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let reader = CaptureReader::open(file).map_err(Failure::Capture)?;
    for (i, frame) in reader.enumerate() {
        let frame = frame.map_err(Failure::Capture)?;
        let dissection = dissect_frame(&frame.meta, &frame.data);
        match format {
            OutputFormat::Json => writeln!(out, "{}", dissection.to_json()),
            OutputFormat::Tree => {
                let sep = if i == 0 { "" } else { "\n" };
                write!(out, "{sep}{}", dissection.tree())
            }
        }
        .map_err(Failure::Output)?;
    }
    Ok(())
}
