//! Every command ends quietly when its reader goes away (`uala rules list | head -1`): a closed
//! stdout is not an error and never a panic (issue 12).

mod common;

use std::process::{Command, Stdio};

/// Runs uala with a stdout whose reading end is closed before it writes a byte, and checks that
/// it exits 0 without a panic.
fn quiet_on_closed_stdout(args: &[&str]) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_uala"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("panicked"),
        "uala {args:?} panicked on a closed stdout:\n{stderr}"
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "uala {args:?} on a closed stdout:\n{stderr}"
    );
}

#[test]
fn rules_list_into_a_closed_pipe() {
    quiet_on_closed_stdout(&["rules", "list"]);
}

#[test]
fn inspect_into_a_closed_pipe() {
    let case = common::sample_case();
    quiet_on_closed_stdout(&["inspect", "--quiet", case.to_str().unwrap()]);
}

#[test]
fn analyze_into_a_closed_pipe() {
    let case = common::sample_case();
    quiet_on_closed_stdout(&["analyze", "--quiet", case.to_str().unwrap()]);
}

#[test]
fn analyze_of_no_readable_input_into_a_closed_pipe() {
    // The inputs table comes before the error: the closed pipe ends the run first, quietly.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.md"), "nothing to analyse").unwrap();
    quiet_on_closed_stdout(&["analyze", "--quiet", dir.path().to_str().unwrap()]);
}
