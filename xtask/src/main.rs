//! `cargo xtask`: the project's chores, runnable the same way on a laptop
//! and in CI.
//!
//! - `ci`: format check, clippy, the test suite, a fuzz smoke of every
//!   target and `cargo deny`;
//! - `fuzz <target|all> [--time SECS]`: run fuzz targets with cargo-fuzz;
//! - `bench [criterion args]`: the criterion benchmarks with peer baselines;
//!   `bench interop`: the speed runs over a TAP device against the kernel
//!   (strata fetch vs a smoltcp client, clean and impaired; strata serve);
//! - `interop [args]`: the interop suite (`scripts/interop.sh`, needs root).

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

/// Seconds each fuzz target runs during `ci`: enough to shake out shallow
/// panics, small enough that all of them fit in a couple of minutes.
const CI_FUZZ_SECS: u64 = 15;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(args.get(1..).unwrap_or_default()),
        Some("fuzz") => fuzz_cmd(args.get(1..).unwrap_or_default()),
        Some("bench") => bench(args.get(1..).unwrap_or_default()),
        Some("test") => test(),
        Some("interop") => interop(args.get(1..).unwrap_or_default()),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cargo xtask <command>
  ci [--skip-tests]           fmt check, clippy, tests, fuzz smoke, cargo deny
                              (--skip-tests: all but the test suite, for a
                              caller that runs `cargo test --workspace` itself)
  test                        the test suite alone (cargo test --workspace)
  fuzz <target|all> [--time SECS]
                              run cargo-fuzz targets (default 60 s each)
  bench [ARGS...]             criterion benchmarks (ARGS go to criterion)
  bench interop               MB/s over a TAP device against the kernel:
                              strata fetch vs smoltcp, clean and impaired,
                              and curl from strata serve (needs root)
  interop [ARGS...]           the interop suite, scripts/interop.sh (needs
                              root; ARGS go to the script, e.g. --keep)";

fn root() -> PathBuf {
    // xtask's manifest is one level below the workspace root.
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map_or(manifest.clone(), Path::to_path_buf)
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    eprintln!("xtask: running {shown}");
    let started = Instant::now();
    let status = cmd
        .current_dir(root())
        .status()
        .map_err(|e| format!("could not start {shown}: {e}"))?;
    eprintln!("xtask: {shown} finished in {:.1?}", started.elapsed());
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed with {status}"))
    }
}

fn cargo() -> Command {
    Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn test() -> Result<(), String> {
    // The one test command README.md gives; doc tests are part of it.
    run(cargo().args(["test", "--workspace"]))
}

fn ci(args: &[String]) -> Result<(), String> {
    let skip_tests = match args {
        [] => false,
        [flag] if flag == "--skip-tests" => true,
        other => return Err(format!("ci: unexpected arguments {other:?}\n{USAGE}")),
    };
    run(cargo().args(["fmt", "--all", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]))?;
    if !skip_tests {
        test()?;
    }
    fuzz(&fuzz_targets()?, CI_FUZZ_SECS)?;
    deny()
}

fn deny() -> Result<(), String> {
    eprintln!(
        "xtask: cargo deny: skipping `advisories`: the RustSec advisory database \
         cannot be downloaded on this network; checking licenses, bans and sources"
    );
    run(Command::new("cargo").args([
        "deny",
        "--all-features",
        "check",
        "licenses",
        "bans",
        "sources",
    ]))
}

fn fuzz_targets() -> Result<Vec<String>, String> {
    let dir = root().join("fuzz").join("fuzz_targets");
    let mut targets: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "rs").then(|| path.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    targets.sort();
    Ok(targets)
}

fn fuzz_cmd(args: &[String]) -> Result<(), String> {
    let mut which = None;
    let mut secs = 60;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--time" => {
                let value = it.next().ok_or("--time needs a number of seconds")?;
                secs = value
                    .parse()
                    .map_err(|_| format!("--time: not a number of seconds: {value}"))?;
            }
            name if which.is_none() => which = Some(name.to_string()),
            other => return Err(format!("unexpected argument {other}\n{USAGE}")),
        }
    }
    let all = fuzz_targets()?;
    let targets = match which.as_deref() {
        None | Some("all") => all,
        Some(name) if all.iter().any(|t| t == name) => vec![name.to_string()],
        Some(name) => {
            return Err(format!(
                "no fuzz target {name}; targets: {}",
                all.join(", ")
            ));
        }
    };
    fuzz(&targets, secs)
}

fn fuzz(targets: &[String], secs: u64) -> Result<(), String> {
    let fuzz_dir = root().join("fuzz");
    // Build every target once up front so the per-target time budget is
    // spent fuzzing, not compiling.
    run(Command::new("cargo")
        .args(["+nightly", "fuzz", "build", "--fuzz-dir"])
        .arg(&fuzz_dir))?;
    for target in targets {
        let corpus = fuzz_dir.join("corpus").join(target);
        std::fs::create_dir_all(&corpus)
            .map_err(|e| format!("cannot create {}: {e}", corpus.display()))?;
        run(Command::new("cargo")
            .args(["+nightly", "fuzz", "run", "--fuzz-dir"])
            .arg(&fuzz_dir)
            .arg(target)
            .arg(&corpus)
            .arg("--")
            .arg(format!("-max_total_time={secs}"))
            .arg("-print_final_stats=1"))?;
    }
    Ok(())
}

fn interop(args: &[String]) -> Result<(), String> {
    run(Command::new("bash")
        .arg(root().join("scripts").join("interop.sh"))
        .args(args))
}

fn bench(args: &[String]) -> Result<(), String> {
    if args.first().is_some_and(|a| a == "interop") {
        let mut rest = vec!["--bench".to_string()];
        rest.extend(args.iter().skip(1).cloned());
        return interop(&rest);
    }
    let mut cmd = cargo();
    cmd.args(["bench", "-p", "strata-benches"]);
    if !args.is_empty() {
        cmd.arg("--").args(args);
    }
    run(&mut cmd)
}
