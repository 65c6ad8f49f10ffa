//! The launcher as the sandbox runs it: exit codes, the working directory, and (where this host
//! lets a process make mount namespaces) an environment laid out as Lambda's.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

const EXE: &str = env!("CARGO_BIN_EXE_battle-sandbox-exec");

#[test]
fn run_exits_127_for_a_missing_command_and_126_for_one_that_cannot_run() {
    let missing = Command::new(EXE)
        .args(["run", "--", "/nonexistent/bootstrap"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(127));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/bootstrap"));
    let dir = std::env::temp_dir().join(format!("launcher-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let not_executable = dir.join("bootstrap");
    std::fs::write(&not_executable, "#!/bin/sh\n").unwrap();
    let denied = Command::new(EXE)
        .args(["run", "--"])
        .arg(&not_executable)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(denied.status.code(), Some(126));
}

#[test]
fn run_leads_a_session_changes_directory_and_execs_in_place() {
    let out = Command::new(EXE)
        .args([
            "run",
            "--cwd",
            "/",
            "--",
            "sh",
            "-c",
            "pwd; echo $$; ps -o sid= -p $$",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    assert_eq!(lines[0], "/");
    // exec in place: the shell is the launcher's pid, and it leads its own session.
    if lines.len() > 2 {
        assert_eq!(lines[1], lines[2], "the process leads its session");
    }
}

#[test]
fn run_with_wait_execs_on_a_byte_and_exits_quietly_at_the_end_of_input() {
    let mut started = Command::new(EXE)
        .args(["run", "--wait", "--", "sh", "-c", "echo ran; cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    started.stdin.take().unwrap().write_all(b"x").unwrap();
    let out = started.wait_with_output().unwrap();
    assert!(out.status.success());
    // The program's standard input is /dev/null: `cat` ends at once, with nothing.
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ran\n");
    let never = Command::new(EXE)
        .args(["run", "--wait", "--", "sh", "-c", "echo ran"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(never.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&never.stdout), "");
}

#[test]
fn run_refuses_a_missing_cgroup_before_the_command_starts() {
    let out = Command::new(EXE)
        .args([
            "run",
            "--procs",
            "/nonexistent/cgroup.procs",
            "--",
            "touch",
            "/nonexistent-x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/cgroup.procs"));
}

#[test]
fn namespace_binds_code_read_only_and_leaves_the_host_alone() {
    let base = std::env::temp_dir().join(format!("launcher-ns-{}", std::process::id()));
    let (code, scratch) = (base.join("code"), base.join("scratch"));
    std::fs::create_dir_all(&code).unwrap();
    std::fs::create_dir_all(&scratch).unwrap();
    std::fs::write(code.join("hello.txt"), "hello").unwrap();
    let target = "/var/launcher-test-task";
    let mut holder = Command::new(EXE)
        .args(["namespace", "--scratch"])
        .arg(&scratch)
        .arg("--bind")
        .arg(&code)
        .args([target, "ro"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(holder.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    if first.trim() != "ready" {
        // Not root, or no mount namespaces here: nothing to check.
        let _ = holder.wait();
        std::fs::remove_dir_all(&base).unwrap();
        eprintln!("skipped: this host cannot make mount namespaces");
        return;
    }
    let ns = format!("/proc/{}/ns/mnt", holder.id());
    let out = Command::new(EXE)
        .args(["run", "--mntns", &ns, "--cwd", target, "--", "sh", "-c"])
        .arg("cat hello.txt; touch x 2>/dev/null && echo writable || echo read-only")
        .output()
        .unwrap();
    holder.stdin.take().unwrap().write_all(b"").unwrap();
    drop(holder.stdin.take());
    let _ = holder.wait();
    let exists_on_host = std::path::Path::new(target).exists();
    std::fs::remove_dir_all(&base).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "helloread-only\n");
    assert!(!exists_on_host, "{target} was made on the host");
}
