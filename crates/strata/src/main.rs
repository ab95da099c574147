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
