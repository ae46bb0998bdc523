//! Hostile and broken inputs through the real binary (design.md §8 "Input accounting" and
//! "Fuzzing"; the exit codes of §2): nothing panics, every file is accounted for, the good
//! records of a damaged file are still read, bad rows are named by file and line, unsupported
//! files do not make the run incomplete, and the evidence is never written to.
//!
//! Every input is generated here in a temporary folder (the 50 MB one included), so nothing
//! large is committed.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use assert_cmd::Command;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The evidence folder's name, which prefixes every `inputs[].path`.
const ROOT: &str = "evidence";

const PURVIEW_HEADER: &str = "RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames\r\n";

fn audit_data(id: &str, time: &str, operation: &str, user: &str) -> String {
    json!({
        "CreationTime": time,
        "Id": id,
        "Operation": operation,
        "OrganizationName": "contoso.onmicrosoft.com",
        "RecordType": 2,
        "ResultStatus": "Succeeded",
        "UserKey": "100320043DBE4D58",
        "UserType": 0,
        "Version": 1,
        "Workload": "Exchange",
        "ClientIP": "198.51.100.10",
        "UserId": user,
        "ClientInfoString": "Client=MSExchangeRPC",
        "MailboxOwnerUPN": user,
    })
    .to_string()
}

/// One Purview audit-search CSV row (CRLF-terminated), AuditData quoted as Purview writes it.
/// `n` makes the record id and time; it is unique across the folder so that no record is a
/// duplicate of another.
fn purview_row(n: u32, operation: &str, user: &str) -> String {
    let id = format!("2869b5ee-df18-4065-9f58-08dd51655b{n:02x}");
    let time = format!("2025-03-04T21:{n:02}:40");
    let audit = audit_data(&id, &time, operation, user).replace('"', "\"\"");
    format!("{id},\"{time}.0000000Z \",2,{operation},{user},\"{audit}\",,\r\n")
}

fn signin(n: u32, padding: Option<&str>) -> Value {
    let mut v = json!({
        "id": format!("72840356-6d1e-49b4-8c7e-66de3cf752{n:02}"),
        "createdDateTime": format!("2025-03-04T14:{n:02}:48Z"),
        "userDisplayName": "Megan Bowen",
        "userPrincipalName": "megan.bowen@contoso.com",
        "appDisplayName": "Outlook Mobile",
        "ipAddress": "192.0.2.50",
        "clientAppUsed": "Mobile Apps and Desktop clients",
        "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_3 like Mac OS X)",
        "status": {"errorCode": 0},
        "location": {"city": "Seattle", "state": "Washington", "countryOrRegion": "US"},
    });
    if let Some(p) = padding {
        v["additionalDetails"] = Value::String(p.to_string());
    }
    v
}

fn inbox_rule_dump(name: &str, rule_id: &str) -> String {
    format!(
        "\r\n\r\nRunspaceId                            : 2138fe3c-5c69-4e1f-858c-f41d01b8d47e\r\n\
Description                           : If the message:\r\n\
                                            the message includes specific words in the subject or body 'invoice'\r\n\
                                        Take the following actions:\r\n\
                                            move the message to folder 'RSS Feeds'\r\n\
\r\n\
Enabled                               : True\r\n\
Identity                              : megan.bowen\\{rule_id}\r\n\
InError                               : False\r\n\
MailboxOwnerId                        : megan.bowen\r\n\
Name                                  : {name}\r\n\
Priority                              : 1\r\n\
RuleIdentity                          : {rule_id}\r\n\
SubjectOrBodyContainsWords            : {{invoice, payment}}\r\n\
MoveToFolder                          : megan.bowen:\\RSS Feeds\r\n\
MarkAsRead                            : True\r\n\r\n"
    )
}

fn utf16le_with_bom(s: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in s.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

/// Deterministic junk with NUL bytes, as a corrupted download or an unrelated binary would be.
fn junk(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|i| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            if i % 7 == 0 { 0 } else { (state >> 33) as u8 }
        })
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn zip_one(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut zw = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zw.start_file(name, zip::write::SimpleFileOptions::default())
        .unwrap();
    zw.write_all(bytes).unwrap();
    zw.finish().unwrap().into_inner()
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A good Purview CSV with two rows.
fn good_purview_csv() -> String {
    format!(
        "\u{FEFF}{PURVIEW_HEADER}{}{}",
        purview_row(41, "Send", "isaiah.langer@contoso.com"),
        purview_row(42, "MailItemsAccessed", "megan.bowen@contoso.com")
    )
}

/// Builds the hostile evidence folder under `parent`; `big` adds the 50 MB one-line JSON.
fn hostile_evidence(parent: &Path, big: bool) -> PathBuf {
    let dir = parent.join(ROOT);
    std::fs::create_dir_all(&dir).unwrap();

    // A good row, then a row cut in the middle of its AuditData (the export was interrupted).
    let cut = purview_row(2, "Send", "megan.bowen@contoso.com");
    let cut = &cut[..cut.find("ResultStatus").unwrap()];
    write(
        &dir,
        "ual/truncated.csv",
        format!(
            "{PURVIEW_HEADER}{}{cut}",
            purview_row(1, "Send", "megan.bowen@contoso.com")
        ),
    );

    // A quote opened in row 3 and never closed on its line: it swallows what follows.
    write(
        &dir,
        "ual/unbalanced.csv",
        format!(
            "{PURVIEW_HEADER}{}3869b5ee-0000-0000-0000-000000000013,\"2025-03-04T21:13:40.0000000Z ,2,Send,megan.bowen@contoso.com,{{}},,\r\n{}",
            purview_row(12, "Send", "megan.bowen@contoso.com"),
            purview_row(14, "Send", "megan.bowen@contoso.com"),
        ),
    );

    // A row whose AuditData is not JSON, between good rows.
    write(
        &dir,
        "ual/corrupt-row.csv",
        format!(
            "{PURVIEW_HEADER}{}3869b5ee-0000-0000-0000-000000000025,\"2025-03-04T21:25:40.0000000Z \",2,Send,megan.bowen@contoso.com,\"this is not JSON {{\",,\r\n{}",
            purview_row(24, "Send", "megan.bowen@contoso.com"),
            purview_row(26, "Send", "megan.bowen@contoso.com"),
        ),
    );

    write(&dir, "empty.csv", b"");
    write(&dir, "junk.bin", junk(3000));

    // Two Format-List dumps concatenated (`copy /b`): a second UTF-16LE BOM in mid-file.
    let mut rules = utf16le_with_bom(&inbox_rule_dump(".", "721857812023476225"));
    rules.extend(utf16le_with_bom(&inbox_rule_dump(
        "Move invoices",
        "721857812023476226",
    )));
    write(&dir, "mailbox/InboxRules_concatenated.txt", rules);

    // Deeply nested JSON: 100 000 `[` and nothing else.
    write(&dir, "deep.json", "[".repeat(100_000));

    // UTF-8 with Windows-1252 bytes (é as 0xE9) in a row, one of them in a forwarding address
    // (non-ASCII within its first bytes: a string slice at a fixed byte index must not panic).
    let mut mixed = b"\"DisplayName\",\"UserPrincipalName\",\"PrimarySMTPAddress\",\"ForwardingSMTPAddress\",\"ForwardingAddress\",\"DeliverToMailboxAndForward\",\"WhenChangedUTC\"\r\n".to_vec();
    mixed.extend_from_slice("\"J\u{fc}rgen Wei\u{df}\",\"juergen@contoso.com\",\"juergen@contoso.com\",\"\",\"\",\"False\",\"3/4/2025 10:31:12 AM\"\r\n".as_bytes());
    mixed.extend_from_slice(b"\"Jos\xe9 Garc\xeda\",\"jose@contoso.com\",\"jose@contoso.com\",\"andr\xe9@fabrikam.example\",\"\",\"False\",\"3/4/2025 10:32:12 AM\"\r\n");
    write(&dir, "mailbox/Mailboxes-mixed.csv", mixed);

    // NUL bytes inside a field of an otherwise good CSV.
    let nul_row = purview_row(32, "Send", "megan.bowen@contoso.com")
        .replace(",,\r\n", ",\"unit\0\0\0name\",\r\n");
    write(
        &dir,
        "ual/nul.csv",
        format!(
            "{PURVIEW_HEADER}{}{nul_row}{}",
            purview_row(31, "Send", "megan.bowen@contoso.com"),
            purview_row(33, "Send", "megan.bowen@contoso.com"),
        ),
    );

    // A gzip bomb: 4 MiB of zeros, over the 1 MiB cap the tests pass.
    write(&dir, "bomb.csv.gz", gzip(&vec![0u8; 4 << 20]));

    // A zip with one good member.
    let signins = serde_json::to_vec(&json!([signin(1, None), signin(2, None)])).unwrap();
    write(
        &dir,
        "archives/export.zip",
        zip_one("signins/interactive.json", &signins),
    );

    if big {
        // One 50 MB JSON object on one line.
        let padding = "A".repeat(50 << 20);
        let object = serde_json::to_vec(&signin(9, Some(&padding))).unwrap();
        assert!(object.len() > 50 << 20);
        write(&dir, "signins/huge-object.json", object);
    }
    dir
}

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

fn uala(args: &[&str]) -> Run {
    let out = Command::cargo_bin("uala")
        .unwrap()
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stderr.contains("panicked"),
        "uala {args:?} panicked:\n{stderr}"
    );
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr,
    }
}

fn inspect_json(dir: &Path, extra: &[&str]) -> (Run, Value) {
    let mut args = vec!["inspect", dir.to_str().unwrap(), "--json", "-", "--quiet"];
    args.extend_from_slice(extra);
    let run = uala(&args);
    let report: Value = serde_json::from_slice(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "inspect --json - did not print JSON ({e}); exit {}, stderr:\n{}",
            run.code, run.stderr
        )
    });
    (run, report)
}

fn input<'a>(report: &'a Value, path: &str) -> &'a Value {
    report["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == path)
        .unwrap_or_else(|| {
            panic!(
                "{path} not in inputs: {:?}",
                report["inputs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["path"].as_str().unwrap_or("?"))
                    .collect::<Vec<_>>()
            )
        })
}

fn diagnostics<'a>(report: &'a Value, path: &str) -> Vec<&'a Value> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["input"] == path)
        .collect()
}

fn has_error_at(report: &Value, path: &str, line: u64) -> bool {
    diagnostics(report, path)
        .iter()
        .any(|d| d["level"] == "error" && d["line"] == line)
}

fn counts(input: &Value) -> (u64, u64) {
    (
        input["records"].as_u64().unwrap(),
        input["skipped"].as_u64().unwrap(),
    )
}

#[test]
fn hostile_folder_is_read_around_every_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = hostile_evidence(tmp.path(), true);
    let (run, report) = inspect_json(&dir, &["--max-decompressed", "1048576"]);
    let p = |name: &str| format!("{ROOT}/{name}");
    let context = || serde_json::to_string_pretty(&report).unwrap();

    assert_eq!(run.code, 3, "exit code; stderr:\n{}", run.stderr);

    // Every file is accounted for, the zip by its member.
    let mut listed: Vec<&str> = report["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    listed.sort_unstable();
    let mut want: Vec<String> = [
        "archives/export.zip/signins/interactive.json",
        "bomb.csv.gz",
        "deep.json",
        "empty.csv",
        "junk.bin",
        "mailbox/InboxRules_concatenated.txt",
        "mailbox/Mailboxes-mixed.csv",
        "signins/huge-object.json",
        "ual/corrupt-row.csv",
        "ual/nul.csv",
        "ual/truncated.csv",
        "ual/unbalanced.csv",
    ]
    .iter()
    .map(|n| p(n))
    .collect();
    want.sort_unstable();
    assert_eq!(listed, want);

    // Truncated: the good row is read, the cut row (line 3) is skipped and named.
    let truncated = input(&report, &p("ual/truncated.csv"));
    assert_eq!(truncated["kind"], "ual");
    assert_eq!(counts(truncated), (2, 1), "{}", context());
    assert!(
        has_error_at(&report, &p("ual/truncated.csv"), 3),
        "{}",
        context()
    );

    // Unbalanced quote: the row before it is read; the broken row (line 3) is named.
    let unbalanced = input(&report, &p("ual/unbalanced.csv"));
    assert_eq!(unbalanced["kind"], "ual");
    let (records, skipped) = counts(unbalanced);
    assert!(
        records >= 2 && skipped >= 1 && records - skipped >= 1,
        "unbalanced.csv: the broken row 3 must be counted as skipped, not merged silently into \
         row 4 (records {records}, skipped {skipped})\n{}",
        context()
    );
    assert!(
        has_error_at(&report, &p("ual/unbalanced.csv"), 3),
        "unbalanced.csv: no error diagnostic at line 3\n{}",
        context()
    );

    // Corrupt AuditData between good rows.
    let corrupt = input(&report, &p("ual/corrupt-row.csv"));
    assert_eq!(counts(corrupt), (3, 1), "{}", context());
    assert!(
        has_error_at(&report, &p("ual/corrupt-row.csv"), 3),
        "{}",
        context()
    );
    let message = diagnostics(&report, &p("ual/corrupt-row.csv"))
        .iter()
        .find(|d| d["line"] == 3)
        .map(|d| d["message"].as_str().unwrap().to_string())
        .unwrap();
    assert!(message.contains("AuditData"), "{message}");

    // Empty and binary files: listed, unsupported, with a reason.
    let empty = input(&report, &p("empty.csv"));
    assert_eq!(empty["kind"], "unsupported");
    assert_eq!(empty["records"], 0);
    assert_eq!(empty["bytes"], 0);
    let binary = input(&report, &p("junk.bin"));
    assert_eq!(binary["kind"], "unsupported");
    assert_eq!(binary["encoding"], "binary");
    assert!(binary["reason"].is_string());

    // Concatenated UTF-16LE dumps: both rules read, the inner BOM noted.
    let rules = input(&report, &p("mailbox/InboxRules_concatenated.txt"));
    assert_eq!(rules["kind"], "inbox_rules", "{}", context());
    assert_eq!(rules["encoding"], "utf-16le-bom");
    assert_eq!(counts(rules), (2, 0), "{}", context());
    assert!(
        diagnostics(&report, &p("mailbox/InboxRules_concatenated.txt"))
            .iter()
            .any(|d| d["message"].as_str().unwrap().contains("byte-order mark")),
        "{}",
        context()
    );

    // 50 MB on one line: one record.
    let huge = input(&report, &p("signins/huge-object.json"));
    assert_eq!(huge["kind"], "signin");
    assert_eq!(counts(huge), (1, 0));
    assert!(huge["bytes"].as_u64().unwrap() > 50 << 20);

    // Deep nesting: no stack overflow; listed with the reason it was not read.
    let deep = input(&report, &p("deep.json"));
    assert!(
        deep["kind"] == "unsupported" || deep["kind"] == "unreadable",
        "{deep}"
    );
    assert!(deep["reason"].is_string(), "{deep}");

    // Mixed encodings: read, with a warning that names the file.
    let mixed = input(&report, &p("mailbox/Mailboxes-mixed.csv"));
    assert_eq!(mixed["kind"], "mailbox");
    assert_eq!(mixed["encoding"], "windows-1252");
    assert_eq!(counts(mixed), (2, 0));
    assert!(
        diagnostics(&report, &p("mailbox/Mailboxes-mixed.csv"))
            .iter()
            .any(|d| d["level"] == "warning"),
        "{}",
        context()
    );

    // NUL bytes inside a field do not make a CSV binary, nor lose its rows.
    let nul = input(&report, &p("ual/nul.csv"));
    assert_eq!(nul["kind"], "ual", "{nul}");
    assert_eq!(nul["encoding"], "utf-8");
    assert_eq!(counts(nul), (3, 0), "{}", context());

    // The gzip bomb is refused at the cap, and said so.
    let bomb = input(&report, &p("bomb.csv.gz"));
    assert_eq!(bomb["kind"], "unreadable", "{bomb}");
    assert!(bomb["reason"].as_str().unwrap().contains("cap"), "{bomb}");
    assert!(
        diagnostics(&report, &p("bomb.csv.gz"))
            .iter()
            .any(|d| d["level"] == "error"),
        "{}",
        context()
    );

    // The zip's good member.
    let member = input(&report, &p("archives/export.zip/signins/interactive.json"));
    assert_eq!(member["kind"], "signin");
    assert_eq!(counts(member), (2, 0));
    assert_eq!(member["container"], p("archives/export.zip"));

    // Events: every good record (truncated 1, corrupt-row 2, rules 2, huge 1, mixed 2, nul 3,
    // zip 2, and at least one of unbalanced.csv).
    assert!(report["events"].as_u64().unwrap() >= 14, "{}", context());
}

#[test]
fn strict_stops_at_the_first_input_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = hostile_evidence(tmp.path(), false);
    let run = uala(&[
        "inspect",
        dir.to_str().unwrap(),
        "--json",
        "-",
        "--quiet",
        "--strict",
        "--max-decompressed",
        "1048576",
    ]);
    assert_eq!(run.code, 2, "stderr:\n{}", run.stderr);
    assert!(run.stderr.contains("strict"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "a report was printed under --strict");
}

#[test]
fn unsupported_files_alone_do_not_make_the_run_incomplete() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(ROOT);
    std::fs::create_dir_all(&dir).unwrap();
    write(&dir, "ual/audit.csv", good_purview_csv());
    write(&dir, "junk.bin", junk(3000));
    write(&dir, "empty.csv", b"");
    write(&dir, "notes.md", "# case notes\n\nnothing to see\n");

    let (run, report) = inspect_json(&dir, &[]);
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    assert_eq!(report["inputs"].as_array().unwrap().len(), 4);
    assert_eq!(
        counts(input(&report, &format!("{ROOT}/ual/audit.csv"))),
        (2, 0)
    );
    for name in ["junk.bin", "empty.csv", "notes.md"] {
        assert_eq!(
            input(&report, &format!("{ROOT}/{name}"))["kind"],
            "unsupported",
            "{name}"
        );
    }
    // An unsupported file is not an input error, so --strict has nothing to stop at.
    let (run, _) = inspect_json(&dir, &["--strict"]);
    assert_eq!(run.code, 0, "--strict; stderr:\n{}", run.stderr);
}

/// Content hash, size and modification time of every file, and the modification time of every
/// folder (a file created and removed again still changes its folder's).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u64, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let meta = std::fs::symlink_metadata(&d).unwrap();
        out.insert(d.clone(), (Vec::new(), 0, meta.modified().unwrap()));
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path);
            } else {
                let hash = Sha256::digest(std::fs::read(&path).unwrap()).to_vec();
                out.insert(path, (hash, meta.len(), meta.modified().unwrap()));
            }
        }
    }
    out
}

#[test]
fn evidence_is_never_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = hostile_evidence(tmp.path(), false);
    write(&dir, "ual/audit.csv", good_purview_csv());
    let before = snapshot(&dir);

    let out_dir = tmp.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("report.json");
    let run = uala(&[
        "analyze",
        dir.to_str().unwrap(),
        "--json",
        out.to_str().unwrap(),
        "--quiet",
        "--max-decompressed",
        "1048576",
    ]);
    assert_eq!(run.code, 3, "analyze exit code; stderr:\n{}", run.stderr);
    let report: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(report["schema"], "uala.report/1");
    assert_eq!(snapshot(&dir), before, "analyze changed the evidence");

    // An output inside the evidence, at its top or in a sub-folder, is refused before reading.
    for inside in [dir.join("report.json"), dir.join("ual").join("report.json")] {
        let run = uala(&[
            "analyze",
            dir.to_str().unwrap(),
            "--json",
            inside.to_str().unwrap(),
            "--quiet",
        ]);
        assert_eq!(run.code, 2, "{}: stderr:\n{}", inside.display(), run.stderr);
        assert!(run.stderr.contains("evidence"), "{}", run.stderr);
        assert!(!inside.exists(), "{} was written", inside.display());
        assert_eq!(snapshot(&dir), before, "a refused run changed the evidence");
    }

    // Not even with --force, nor through a path that only resolves into the evidence.
    let sneaky = out_dir.join("..").join(ROOT).join("report.json");
    let run = uala(&[
        "analyze",
        dir.to_str().unwrap(),
        "--json",
        sneaky.to_str().unwrap(),
        "--force",
        "--quiet",
    ]);
    assert_eq!(run.code, 2, "stderr:\n{}", run.stderr);
    assert!(!dir.join("report.json").exists());
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn analyze_without_any_readable_export_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence");
    std::fs::create_dir_all(&evidence).unwrap();
    std::fs::write(evidence.join("notes.md"), "# case notes\n").unwrap();
    std::fs::write(evidence.join("empty.csv"), "").unwrap();
    Command::cargo_bin("uala")
        .unwrap()
        .arg("analyze")
        .arg(&evidence)
        .assert()
        .code(2);
    // inspect still lists what is there.
    Command::cargo_bin("uala")
        .unwrap()
        .arg("inspect")
        .arg(&evidence)
        .assert()
        .code(0);
}
