//! `<binary> healthcheck`: the container health probe of `docs/contracts.md`.
//!
//! GET `http://127.0.0.1:$HTTP_PORT/healthz` with a 2 s timeout over a plain
//! std TCP connection (no shell, no curl, no async runtime); exit 0 on 200,
//! 1 otherwise. Use [`from_args`] first thing in `main`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Handles the binary's optional argument. `None`: no argument, run the
/// service. `Some(code)`: `healthcheck` was run (or the argument was unknown,
/// exit 2 with usage); return this code from `main`.
pub fn from_args(binary: &str, default_port: u16) -> Option<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => None,
        Some("healthcheck") if args.len() == 1 => Some(run(default_port)),
        Some("-h" | "--help" | "help") => {
            println!(
                "usage: {binary} [healthcheck]\n\nWithout arguments, runs the service (configured by environment variables, see docs/contracts.md).\n`healthcheck` GETs http://127.0.0.1:$HTTP_PORT/healthz and exits 0 on 200, 1 otherwise."
            );
            Some(ExitCode::SUCCESS)
        }
        Some(_) => {
            eprintln!("usage: {binary} [healthcheck]");
            Some(ExitCode::from(2))
        }
    }
}

/// Probes `/healthz` on `HTTP_PORT` (or `default_port`); prints the failure reason.
pub fn run(default_port: u16) -> ExitCode {
    let port = match crate::config::Env::process()
        .port(runtime_contract::variables::HTTP_PORT, default_port)
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("healthcheck: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    match probe(
        addr,
        runtime_contract::probes::LIVENESS_PATH,
        Duration::from_secs(2),
    ) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("healthcheck: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One HTTP/1.1 GET of `path` at `addr`; `Ok` when the status is 200.
/// The whole exchange is bounded by `timeout`.
pub fn probe(addr: impl ToSocketAddrs, path: &str, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    let addr = addr
        .to_socket_addrs()
        .map_err(|e| format!("bad address: {e}"))?
        .next()
        .ok_or("no address")?;
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("connect {addr}: {e}"))?;
    let remaining = || {
        deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1))
    };
    stream
        .set_write_timeout(Some(remaining()))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: healthcheck\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("send: {e}"))?;
    let mut buf = [0u8; 64];
    let mut got = Vec::new();
    // Only the status line matters.
    while !got.contains(&b'\n') && got.len() < 1024 {
        stream
            .set_read_timeout(Some(remaining()))
            .map_err(|e| e.to_string())?;
        if Instant::now() >= deadline {
            return Err("timed out".into());
        }
        let n = stream.read(&mut buf).map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&got);
    let status = line.split_whitespace().nth(1).unwrap_or("");
    if status == "200" {
        Ok(())
    } else {
        Err(format!(
            "unexpected answer: {:?}",
            line.lines().next().unwrap_or("")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn serve_once(answer: &'static str) -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = l.accept() {
                // read the whole request head, answer, then drain until the
                // client closes: closing with unread bytes would reset the
                // connection before the client read the answer
                let mut seen = Vec::new();
                let mut b = [0u8; 512];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut b) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => seen.extend_from_slice(&b[..n]),
                    }
                }
                let _ = s.write_all(answer.as_bytes());
                let _ = s.shutdown(std::net::Shutdown::Write);
                while matches!(s.read(&mut b), Ok(n) if n > 0) {}
            }
        });
        addr
    }

    #[test]
    fn ok_on_200_only() {
        assert!(
            probe(
                serve_once("HTTP/1.1 200 OK\r\n\r\n"),
                "/healthz",
                Duration::from_secs(2)
            )
            .is_ok()
        );
        assert!(
            probe(
                serve_once("HTTP/1.1 503 Service Unavailable\r\n\r\n"),
                "/healthz",
                Duration::from_secs(2)
            )
            .is_err()
        );
    }

    #[test]
    fn fails_fast_when_nothing_listens_or_hangs() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        // accepted by the kernel but never answered
        let start = Instant::now();
        assert!(probe(addr, "/healthz", Duration::from_millis(300)).is_err());
        assert!(start.elapsed() < Duration::from_secs(2));
        drop(l);
        assert!(probe(addr, "/healthz", Duration::from_millis(300)).is_err());
    }
}
