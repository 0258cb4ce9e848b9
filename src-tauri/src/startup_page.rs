//! The window shown when Tillbook cannot start (bad configuration, a damaged or
//! foreign file, a newer schema, the file already open in another window).
//!
//! It is served by the Rust binary itself, from a custom protocol, so it shows
//! even when the web UI is missing or broken. It has no script at all and its
//! own strict CSP (`default-src 'none'`, styles only from itself); the message
//! is HTML-escaped. Its window is not named in any capability, so it cannot
//! call any command.

use tauri::http::{header, Response, StatusCode};

/// `tillbook-startup://localhost/` (`http://tillbook-startup.localhost/` on Windows).
pub const SCHEME: &str = "tillbook-startup";
pub const WINDOW_LABEL: &str = "startup-error";
pub const WINDOW_TITLE: &str = "Tillbook: could not start";

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const STYLE: &str = "\
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f6f6f4; color: #1b1b1b; }
main { max-width: 40rem; margin: 3rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; color: #8a1c1c; }
.message { font-size: 1.15rem; background: #fff; border-left: 4px solid #8a1c1c; padding: 0.75rem 1rem; white-space: pre-wrap; overflow-wrap: anywhere; }
dt { font-weight: 600; margin-top: 0.75rem; }
dd { margin: 0; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
";

/// The page's URL on this platform.
pub fn url() -> Result<tauri::Url, tauri::Error> {
    let url = if cfg!(any(windows, target_os = "android")) {
        format!("http://{SCHEME}.localhost/")
    } else {
        format!("{SCHEME}://localhost/")
    };
    tauri::Url::parse(&url).map_err(tauri::Error::InvalidUrl)
}

/// Whether `url` is this page (the window may not navigate anywhere else).
pub fn is_own_url(url: &tauri::Url) -> bool {
    url.scheme() == SCHEME || url.host_str() == Some(&format!("{SCHEME}.localhost"))
}

/// What the page shows.
pub struct Report<'a> {
    pub message: &'a str,
    pub db_path: Option<String>,
    pub log_dir: Option<String>,
}

/// Answers one request to the custom protocol.
pub fn respond(path: &str, report: Option<Report<'_>>) -> Response<Vec<u8>> {
    let (status, content_type, body) = match (path, report) {
        ("/style.css", _) => (StatusCode::OK, "text/css", STYLE.to_string()),
        ("/" | "/index.html", Some(r)) => (StatusCode::OK, "text/html; charset=utf-8", page(&r)),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "not found".to_string(),
        ),
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header("Content-Security-Policy", CSP)
        .header("X-Content-Type-Options", "nosniff")
        .body(body.into_bytes())
        .unwrap_or_else(|_| Response::new(Vec::new()))
}

fn page(r: &Report<'_>) -> String {
    let mut facts = String::new();
    if let Some(p) = &r.db_path {
        facts.push_str(&format!("<dt>Database file</dt><dd>{}</dd>", escape(p)));
    }
    if let Some(d) = &r.log_dir {
        facts.push_str(&format!("<dt>Log files</dt><dd>{}</dd>", escape(d)));
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>{title}</title><link rel=\"stylesheet\" href=\"/style.css\"></head>\
<body><main><h1>Tillbook could not start</h1>\
<p class=\"message\" id=\"startup-error\">{message}</p>\
<p>Tillbook has changed nothing. Fix the cause above, then start Tillbook again.</p>\
<dl>{facts}</dl></main></body></html>\n",
        title = WINDOW_TITLE,
        message = escape(r.message),
    )
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports failure
mod tests {
    use super::*;

    fn body(r: &Response<Vec<u8>>) -> String {
        String::from_utf8(r.body().clone()).unwrap()
    }

    #[test]
    fn the_page_escapes_the_message_and_has_no_script() {
        let r = respond(
            "/",
            Some(Report {
                message: "bad <script>alert(1)</script> & \"quotes\"",
                db_path: Some("/tmp/<x>/shop.db".into()),
                log_dir: None,
            }),
        );
        assert_eq!(r.status(), StatusCode::OK);
        let html = body(&r);
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("bad &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"));
        assert!(html.contains("/tmp/&lt;x&gt;/shop.db"));
        assert!(!html.contains("Log files"));
        let csp = r.headers()["Content-Security-Policy"].to_str().unwrap();
        assert!(csp.starts_with("default-src 'none'"));
        assert!(!csp.contains("unsafe"));
    }

    #[test]
    fn only_the_page_and_its_style_are_served() {
        assert_eq!(respond("/style.css", None).status(), StatusCode::OK);
        assert_eq!(respond("/", None).status(), StatusCode::NOT_FOUND);
        assert_eq!(respond("/etc/passwd", None).status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn the_url_is_its_own() {
        assert!(is_own_url(&url().unwrap()));
        assert!(!is_own_url(
            &tauri::Url::parse("https://example.com/").unwrap()
        ));
    }
}
