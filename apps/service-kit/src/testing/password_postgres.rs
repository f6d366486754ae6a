//! A PostgreSQL server of its own that checks passwords (scram-sha-256),
//! for tests of the login after a password rotation: the machine's shared
//! server trusts every connection from 127.0.0.1, so a changed password
//! cannot be seen there.
//!
//! `initdb` into a temporary directory, started by `pg_ctl` on a free
//! loopback port (fsync off, no TLS), stopped (`-m immediate`) and removed
//! when the value drops. The binaries are the machine's PostgreSQL
//! (`$PG_BINDIR`, else the newest `/usr/lib/postgresql/*/bin`). PostgreSQL
//! refuses to run as root: as root the commands run as the `postgres`
//! system user (`runuser`), which owns the directory.

use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::{Command, Output};

use crate::config::{PgSettings, Secret};

/// The superuser's password on this server.
pub const ADMIN_PASSWORD: &str = "admin-password";

/// A running password-checking PostgreSQL.
pub struct PasswordPostgres {
    pub port: u16,
    dir: PathBuf,
    bindir: PathBuf,
    as_postgres: bool,
}

fn bindir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PG_BINDIR") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
                .filter(|bin| bin.join("initdb").exists())
                .collect()
        })
        .unwrap_or_default();
    found.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    found.pop().unwrap_or_else(|| {
        panic!("no PostgreSQL server binaries (initdb) under /usr/lib/postgresql: set PG_BINDIR")
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn checked(what: &str, out: std::io::Result<Output>) {
    let out = out.unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl PasswordPostgres {
    /// initdb + start; panics with the server's output when it cannot.
    pub fn start() -> Self {
        let as_postgres = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
        let dir = std::env::temp_dir().join(crate::testing::unique("pgpw"));
        std::fs::create_dir(&dir).expect("create the server's directory");
        let server = Self {
            port: free_port(),
            dir,
            bindir: bindir(),
            as_postgres,
        };
        let pwfile = server.dir.join("pw");
        std::fs::write(&pwfile, ADMIN_PASSWORD).expect("write the password file");
        if as_postgres {
            checked(
                "chown",
                Command::new("chown")
                    .args(["-R", "postgres:"])
                    .arg(&server.dir)
                    .output(),
            );
        }
        let data = server.dir.join("data");
        checked(
            "initdb",
            server
                .command("initdb")
                .arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "-E", "UTF8", "--no-sync"])
                .args(["--auth-host=scram-sha-256", "--auth-local=trust"])
                .arg(format!("--pwfile={}", pwfile.display()))
                .output(),
        );
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c ssl=off",
            server.port,
            server.dir.display()
        );
        checked(
            "pg_ctl start",
            server
                .command("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(server.dir.join("log"))
                .args(["-w", "-t", "30", "-o", &options, "start"])
                .output(),
        );
        server
    }

    fn command(&self, tool: &str) -> Command {
        let path = self.bindir.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    /// Settings to log in as `user` with `password` on `database`.
    pub fn settings(&self, database: &str, user: &str, password: &str) -> PgSettings {
        let mut s = PgSettings::local(database);
        s.port = self.port;
        s.user = user.into();
        s.password = Secret::new(password.into());
        s
    }

    /// A plain client as the superuser on `postgres`.
    pub async fn admin(&self) -> tokio_postgres::Client {
        let settings = self.settings("postgres", "postgres", ADMIN_PASSWORD);
        let (client, conn) = crate::db::pg_config(&settings)
            .connect(tokio_postgres::NoTls)
            .await
            .expect("connect to the password-checking PostgreSQL as its superuser");
        tokio::spawn(conn);
        client
    }

    /// The server's log (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}

impl Drop for PasswordPostgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
