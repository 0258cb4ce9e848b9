//! Tauri's build step, with the config at the repository root.
//!
//! The app manifest names the app's own commands. With it, Tauri checks those
//! commands against the capabilities like plugin commands, so the webview can
//! call a command only if `capabilities/default.json` grants `allow-<command>`
//! (the strict option: without a manifest, every app command is open to every
//! local window). Adding a Tauri command means adding it here and granting it.

const APP_COMMANDS: &[&str] = &["dispatch", "startup_status"];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(APP_COMMANDS));
    tauri_build::try_build(attributes).unwrap_or_else(|e| panic!("tauri build step failed: {e:#}"));
}
