//! Every report format on the sample case: snapshots, escaping, formula injection, Timesketch
//! and SARIF conformance, and the HTML report in a real (headless) browser.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use regex::Regex;
use serde_json::Value;
use uala::analysis::{Analysis, AnalysisOptions, analyze};
use uala::ingest::{IngestOptions, ingest};
use uala::report::csv::CsvReporter;
use uala::report::html::HtmlReporter;
use uala::report::sarif::SarifReporter;
use uala::report::terminal::TerminalReporter;
use uala::report::timesketch::TimesketchReporter;
use uala::report::{Display, JsonReporter, Report, Reporter};

/// The one generated-at time of every report here.
fn fixed_time() -> DateTime<Utc> {
    "2025-03-10T09:00:00Z".parse().unwrap()
}

fn sample_analysis() -> Analysis {
    let ingested = ingest(&[common::sample_case()], &IngestOptions::default()).unwrap();
    analyze(ingested, common::catalogue(), &AnalysisOptions::default())
}

/// The report of `analysis`, with the tool version masked so that a version bump does not
/// change every snapshot.
fn report_of(analysis: &Analysis) -> Report<'_> {
    let mut report = Report::new(analysis, common::catalogue(), fixed_time());
    report.tool.version = "VERSION";
    report
}

fn render(reporter: &dyn Reporter, report: &Report<'_>) -> String {
    let mut out = Vec::new();
    reporter.render(report, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn display() -> Display {
    Display::default()
}

fn berlin() -> Display {
    Display {
        tz: "Europe/Berlin".parse().unwrap(),
        color: false,
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

// ---------------------------------------------------------------------------------------------
// Snapshots of every format on the sample case.

#[test]
fn snapshot_json() {
    let analysis = sample_analysis();
    insta::assert_snapshot!("json", render(&JsonReporter, &report_of(&analysis)));
}

#[test]
fn snapshot_csv() {
    let analysis = sample_analysis();
    let csv = render(&CsvReporter { display: berlin() }, &report_of(&analysis));
    insta::assert_snapshot!("csv", csv);
}

#[test]
fn snapshot_timesketch() {
    let analysis = sample_analysis();
    insta::assert_snapshot!(
        "timesketch",
        render(&TimesketchReporter, &report_of(&analysis))
    );
}

#[test]
fn snapshot_sarif() {
    let analysis = sample_analysis();
    insta::assert_snapshot!("sarif", render(&SarifReporter, &report_of(&analysis)));
}

#[test]
fn snapshot_html() {
    let analysis = sample_analysis();
    let html = render(&HtmlReporter { display: berlin() }, &report_of(&analysis));
    assert_self_contained(&html);
    insta::assert_snapshot!("html", html);
}

#[test]
fn snapshot_terminal() {
    // Rendered into a buffer without colour: the reporter then draws its tables at their
    // unconstrained width (comfy-table's `force_no_tty`) whether or not the test's own stdout is
    // a terminal, so the snapshot is checked on every run.
    let display = display();
    assert!(!display.color);
    let analysis = sample_analysis();
    let text = render(&TerminalReporter { display }, &report_of(&analysis));
    insta::assert_snapshot!("terminal", text);
}

// ---------------------------------------------------------------------------------------------
// HTML: escaping and self-containment.

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/// The page loads nothing and runs nothing: a CSP meta in the head, no script, no element
/// that fetches (`src`, `srcset`, `<link>`, `<iframe>`...), every link an in-page anchor, no
/// `@import` or `url(` in styles.
fn assert_self_contained(html: &str) {
    let head_end = html.find("</head>").expect("a head");
    let meta = format!(r#"<meta http-equiv="Content-Security-Policy" content="{CSP}">"#);
    let meta_at = html.find(&meta).expect("the CSP meta");
    assert!(meta_at < head_end, "the CSP meta is in the head");
    let lower = html.to_ascii_lowercase();
    for banned in [
        "<script",
        "<link",
        "<iframe",
        "<object",
        "<embed",
        "<base",
        "<form",
        "<img",
        "<video",
        "<audio",
        "<source",
        "<meta http-equiv=\"refresh\"",
    ] {
        assert!(!lower.contains(banned), "the page contains {banned}");
    }
    let tags = Regex::new(r"<[^>]*>").unwrap();
    let fetching = Regex::new(
        r#"(?i)\s(src|srcset|action|formaction|poster|background|data|xlink:href|ping)\s*="#,
    )
    .unwrap();
    let href = Regex::new(r#"(?i)\shref\s*=\s*"([^"]*)""#).unwrap();
    let handler = Regex::new(r"(?i)\son[a-z]+\s*=").unwrap();
    for tag in tags.find_iter(html) {
        let tag = tag.as_str();
        assert!(!fetching.is_match(tag), "a tag that fetches: {tag}");
        assert!(!handler.is_match(tag), "an event handler: {tag}");
        for link in href.captures_iter(tag) {
            assert!(link[1].starts_with('#'), "a link out of the page: {tag}");
        }
        assert!(
            !tag.to_ascii_lowercase().contains("url("),
            "a url() in a tag: {tag}"
        );
    }
    let style = &html[html.find("<style>").unwrap()..html.find("</style>").unwrap()];
    assert!(!style.contains("@import") && !style.contains("url("));
    assert_eq!(
        lower.matches("<style").count(),
        1,
        "one stylesheet, in the head"
    );
    assert!(!lower.contains("http://") && !lower.contains("https://"));
}

/// The template never turns escaping off: no `safe` filter, no `escape = "none"`.
#[test]
fn html_template_always_escapes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let template = std::fs::read_to_string(root.join("templates/report.html")).unwrap();
    // `|safe`, or `|escape("none")` / `|e("none")`, would print a value as markup.
    let unescaped = Regex::new(r"\|\s*(safe\b|escape\s*\(|e\s*\()").unwrap();
    assert!(!unescaped.is_match(&template));
    let source = std::fs::read_to_string(root.join("src/report/html.rs")).unwrap();
    assert!(!source.contains("escape = \"none\""));
}

#[test]
fn html_escapes_log_derived_text() {
    const SCRIPT: &str = "<script>alert(1)</script>";
    const IMG: &str = "<img src=x onerror=alert(1)>";
    let mut analysis = sample_analysis();
    analysis.tenant_name = Some(format!("{SCRIPT}.onmicrosoft.com"));
    let f = analysis
        .findings
        .iter_mut()
        .find(|f| f.rule.starts_with("inbox_rule."))
        .unwrap();
    f.rule = SCRIPT.into();
    f.title = format!("Inbox rule {SCRIPT}");
    f.summary = format!("Inbox rule '{SCRIPT}' moves '{IMG}'");
    f.fields
        .insert("rule_name".into(), Value::String(SCRIPT.into()));
    f.fields.insert("subject".into(), Value::String(IMG.into()));
    f.attack.push(IMG.into());
    f.evidence[0].record = Some(IMG.into());
    let flagged = f.id.clone();
    let e = analysis
        .timeline
        .iter_mut()
        .find(|e| e.findings.contains(&flagged))
        .unwrap();
    e.summary = format!("Message '{IMG}' from rule '{SCRIPT}'");
    e.action = SCRIPT.into();
    e.country = Some(IMG.into());
    e.findings.push(format!("\">{SCRIPT}"));
    let a = analysis
        .accounts
        .iter_mut()
        .find(|a| !a.remediation.is_empty())
        .unwrap();
    a.attacker_user_agents.push(IMG.into());
    a.remediation[0].command = format!("Remove-InboxRule -Identity '{SCRIPT}'");
    a.remediation[0].title = IMG.into();
    if let Some(w) = a.window.as_mut() {
        w.end_reason = format!("{SCRIPT} by {IMG}");
    }
    analysis.ingested.inputs[0].path = format!("{IMG}/rules.json");
    analysis.ingested.inputs[0].reason = Some(SCRIPT.into());
    if let Some(d) = analysis.ingested.diagnostics.first_mut() {
        d.message = IMG.into();
    }

    let html = render(&HtmlReporter { display: display() }, &report_of(&analysis));
    assert_self_contained(&html);
    // askama writes numeric character references: &#60; for <, &#62; for >, &#34; for ".
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    assert!(html.contains("&#60;img src=x onerror=alert(1)&#62;"));
    assert!(!html.contains(SCRIPT) && !html.contains(IMG));
    std::fs::write(target_dir().join("report-escaping.html"), &html).unwrap();
    // The finding id in `href="#..."` could not break out of its attribute.
    assert!(html.contains("href=\"#&#34;&#62;&#60;script&#62;"));
}

// ---------------------------------------------------------------------------------------------
// CSV: formula injection.

#[test]
fn csv_defuses_formulas() {
    let mut analysis = sample_analysis();
    let payloads = [
        "=HYPERLINK(\"x\",\"y\")",
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1",
        "\r=1",
    ];
    {
        let e = &mut analysis.timeline[0];
        e.summary = payloads[0].into();
        e.user = Some(payloads[1].into());
        e.action = payloads[2].into();
        e.ip = Some(payloads[3].into());
        e.country = Some(payloads[4].into());
        e.evidence.input = payloads[5].into();
    }
    let text = render(&CsvReporter { display: display() }, &report_of(&analysis));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        uala::report::csv::COLUMNS
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), analysis.timeline.len());
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "an active cell: {cell:?}"
            );
            assert!(!cell.contains(['\n', '\r']), "a line break in {cell:?}");
        }
    }
    let first = &rows[0];
    assert_eq!(&first[7], "'=HYPERLINK(\"x\",\"y\")");
    assert_eq!(&first[2], "'+cmd|' /C calc'!A0");
    assert_eq!(&first[4], "'-2+3");
    assert_eq!(&first[5], "'@SUM(1+1)*cmd|' /C calc'!A0");
    assert_eq!(&first[6], "'\t=1");
    assert_eq!(&first[9], "' =1");
    // One physical line per event.
    assert_eq!(text.lines().count(), rows.len() + 1);
}

// ---------------------------------------------------------------------------------------------
// Timesketch: the three mandatory fields on every row, flat values, UTC.

#[test]
fn timesketch_rows_are_importable() {
    let analysis = sample_analysis();
    let report = report_of(&analysis);
    let text = render(&TimesketchReporter, &report);
    let iso = Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$").unwrap();
    let mut rows = 0;
    for line in text.lines() {
        let row: Value = serde_json::from_str(line).unwrap();
        let row = row.as_object().expect("one object per line");
        for field in ["message", "datetime", "timestamp_desc"] {
            let v = row[field]
                .as_str()
                .unwrap_or_else(|| panic!("{field} in {line}"));
            assert!(!v.is_empty(), "{field} empty in {line}");
        }
        let datetime = row["datetime"].as_str().unwrap();
        assert!(iso.is_match(datetime), "{datetime}");
        let t: DateTime<Utc> = datetime.parse().unwrap();
        assert_eq!(row["timestamp"].as_i64(), Some(t.timestamp_micros()));
        for (k, v) in row {
            match v {
                Value::Object(_) => panic!("nested {k} in {line}"),
                Value::Array(a) => {
                    assert_eq!(k, "tag");
                    assert!(a.iter().all(Value::is_string));
                }
                _ => {}
            }
        }
        rows += 1;
    }
    let dated = report.timeline.iter().filter(|e| e.time.is_some()).count()
        + report.findings.iter().filter(|f| f.time.is_some()).count();
    assert_eq!(rows, dated);
    assert!(rows > 0);
}

// ---------------------------------------------------------------------------------------------
// SARIF: valid against the OASIS 2.1.0 schema, and located where GitHub needs it.

fn sarif_schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-schema-2.1.0.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn sarif_is_valid() {
    let analysis = sample_analysis();
    let report = report_of(&analysis);
    let sarif: Value = serde_json::from_str(&render(&SarifReporter, &report)).unwrap();
    let validator = jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&sarif_schema())
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF schema errors: {errors:#?}");

    let run = &sarif["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let used: BTreeSet<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, used.into_iter().collect::<Vec<_>>());
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), report.findings.len());
    assert!(!results.is_empty(), "the sample case has findings to check");
    let mut fingerprints = BTreeSet::new();
    for (r, f) in results.iter().zip(report.findings) {
        assert_eq!(r["ruleId"], f.rule.as_str());
        assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize], f.rule);
        assert_eq!(r["message"]["text"], f.summary.as_str());
        assert_eq!(r["properties"]["finding"], f.id.as_str());
        let locations = r["locations"].as_array().unwrap();
        assert!(!locations.is_empty(), "{} has no location", f.id);
        let first = &locations[0]["physicalLocation"];
        assert_eq!(
            first["artifactLocation"]["uri"],
            uala::report::sarif::uri(&f.evidence[0].input).as_str()
        );
        assert_eq!(first["region"]["startLine"], f.evidence[0].line);
        fingerprints.insert(r["partialFingerprints"]["ualaFinding/v1"].as_str().unwrap());
    }
    assert_eq!(fingerprints.len(), results.len(), "fingerprints are unique");
}

/// The test's copy of the schema is the one in the shared folder (`../shared/schemas`, beside
/// the shared test data). Outside CI a missing copy skips this; with `CI=true` it fails.
#[test]
fn sarif_schema_matches_shared_copy() {
    let shared = common::shared_dir().join("schemas/sarif-schema-2.1.0.json");
    let text = match std::fs::read_to_string(&shared) {
        Ok(text) => text,
        Err(e) => {
            assert!(
                e.kind() == std::io::ErrorKind::NotFound && !common::ci(),
                "the shared SARIF schema {} cannot be read (CI={:?}): {e}",
                shared.display(),
                std::env::var("CI").ok()
            );
            eprintln!("{}: {e}; skipping", shared.display());
            return;
        }
    };
    let shared: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(shared, sarif_schema());
}

// ---------------------------------------------------------------------------------------------
// The HTML report in a real browser (design.md section 8).
//
// Debian's chromium, headless, driven over the DevTools protocol on a pipe
// (`--remote-debugging-pipe`: commands in on fd 3, replies and events out on fd 4, each message
// NUL-terminated), so no chromedriver or npm is needed. The protocol reports exactly what the
// page did: every request it made (`Network.requestWillBeSent`, fired even for requests the CSP
// blocks), console calls and exceptions, CSP violations and other browser complaints
// (`Log.entryAdded`, `Audits.issueAdded`). Chromium's own stderr log (`--enable-logging=stderr
// --v=1`) is checked as well for console lines and CSP refusals; its network lines are not
// used, because they also show the browser's own background traffic (update checks), which
// is not the page's. Screenshots and a PDF print go to the target folder for review.

#[test]
fn html_in_headless_chromium() {
    let browser = Path::new("/usr/bin/chromium");
    if !browser.exists() {
        assert!(
            !common::ci(),
            "CI=true but /usr/bin/chromium is missing (apt-get install -y chromium)"
        );
        eprintln!("/usr/bin/chromium not found: browser check skipped");
        return;
    }
    let analysis = sample_analysis();
    let html = render(&HtmlReporter { display: berlin() }, &report_of(&analysis));
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();
    let url = format!("file://{}", page.display());
    let out_dir = target_dir();
    std::fs::create_dir_all(&out_dir).unwrap();

    // A control page first: the harness must see what a misbehaving page does.
    let control = dir.path().join("control.html");
    std::fs::write(
        &control,
        format!(
            r#"<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="{CSP}"><title>control</title></head>
<body><img src="http://192.0.2.1/pixel.png"><script>console.log("ran")</script></body></html>"#
        ),
    )
    .unwrap();
    let control_url = format!("file://{}", control.display());

    let mut chromium = Chromium::launch(browser, dir.path());
    let control_events = chromium.load(&control_url);
    let events = chromium.load(&url);
    let shot = chromium.screenshot(false);
    std::fs::write(out_dir.join("report-screenshot.png"), &shot).unwrap();
    let full = chromium.screenshot(true);
    std::fs::write(out_dir.join("report-screenshot-full.png"), &full).unwrap();
    let pdf = chromium.print_pdf();
    std::fs::write(out_dir.join("report-print.pdf"), &pdf).unwrap();
    let stderr = chromium.close();
    assert!(shot.starts_with(b"\x89PNG") && full.starts_with(b"\x89PNG"));
    assert!(pdf.starts_with(b"%PDF"));

    let seen = page_problems(&control_events, &control_url).join("\n");
    assert!(
        seen.contains("network request: http://192.0.2.1/pixel.png")
            && seen.contains("Content Security Policy"),
        "the harness missed the control page's request and CSP violations:\n{seen}"
    );
    let control_name = control.file_name().unwrap().to_str().unwrap();
    assert!(
        stderr.contains(":CONSOLE") && stderr.contains(control_name),
        "chromium's log has no console lines for the control page"
    );

    let mut problems = page_problems(&events, &url);
    for line in stderr.lines() {
        let complaint = line.contains(":CONSOLE")
            || line.contains("Refused to")
            || line.contains("Content Security Policy");
        if complaint && !line.contains(control_name) {
            problems.push(format!("chromium log: {line}"));
        }
    }
    assert!(
        problems.is_empty(),
        "the page misbehaved:\n{}",
        problems.join("\n")
    );
    assert!(
        events.iter().any(|e| e["method"] == "Page.loadEventFired"),
        "the page loaded"
    );
}

/// What a page did that a self-contained, script-free page must not: any request but its own
/// document, any console output or exception, any browser complaint (CSP violations included).
fn page_problems(events: &[Value], url: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for e in events {
        let method = e["method"].as_str().unwrap_or("");
        let params = &e["params"];
        match method {
            "Network.requestWillBeSent" => {
                let requested = params["request"]["url"].as_str().unwrap_or("");
                if requested != url {
                    problems.push(format!("network request: {requested}"));
                }
            }
            "Runtime.consoleAPICalled"
            | "Runtime.exceptionThrown"
            | "Log.entryAdded"
            | "Audits.issueAdded" => problems.push(format!("{method}: {params}")),
            _ => {}
        }
    }
    problems
}

/// A headless chromium on a DevTools pipe, with one page attached.
struct Chromium {
    child: std::process::Child,
    to_browser: std::process::ChildStdin,
    from_browser: std::sync::mpsc::Receiver<Value>,
    stderr: PathBuf,
    next_id: u64,
    session: String,
    /// Events seen while waiting for replies.
    events: Vec<Value>,
}

const BROWSER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

impl Chromium {
    fn launch(browser: &Path, scratch: &Path) -> Chromium {
        use std::io::Read;
        use std::process::{Command, Stdio};
        let stderr = scratch.join("chromium.log");
        let profile = scratch.join("profile");
        // The shell hands our stdin/stdout pipes to chromium as fds 3 and 4.
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 </dev/null >/dev/null"#)
            .arg(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--no-first-run",
                "--no-default-browser-check",
                "--enable-logging=stderr",
                "--v=1",
                "--remote-debugging-pipe",
                "--window-size=1280,2000",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("start chromium");
        let to_browser = child.stdin.take().unwrap();
        let mut pipe = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut pending = Vec::new();
            let mut buf = [0u8; 65536];
            loop {
                let n = match pipe.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                pending.extend_from_slice(&buf[..n]);
                while let Some(end) = pending.iter().position(|b| *b == 0) {
                    let message: Vec<u8> = pending.drain(..=end).collect();
                    let value = serde_json::from_slice(&message[..message.len() - 1]).unwrap();
                    if tx.send(value).is_err() {
                        return;
                    }
                }
            }
        });
        let mut chromium = Chromium {
            child,
            to_browser,
            from_browser: rx,
            stderr,
            next_id: 0,
            session: String::new(),
            events: Vec::new(),
        };
        let target = chromium.call(
            "Target.createTarget",
            serde_json::json!({"url": "about:blank"}),
        );
        let target_id = target["targetId"].as_str().unwrap().to_string();
        let attached = chromium.call(
            "Target.attachToTarget",
            serde_json::json!({"targetId": target_id, "flatten": true}),
        );
        chromium.session = attached["sessionId"].as_str().unwrap().to_string();
        for domain in ["Runtime", "Log", "Network", "Page", "Audits"] {
            chromium.call(&format!("{domain}.enable"), serde_json::json!({}));
        }
        chromium.call(
            "Emulation.setDeviceMetricsOverride",
            serde_json::json!({"width": 1280, "height": 2000, "deviceScaleFactor": 1, "mobile": false}),
        );
        chromium
    }

    /// Sends one command (to the page once attached) and waits for its reply.
    fn call(&mut self, method: &str, params: Value) -> Value {
        use std::io::Write;
        self.next_id += 1;
        let id = self.next_id;
        let mut message = serde_json::json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            message["sessionId"] = Value::String(self.session.clone());
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.to_browser.write_all(&bytes).unwrap();
        self.to_browser.flush().unwrap();
        let deadline = std::time::Instant::now() + BROWSER_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let reply = self
                .from_browser
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no reply from chromium to {method}"));
            if reply["id"].as_u64() == Some(id) {
                assert!(reply.get("error").is_none(), "{method}: {reply}");
                return reply["result"].clone();
            }
            self.events.push(reply);
        }
    }

    /// Navigates to `url`, waits for the load event and a moment after it, and returns every
    /// event the page produced.
    fn load(&mut self, url: &str) -> Vec<Value> {
        self.call("Page.navigate", serde_json::json!({"url": url}));
        let deadline = std::time::Instant::now() + BROWSER_TIMEOUT;
        while !self
            .events
            .iter()
            .any(|e| e["method"] == "Page.loadEventFired")
        {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let event = self
                .from_browser
                .recv_timeout(left)
                .expect("the page did not finish loading");
            self.events.push(event);
        }
        while let Ok(event) = self
            .from_browser
            .recv_timeout(std::time::Duration::from_millis(500))
        {
            self.events.push(event);
        }
        std::mem::take(&mut self.events)
    }

    /// A PNG of the 1280×2000 viewport, or of the whole page.
    fn screenshot(&mut self, full_page: bool) -> Vec<u8> {
        let mut params = serde_json::json!({"format": "png"});
        if full_page {
            let metrics = self.call("Page.getLayoutMetrics", serde_json::json!({}));
            let size = &metrics["cssContentSize"];
            params["captureBeyondViewport"] = Value::Bool(true);
            params["clip"] = serde_json::json!({
                "x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1
            });
        }
        let shot = self.call("Page.captureScreenshot", params);
        base64_decode(shot["data"].as_str().unwrap())
    }

    /// The page printed to PDF, as a reader would print it (print CSS, A4).
    fn print_pdf(&mut self) -> Vec<u8> {
        let pdf = self.call(
            "Page.printToPDF",
            serde_json::json!({"printBackground": true, "preferCSSPageSize": true}),
        );
        base64_decode(pdf["data"].as_str().unwrap())
    }

    /// Closes the browser and returns its stderr log.
    fn close(mut self) -> String {
        self.session.clear();
        let _ = self.call("Browser.close", serde_json::json!({}));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while self.child.try_wait().unwrap().is_none() {
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = self.child.wait();
        String::from_utf8_lossy(&std::fs::read(&self.stderr).unwrap()).into_owned()
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let bytes: Vec<u8> = text.bytes().filter(|c| *c != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c) << (18 - 6 * i);
        }
        out.push((n >> 16) as u8);
        if chunk.len() > 2 {
            out.push((n >> 8) as u8);
        }
        if chunk.len() > 3 {
            out.push(n as u8);
        }
    }
    out
}

#[test]
fn base64_decodes() {
    assert_eq!(base64_decode("aGVsbG8="), b"hello");
    assert_eq!(base64_decode("aGk="), b"hi");
    assert_eq!(base64_decode("YWJj"), b"abc");
    assert_eq!(base64_decode(""), b"");
}
