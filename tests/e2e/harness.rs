//! Starts the real parts for one end-to-end test: a private Xvfb display, a
//! tauri-driver (which runs WebKitWebDriver) on free loopback ports, and the
//! built `tillbook-app` on a fresh temporary database. Everything is stopped
//! when the `App` drops: the display and the driver each run in a process group
//! of their own, killed whole, so WebKitWebDriver (which tauri-driver starts)
//! and the app (which WebKitWebDriver starts) end with them.

use crate::process::{ChildGuard, Proc, SpawnGuarded};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use tempfile::TempDir;

/// How long a screen may take to show an element before the test fails. Generous
/// because two cores also build and run other tests; it bounds a wait, it is not
/// a performance assertion.
const ELEMENT_WAIT: Duration = Duration::from_secs(30);
/// Bound on waiting for tauri-driver to answer /status.
const DRIVER_START_ATTEMPTS: u32 = 300;
/// Bound on ending the WebDriver session; the processes are killed after it
/// either way.
const SESSION_CLOSE_WAIT: Duration = Duration::from_secs(10);

pub struct App {
    pub client: Client,
    pub db_path: PathBuf,
    driver: ChildGuard,
    xvfb: ChildGuard,
    _dir: TempDir,
}

/// The built desktop app, beside the `tillbook` binary cargo built for the tests.
fn app_binary() -> PathBuf {
    let cli = Path::new(env!("CARGO_BIN_EXE_tillbook"));
    let app = cli.with_file_name("tillbook-app");
    assert!(
        app.exists(),
        "{} is missing: build it first (scripts/test runs `cargo build -p tillbook-app`)",
        app.display()
    );
    app
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn start_xvfb() -> (ChildGuard, String) {
    // -displayfd makes Xvfb pick a free display and print its number: no races
    // between parallel test runs over display numbers.
    let mut xvfb = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        // A group of its own is never the terminal's foreground group: reading
        // a terminal would stop it.
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn_guarded_group()
        .expect("Xvfb (install the xvfb package: scripts/install-deps)");
    let mut line = String::new();
    BufReader::new(xvfb.stdout.take().expect("Xvfb stdout"))
        .read_line(&mut line)
        .expect("Xvfb display number");
    let display = format!(":{}", line.trim());
    assert!(line.trim().parse::<u32>().is_ok(), "Xvfb printed {line:?}");
    (xvfb, display)
}

impl App {
    /// Starts everything on a new, empty database.
    pub async fn start() -> App {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_path = dir.path().join("shop.db");
        Self::start_on(dir, db_path).await
    }

    pub async fn start_on(dir: TempDir, db_path: PathBuf) -> App {
        let app = app_binary();
        let (xvfb, display) = start_xvfb();
        let port = free_port();
        let native_port = free_port();
        let driver = Command::new(tauri_driver())
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("DISPLAY", &display)
            // The driver's environment reaches the app: point it at this test's files.
            .env("TILLBOOK_DB", &db_path)
            .env("TILLBOOK_LOG_DIR", dir.path().join("logs"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn_guarded_group()
            .expect("tauri-driver (cargo install tauri-driver: scripts/install-deps)");
        let url = format!("http://127.0.0.1:{port}");
        wait_for_driver(&url).await;
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            json!({ "application": app.display().to_string() }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("a WebDriver session with the app");
        App {
            client,
            db_path,
            driver,
            xvfb,
            _dir: dir,
        }
    }

    /// Every process this app's test started that is running now: the display,
    /// the driver, WebKitWebDriver, the app and its web processes.
    pub fn processes(&self) -> Vec<Proc> {
        let mut all = self.driver.processes();
        all.extend(self.xvfb.processes());
        all
    }

    pub async fn el(&self, testid: &str) -> Element {
        self.el_within(testid, ELEMENT_WAIT).await
    }

    /// Waits up to `wait` for the element (for screens that appear on their own,
    /// like the idle lock).
    pub async fn el_within(&self, testid: &str, wait: Duration) -> Element {
        let css = format!("[data-testid='{testid}']");
        match self
            .client
            .wait()
            .at_most(wait)
            .for_element(Locator::Css(&css))
            .await
        {
            Ok(e) => e,
            Err(e) => {
                let body = self.body_text().await;
                panic!("no element {css} on screen ({e}); the screen says:\n{body}")
            }
        }
    }

    /// Runs `op` on the element, finding it again when the UI re-rendered it
    /// between finding and acting (an as-you-type list answering a later
    /// keystroke, a table refreshed by a reply): WebDriver then reports a stale
    /// element, which is no failure of the app. Any other error fails the test.
    async fn on_fresh<T, F, Fut>(&self, testid: &str, what: &str, op: F) -> T
    where
        F: Fn(Element) -> Fut,
        Fut: std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
    {
        const ATTEMPTS: u32 = 10;
        for attempt in 1..=ATTEMPTS {
            match op(self.el(testid).await).await {
                Ok(v) => return v,
                Err(fantoccini::error::CmdError::Standard(e))
                    if e.error == fantoccini::error::ErrorStatus::StaleElementReference
                        && attempt < ATTEMPTS =>
                {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("{what} {testid}: {e:?}"),
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    pub async fn fill(&self, testid: &str, text: &str) {
        self.on_fresh(testid, "fill", |e| async move {
            e.clear().await?;
            e.send_keys(text).await
        })
        .await
    }

    pub async fn click(&self, testid: &str) {
        self.on_fresh(testid, "click", |e| async move { e.click().await })
            .await
    }

    pub async fn text(&self, testid: &str) -> String {
        self.on_fresh(testid, "text of", |e| async move { e.text().await })
            .await
    }

    /// Waits until the element's text contains `needle`.
    pub async fn wait_text(&self, testid: &str, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + ELEMENT_WAIT;
        loop {
            let t = self.text(testid).await;
            if t.contains(needle) {
                return t;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("{testid} never said {needle:?}; it says {t:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Picks the `<option value=…>` of a `<select>`.
    pub async fn select(&self, testid: &str, value: &str) {
        let css = format!("option[value='{value}']");
        self.on_fresh(testid, "select", |e| {
            let css = css.clone();
            async move { e.find(Locator::Css(&css)).await?.click().await }
        })
        .await
    }

    /// Waits until no element has this test id.
    pub async fn gone(&self, testid: &str) {
        let deadline = tokio::time::Instant::now() + ELEMENT_WAIT;
        while self.exists(testid).await {
            if tokio::time::Instant::now() > deadline {
                panic!("{testid} is still on screen");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn attr(&self, testid: &str, name: &str) -> Option<String> {
        self.on_fresh(
            testid,
            "attribute of",
            |e| async move { e.attr(name).await },
        )
        .await
    }

    pub async fn exists(&self, testid: &str) -> bool {
        let css = format!("[data-testid='{testid}']");
        self.client.find(Locator::Css(&css)).await.is_ok()
    }

    pub async fn body_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(b) => b.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Calls the app's IPC from the page, as the UI does.
    pub async fn invoke(&self, cmd: &str, args: Value) -> Value {
        self.client
            .execute_async(
                "const [cmd, args, done] = arguments;
                 window.__TAURI__.core.invoke('dispatch', { cmd, args })
                   .then(data => done({ ok: true, data }), error => done({ ok: false, error }));",
                vec![json!(cmd), args],
            )
            .await
            .expect("invoke")
    }

    /// Saves a screenshot under docs/screenshots/ when TILLBOOK_SCREENSHOTS is set
    /// (scripts/screenshots), so regular runs leave the tree untouched.
    pub async fn screenshot(&self, name: &str) {
        if std::env::var_os("TILLBOOK_SCREENSHOTS").is_none() {
            return;
        }
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Ends the WebDriver session (closing the app); `Drop` stops the rest.
    pub async fn close(self) {
        let _ = tokio::time::timeout(SESSION_CLOSE_WAIT, self.client.clone().close()).await;
    }
}

impl Drop for App {
    fn drop(&mut self) {
        // Also on a panic, when `close` never ran. The driver's group holds the
        // app, which needs the display, so it goes first; the temporary
        // directory the app writes to is removed only after both (it is the
        // last field).
        self.driver.stop();
        self.xvfb.stop();
    }
}

fn tauri_driver() -> PathBuf {
    if let Ok(p) = which("tauri-driver") {
        return p;
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .expect("HOME or CARGO_HOME");
    home.join("bin").join("tauri-driver")
}

fn which(name: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
        .ok_or(())
}

async fn wait_for_driver(url: &str) {
    let status = format!("{url}/status");
    for _ in 0..DRIVER_START_ATTEMPTS {
        if http_get_ok(&status).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("tauri-driver did not answer at {status}");
}

async fn http_get_ok(url: &str) -> bool {
    // A bare HTTP/1.0 GET over a socket: enough for a readiness probe.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let Ok(mut s) = tokio::net::TcpStream::connect(host).await else {
        return false;
    };
    let req = format!("GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    if s.write_all(req.as_bytes()).await.is_err() {
        return false;
    }
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    buf.starts_with(b"HTTP/1.1 200") || buf.starts_with(b"HTTP/1.0 200")
}
