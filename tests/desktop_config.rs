//! The desktop app's security configuration, read from the files the build
//! uses: `tauri.conf.json` (CSP, dev URL), `src-tauri/capabilities/` (what the
//! webview may call) and `src-tauri/Cargo.toml` (no HTTP server). D09, T37.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Every permission the webview may hold: Tillbook's own two commands. The
/// core's dispatcher decides everything else. A new plugin or core permission
/// is added here only together with the screen that needs it.
const ALLOWED_PERMISSIONS: &[&str] = &["allow-dispatch", "allow-startup-status"];
/// Tauri plugins the app uses (none yet).
const ALLOWED_PLUGINS: &[&str] = &[];
/// The windows a capability may name.
const APP_WINDOWS: &[&str] = &["main"];
/// Crates that would open a listening socket; the app must not have one.
const SERVER_CRATES: &[&str] = &[
    "axum",
    "actix-web",
    "actix-server",
    "hyper",
    "hyper-util",
    "tiny_http",
    "tiny-http",
    "warp",
    "rocket",
    "poem",
    "salvo",
    "tide",
    "tauri-plugin-localhost",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(rel: &str) -> String {
    let path = root().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn config() -> Value {
    serde_json::from_str(&read("tauri.conf.json")).expect("tauri.conf.json is JSON")
}

/// The CSPs that can apply: `csp`, and `devCsp` if set. Tauri also accepts a
/// CSP as an object of directive → sources; both forms are read.
fn csps(config: &Value) -> Vec<Vec<(String, Vec<String>)>> {
    let security = &config["app"]["security"];
    let mut out = Vec::new();
    for key in ["csp", "devCsp"] {
        match &security[key] {
            Value::Null if key == "devCsp" => {}
            Value::String(s) => out.push(
                s.split(';')
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(|d| {
                        let mut words = d.split_whitespace().map(str::to_string);
                        let name = words.next().unwrap_or_default().to_ascii_lowercase();
                        (name, words.collect())
                    })
                    .collect(),
            ),
            Value::Object(m) => out.push(
                m.iter()
                    .map(|(name, sources)| {
                        let sources = match sources {
                            Value::String(s) => s.split_whitespace().map(str::to_string).collect(),
                            Value::Array(a) => a
                                .iter()
                                .map(|v| v.as_str().expect("a CSP source").to_string())
                                .collect(),
                            other => panic!("{key}.{name}: unexpected {other}"),
                        };
                        (name.to_ascii_lowercase(), sources)
                    })
                    .collect(),
            ),
            other => panic!("app.security.{key} must be a CSP string or object, found {other}"),
        }
    }
    out
}

#[test]
fn d09_csp_has_no_unsafe_inline_or_eval() {
    let config = config();
    let security = &config["app"]["security"];
    assert_ne!(
        security["dangerousDisableAssetCspModification"],
        Value::Bool(true),
        "Tauri must keep adding its nonces/hashes to the CSP"
    );
    let csps = csps(&config);
    assert!(!csps.is_empty(), "app.security.csp must be set");
    for csp in csps {
        let names: BTreeSet<&str> = csp.iter().map(|(n, _)| n.as_str()).collect();
        assert!(
            names.contains("default-src"),
            "the CSP needs default-src: {csp:?}"
        );
        for (name, sources) in &csp {
            for s in sources {
                let lower = s.to_ascii_lowercase();
                assert!(
                    !lower.contains("unsafe-"),
                    "{name} allows {s}: no 'unsafe-inline', 'unsafe-eval', 'unsafe-hashes' or 'wasm-unsafe-eval'"
                );
            }
        }
    }
}

#[test]
fn t37_csp_loads_nothing_remote() {
    let config = config();
    for csp in csps(&config) {
        for (name, sources) in &csp {
            for s in sources {
                let ok = match s.as_str() {
                    "'self'" | "'none'" => true,
                    "data:" => name == "img-src",
                    "ipc:" | "http://ipc.localhost" => name == "connect-src",
                    _ => false,
                };
                assert!(
                    ok,
                    "{name} allows {s:?}: only 'self', 'none', data: for images and the IPC origins for connect-src may load anything"
                );
            }
        }
        for (name, expected) in [("object-src", "'none'"), ("frame-ancestors", "'none'")] {
            let found = csp.iter().find(|(n, _)| n == name).map(|(_, s)| s.clone());
            assert_eq!(found, Some(vec![expected.to_string()]), "{name}");
        }
    }
    let dist = config["build"]["frontendDist"]
        .as_str()
        .expect("build.frontendDist is a path");
    assert!(
        !dist.contains("://"),
        "the UI is bundled from a folder, not loaded from {dist}"
    );
    assert!(
        root().join(dist).is_dir(),
        "frontendDist {dist} is a folder of the repository"
    );
    let remote = &config["app"]["security"]["capabilities"];
    if let Some(list) = remote.as_array() {
        for c in list.iter().filter(|c| c.is_object()) {
            assert!(
                c.get("remote").is_none(),
                "no capability for remote URLs: {c}"
            );
        }
    }
}

/// Every capability the app can load: the files in `src-tauri/capabilities/`
/// and any inlined in `tauri.conf.json`.
fn capabilities(config: &Value) -> Vec<(String, Value)> {
    let dir = root().join("src-tauri/capabilities");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("src-tauri/capabilities exists") {
        let path = entry.unwrap().path();
        let name = path.display().to_string();
        assert_eq!(
            path.extension().and_then(|e| e.to_str()),
            Some("json"),
            "{name}: capabilities are JSON so this test reads them"
        );
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        out.push((name, v));
    }
    if let Some(list) = config["app"]["security"]["capabilities"].as_array() {
        for c in list {
            match c {
                Value::String(id) => assert!(
                    out.iter().any(|(_, v)| v["identifier"] == id.as_str()),
                    "tauri.conf.json names capability {id:?}, which is not in src-tauri/capabilities"
                ),
                Value::Object(_) => out.push(("tauri.conf.json".into(), c.clone())),
                other => panic!("app.security.capabilities: unexpected {other}"),
            }
        }
    }
    out
}

#[test]
fn t37_capabilities_allow_only_tillbook_commands_and_used_plugins() {
    let config = config();
    // Without an app manifest, Tauri lets every local window call every app
    // command whatever the capabilities say; with it, only granted ones.
    let build_rs = read("src-tauri/build.rs");
    assert!(
        build_rs.contains(".app_manifest(") && build_rs.contains(".commands("),
        "src-tauri/build.rs must declare the app's commands (AppManifest) so capabilities restrict them"
    );
    let caps = capabilities(&config);
    assert!(!caps.is_empty(), "at least the default capability");
    let mut granted = BTreeSet::new();
    for (file, cap) in &caps {
        assert!(
            cap.get("remote").is_none(),
            "{file}: no capability for remote URLs"
        );
        assert_ne!(cap["local"], Value::Bool(false), "{file}: local pages only");
        assert!(cap.get("webviews").is_none(), "{file}: grant by window");
        let windows = cap["windows"].as_array().expect("windows is a list");
        for w in windows {
            let w = w.as_str().expect("a window label");
            assert!(
                APP_WINDOWS.contains(&w),
                "{file}: unknown window {w:?} (no wildcards)"
            );
        }
        for p in cap["permissions"]
            .as_array()
            .expect("permissions is a list")
        {
            let id = match p {
                Value::String(s) => s.as_str(),
                Value::Object(o) => o["identifier"].as_str().expect("identifier"),
                other => panic!("{file}: unexpected permission {other}"),
            };
            assert!(
                ALLOWED_PERMISSIONS.contains(&id),
                "{file} grants {id:?}, which is not in the allow-list {ALLOWED_PERMISSIONS:?}"
            );
            granted.insert(id.to_string());
        }
    }
    assert!(
        granted.contains("allow-dispatch"),
        "the UI needs dispatch: {granted:?}"
    );
    for dep in dependency_names(&read("src-tauri/Cargo.toml")) {
        if dep.starts_with("tauri-plugin-") {
            assert!(
                ALLOWED_PLUGINS.contains(&dep.as_str()),
                "src-tauri uses {dep}; add it to ALLOWED_PLUGINS with the permissions it needs"
            );
        }
    }
}

#[test]
fn t37_no_network_port() {
    let config = config();
    if let Some(dev) = config["build"]["devUrl"].as_str() {
        let host = dev
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split(['/', '?', '#']).next())
            .map(|authority| {
                authority
                    .rsplit_once(':')
                    .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
                    .map_or(authority, |(h, _)| h)
            })
            .unwrap_or_default();
        assert!(
            matches!(host, "localhost" | "127.0.0.1" | "[::1]"),
            "build.devUrl {dev:?} must be a dev server on this machine"
        );
    }
    let deps = dependency_names(&read("src-tauri/Cargo.toml"));
    assert!(
        deps.contains("tauri"),
        "the parser found the dependencies: {deps:?}"
    );
    for server in SERVER_CRATES {
        assert!(
            !deps.contains(*server),
            "src-tauri depends on {server}: the app must not run an HTTP server or open a port"
        );
    }
    for entry in std::fs::read_dir(root().join("src-tauri/src")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for socket in ["TcpListener", "UdpSocket", "UnixListener"] {
            assert!(
                !text.contains(socket),
                "{} uses {socket}: the app opens no socket",
                path.display()
            );
        }
    }
}

/// The names of a manifest's direct dependencies (every `*dependencies` table,
/// including target-specific ones and renamed packages).
fn dependency_names(manifest: &str) -> BTreeSet<String> {
    #[derive(PartialEq)]
    enum In {
        Other,
        /// `[dependencies]`: each `key = …` line is a dependency.
        Table,
        /// `[dependencies.foo]`: one dependency, maybe renamed by `package = …`.
        One,
    }
    let mut names = BTreeSet::new();
    let mut section = In::Other;
    for line in manifest.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.starts_with('[') {
            let header = line.trim_matches(['[', ']']).trim();
            let (before, last) = header.rsplit_once('.').unwrap_or(("", header));
            section = if before.ends_with("dependencies") {
                names.insert(last.trim_matches(['"', '\'']).to_string());
                In::One
            } else if last.ends_with("dependencies") {
                In::Table
            } else {
                In::Other
            };
            continue;
        }
        if section == In::Other {
            continue;
        }
        if let Some(renamed) = line
            .split("package")
            .nth(1)
            .filter(|rest| rest.trim_start().starts_with('='))
            .and_then(|rest| rest.split('"').nth(1))
        {
            names.insert(renamed.to_string());
        }
        if section == In::Table {
            if let Some((key, _)) = line.split_once('=') {
                let key = key.split('.').next().unwrap_or_default();
                names.insert(key.trim().trim_matches('"').to_string());
            }
        }
    }
    names.remove("");
    names
}

#[test]
fn the_dependency_parser_sees_every_form() {
    let names = dependency_names(
        "[package]\nname = \"x\"\n[dependencies]\ntauri.workspace = true\nserde = { version = \"1\" }\n\
         web = { package = \"axum\", version = \"0.7\" }\n[target.'cfg(unix)'.dependencies]\nwarp = \"0.3\"\n\
         [dependencies.hyper]\nversion = \"1\"\n[dependencies.srv]\npackage = \"tiny_http\"\n[features]\ncustom-protocol = []\n",
    );
    for n in [
        "tauri",
        "serde",
        "web",
        "axum",
        "warp",
        "hyper",
        "srv",
        "tiny_http",
    ] {
        assert!(names.contains(n), "{n} in {names:?}");
    }
    assert!(!names.contains("custom-protocol"));
    assert!(!names.contains("name"));
    assert!(!names.contains("version"));
}
