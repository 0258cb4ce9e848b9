//! Tillbook's desktop shell. It only wires Tauri to `tillbook-core`; the desktop
//! issue adds the IPC adapters. Kept minimal so the workspace builds end to end.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    let context = tauri::generate_context!("../tauri.conf.json");
    if let Err(e) = tauri::Builder::default().run(context) {
        eprintln!("Tillbook could not start: {e}");
        std::process::exit(1);
    }
}
