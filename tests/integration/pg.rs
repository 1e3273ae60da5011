//! A throwaway PostgreSQL cluster for the tests: `initdb` and `pg_ctl` on a Unix socket in a
//! temporary folder (as the `postgres` user when the tests run as root, since `initdb` refuses
//! root), stopped when dropped. Without the PostgreSQL server programs, [`Cluster::start`] says
//! how to enable these tests and returns `None`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A running cluster.
pub struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    as_postgres: bool,
    /// `pg_ctl start` options (the socket folder).
    options: String,
    /// Connection url of the `postgres` database on the socket.
    pub url: String,
}

/// Where `initdb` and `pg_ctl` are: `LANTERN_PG_BIN`, else Debian's
/// `/usr/lib/postgresql/<version>/bin` (the newest), else `pg_config --bindir`.
fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("LANTERN_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").is_file())
        .collect();
    versions.sort();
    versions.pop().or_else(|| {
        let out = Command::new("pg_config").arg("--bindir").output().ok()?;
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        dir.join("initdb").is_file().then_some(dir)
    })
}

fn postgres_ids() -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    let line = passwd.lines().find(|l| l.starts_with("postgres:"))?;
    let fields: Vec<&str> = line.split(':').collect();
    Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?))
}

impl Cluster {
    /// Starts a cluster, or says why not (and how to enable the tests) and returns `None`.
    pub fn start() -> Option<Cluster> {
        let Some(bin) = bin_dir() else {
            eprintln!(
                "skipping the PostgreSQL tests: initdb not found. Install the PostgreSQL server programs (Debian: apt-get install postgresql) or set LANTERN_PG_BIN to their folder; .ci/run installs them."
            );
            return None;
        };
        // A short path: the socket's full name must fit in 107 bytes.
        let dir = tempfile::Builder::new()
            .prefix("lantern-pg")
            .tempdir_in("/tmp")
            .expect("a temporary folder");
        // SAFETY: geteuid has no preconditions.
        let as_postgres = unsafe { libc::geteuid() } == 0;
        if as_postgres {
            let (uid, gid) =
                postgres_ids().expect("a postgres user to run initdb as (root may not)");
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
        }
        let socket = path(dir.path()).to_string();
        let cluster = Cluster {
            url: format!("postgres://lantern@localhost/postgres?host={socket}"),
            options: format!(
                "-k {socket} -c listen_addresses='' -c fsync=off -c max_connections=60"
            ),
            bin,
            dir,
            as_postgres,
        };
        let data = cluster.dir.path().join("data");
        cluster.run(
            "initdb",
            &[
                "-D",
                path(&data),
                "-U",
                "lantern",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        cluster.start_server();
        Some(cluster)
    }

    fn run(&self, program: &str, args: &[&str]) {
        let exe = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd
            .args(args)
            .output()
            .expect("the PostgreSQL program runs");
        assert!(
            out.status.success(),
            "{program} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The url of a fresh database named `name` in this cluster.
    pub async fn database(&self, name: &str) -> String {
        use sqlx::Connection;
        let mut admin = sqlx::PgConnection::connect(&self.url)
            .await
            .expect("connects");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("creates a database");
        self.url.replace("/postgres?", &format!("/{name}?"))
    }

    fn start_server(&self) {
        let data = self.dir.path().join("data");
        let log = self.dir.path().join("log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                path(&data),
                "-l",
                path(&log),
                "-o",
                &self.options,
                "-w",
                "start",
            ],
        );
    }

    /// Starts the server again after [`Cluster::stop`], on the same data.
    pub fn restart(&self) {
        self.start_server();
    }

    /// Stops the server at once (as a crash would), for fault tests; [`Cluster::restart`]
    /// brings it back on the same data.
    pub fn stop(&self) {
        let data = self.dir.path().join("data");
        self.run(
            "pg_ctl",
            &["-D", path(&data), "-m", "immediate", "-w", "stop"],
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let exe = self.bin.join("pg_ctl");
        let args = ["-D", path(&data), "-m", "immediate", "-w", "stop"];
        let _ = if self.as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&exe)
                .args(args)
                .output()
        } else {
            Command::new(&exe).args(args).output()
        };
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}
