//! A real MariaDB per test (never mocked, never skipped): the data directory
//! is installed once per machine into a template (`mariadb-install-db`, ~3 s)
//! and copied per test (`cp -a`), then `mariadbd` starts on a free loopback
//! port, niced, with TLS certificates the test made (`rcgen`, a CA of its own
//! and a server certificate for `localhost` and the IP 127.0.0.1). The server
//! runs in a guarded process group: it is killed and its directory removed
//! when the test ends, even if the test panics or is killed.
//!
//! Parallel test processes share the template through an atomic rename: each
//! installs into a directory of its own and renames it into place; a loser
//! finds the template there and throws its copy away (no lock file to go
//! stale after a SIGKILL).

use super::process::{ChildGuard, SpawnGuarded};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Bound on a server becoming ready (2 loaded cores; usually < 1 s).
const READY_WAIT: Duration = Duration::from_secs(60);

/// A CA and what it signed, in PEM.
#[derive(Clone)]
pub struct Certs {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

impl Certs {
    /// A new CA and a server certificate for `names` (and always IP 127.0.0.1
    /// when `with_loopback_ip`).
    pub fn new(names: &[&str], with_loopback_ip: bool) -> Certs {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "Tillbook test CA");
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
        if with_loopback_ip {
            p.subject_alt_names
                .push(SanType::IpAddress(Ipv4Addr::LOCALHOST.into()));
        }
        p.distinguished_name.push(DnType::CommonName, "head office");
        let cert = p.signed_by(&key, &issuer).unwrap();
        Certs {
            ca_pem: ca_cert.pem(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

pub struct MariaDb {
    pub port: u16,
    pub certs: Option<Certs>,
    pub dir: TempDir,
    server: Option<ChildGuard>,
}

pub const DATABASE: &str = "head_office";
pub const ADMIN: &str = "ho_admin";
pub const ADMIN_PASSWORD: &str = "admin-pw-1";

fn need(program: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "{program} is missing: the sync tests need a real MariaDB (scripts/install-deps installs mariadb-server mariadb-client)"
    );
}

/// The installed template data directory, made once per machine.
fn template() -> PathBuf {
    let root = std::env::temp_dir().join("tillbook-test-mariadb");
    let done = root.join("template");
    if done.join("mysql").is_dir() {
        return done;
    }
    need("mariadb-install-db");
    std::fs::create_dir_all(&root).unwrap();
    let mine = root.join(format!("installing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&mine);
    let out = Command::new("nice")
        .args(["-n", "10", "mariadb-install-db", "--no-defaults"])
        .arg(format!("--datadir={}", mine.display()))
        .args([
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--user=root",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mariadb-install-db failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Atomic: one installer wins; the others' copies are thrown away.
    if std::fs::rename(&mine, &done).is_err() {
        let _ = std::fs::remove_dir_all(&mine);
    }
    assert!(
        done.join("mysql").is_dir(),
        "no MariaDB template at {}",
        done.display()
    );
    done
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl MariaDb {
    /// A server with TLS required, its certificate for `localhost` and 127.0.0.1.
    pub fn start() -> MariaDb {
        Self::start_with(Some(Certs::new(&["localhost"], true)))
    }

    /// `None`: a server without TLS at all.
    pub fn start_with(certs: Option<Certs>) -> MariaDb {
        need("mariadbd");
        let template = template();
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("cp")
            .arg("-a")
            .arg(&template)
            .arg(dir.path().join("data"))
            .status()
            .unwrap();
        assert!(status.success(), "copying the MariaDB template failed");
        if let Some(c) = &certs {
            std::fs::write(dir.path().join("ca.pem"), &c.ca_pem).unwrap();
            std::fs::write(dir.path().join("cert.pem"), &c.cert_pem).unwrap();
            std::fs::write(dir.path().join("key.pem"), &c.key_pem).unwrap();
        }
        let mut db = MariaDb {
            port: 0,
            certs,
            dir,
            server: None,
        };
        db.port = free_port();
        db.launch();
        db.sql(&format!(
            "CREATE DATABASE {DATABASE}; \
             CREATE USER '{ADMIN}'@'127.0.0.1' IDENTIFIED BY '{ADMIN_PASSWORD}'; \
             GRANT ALL ON *.* TO '{ADMIN}'@'127.0.0.1' WITH GRANT OPTION;"
        ));
        db
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn launch(&mut self) {
        let d = self.dir.path();
        let mut cmd = Command::new("nice");
        cmd.args(["-n", "10", "mariadbd", "--no-defaults", "--user=root"])
            .arg(format!("--datadir={}", d.join("data").display()))
            .arg(format!("--socket={}", d.join("sock").display()))
            .arg(format!("--pid-file={}", d.join("pid").display()))
            .arg(format!("--log-error={}", d.join("err.log").display()))
            .arg(format!("--port={}", self.port))
            .args([
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                "--innodb-buffer-pool-size=64M",
                "--skip-log-bin",
            ]);
        if self.certs.is_some() {
            cmd.arg(format!("--ssl-ca={}", d.join("ca.pem").display()))
                .arg(format!("--ssl-cert={}", d.join("cert.pem").display()))
                .arg(format!("--ssl-key={}", d.join("key.pem").display()))
                .arg("--require-secure-transport=ON");
        } else {
            cmd.arg("--skip-ssl");
        }
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        self.server = Some(cmd.spawn_guarded_group().unwrap());
        let start = Instant::now();
        while start.elapsed() < READY_WAIT {
            let ping = Command::new("mariadb-admin")
                .arg("--no-defaults")
                .arg(format!("--socket={}", self.path("sock").display()))
                .args(["-uroot", "ping"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            if ping.is_ok_and(|s| s.success()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "mariadbd did not start in {READY_WAIT:?}: {}",
            std::fs::read_to_string(self.path("err.log")).unwrap_or_default()
        );
    }

    /// Runs SQL as root over the Unix socket and returns the tab-separated rows.
    pub fn sql(&self, sql: &str) -> String {
        let out = Command::new("mariadb")
            .arg("--no-defaults")
            .arg(format!("--socket={}", self.path("sock").display()))
            .args(["-uroot", "-N", "-B", "-e", sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "mariadb -e {sql:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .trim_end()
            .to_string()
    }

    /// Stops the server (SIGKILL to its group); `restart` brings it back on the same port.
    pub fn stop(&mut self) {
        if let Some(mut s) = self.server.take() {
            s.stop();
        }
    }

    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    /// How many events head office holds for `shop_id`.
    pub fn event_count(&self, shop_id: &str) -> i64 {
        self.sql(&format!(
            "SELECT COUNT(*) FROM {DATABASE}.shop_event WHERE shop_id = '{shop_id}'"
        ))
        .parse()
        .unwrap()
    }

    /// Every row of `shop_id` (seq, kind, chain and payload hashes), to show
    /// another shop's rows were left alone.
    pub fn fingerprint(&self, shop_id: &str) -> String {
        self.sql(&format!(
            "SELECT seq, kind, HEX(chain), SHA2(payload, 256) FROM {DATABASE}.shop_event \
             WHERE shop_id = '{shop_id}' ORDER BY seq"
        ))
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where the file of a test lives (for the password file).
pub fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}
