//! argon2id natively, at the parameters the Worker uses, for `make bench`'s wasm/native ratio:
//!
//!     cargo run --release --example argon2_native [-- N]
//!
//! The parameters are read as the Worker reads them: wrangler.toml's `[vars]` (and .dev.vars,
//! for the secrets `Config` also insists on) through [`Config::from_lookup`]. Each hash is
//! computed as `src/credentials/password.rs` computes one: argon2id v0x13, a 32-byte output,
//! one memory buffer reused across hashes. Built with the release profile, the very profile
//! (`opt-level = "z"`, LTO) the Worker is built with, so the ratio measures the target, not the
//! optimisation settings.
//!
//! Time is this thread's CPU time from /proc/thread-self/schedstat (nanoseconds on CPU), the
//! measure bench/auth-cost.mjs takes of workerd, so waiting for a shared core counts in
//! neither; wall time where schedstat is missing. Prints the median over N hashes (default 15)
//! after 2 warm-ups; the last line is one JSON object. Exits non-zero on any error.

use std::collections::HashMap;
use std::time::Instant;

use argon2::{Algorithm, Argon2, Block, Params, Version};
use edge_auth::Config;

/// `KEY = "value"` lines of wrangler.toml's top-level `[vars]` table.
fn wrangler_vars(toml: &str) -> HashMap<String, String> {
    let mut vars = HashMap::new();
    let mut in_vars = false;
    for line in toml.lines().map(str::trim) {
        if line.starts_with('[') {
            in_vars = line == "[vars]";
            continue;
        }
        if !in_vars || line.starts_with('#') {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            vars.insert(key.trim().to_string(), unquote(value.trim()).to_string());
        }
    }
    vars
}

/// `KEY=value` or `KEY="value"` lines of a .dev.vars file.
fn dev_vars(text: &str) -> HashMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_string(), unquote(value.trim()).to_string()))
        .collect()
}

fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

/// This thread's CPU time in nanoseconds, if Linux tells it.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = match std::env::args().nth(1) {
        Some(arg) => arg
            .parse()
            .map_err(|_| format!("N must be a number: {arg}"))?,
        None => 15,
    };
    if n == 0 {
        return Err("N must be at least 1".into());
    }
    let toml = std::fs::read_to_string("wrangler.toml")
        .map_err(|err| format!("wrangler.toml (run from the repository root): {err}"))?;
    let mut vars = wrangler_vars(&toml);
    if let Ok(text) = std::fs::read_to_string(".dev.vars") {
        vars.extend(dev_vars(&text));
    }
    let config = Config::from_lookup(|name| vars.get(name).cloned())
        .map_err(|err| format!("configuration from wrangler.toml and .dev.vars: {err}"))?;
    let p = config.password;
    let params = Params::new(p.memory_kib, p.iterations, p.parallelism, Some(32))
        .map_err(|err| format!("argon2 parameters: {err}"))?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut memory = vec![Block::default(); params.block_count()];
    let mut out = [0u8; 32];

    // The known answer password.rs's tests hold, when these are the shipped parameters.
    if (p.memory_kib, p.iterations, p.parallelism) == (19456, 2, 1) {
        use base64::Engine as _;
        argon2
            .hash_password_into_with_memory(b"password", b"saltsaltsaltsalt", &mut out, &mut memory)
            .map_err(|err| format!("argon2: {err}"))?;
        let expected = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode("T95q7S205tf9WI4HhYOZDIQmMMAbntacGXTIku0gXT8")
            .map_err(|err| format!("known answer: {err}"))?;
        if out[..] != expected[..] {
            return Err("argon2id known answer mismatch".into());
        }
    }

    let cpu = thread_cpu_ns().is_some();
    let mut samples = Vec::with_capacity(n);
    for i in 0..n + 2 {
        let salt = [i as u8; 16];
        let (cpu0, wall0) = (thread_cpu_ns(), Instant::now());
        argon2
            .hash_password_into_with_memory(b"correct horse", &salt, &mut out, &mut memory)
            .map_err(|err| format!("argon2: {err}"))?;
        let ms = match (cpu0, thread_cpu_ns()) {
            (Some(a), Some(b)) if cpu => (b - a) as f64 / 1e6,
            _ => wall0.elapsed().as_secs_f64() * 1e3,
        };
        if i >= 2 {
            samples.push(ms);
        }
    }
    samples.sort_by(f64::total_cmp);
    let median = if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2.0
    };
    println!(
        "argon2id natively (m={} KiB, t={}, p={}; release profile; {}): median {:.1} ms over {} hashes (range {:.1}-{:.1})",
        p.memory_kib,
        p.iterations,
        p.parallelism,
        if cpu { "thread CPU time" } else { "wall time" },
        median,
        n,
        samples[0],
        samples[n - 1],
    );
    println!("{{\"argon2_native_ms\": {:.1}}}", median);
    Ok(())
}
