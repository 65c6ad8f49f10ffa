//! `battle-sandbox-exec`: how the local Lambda sandbox starts every process of an environment, and how
//! it makes the environment's file system.
//!
//! ```text
//! sandbox-exec run [--procs FILE]... [--mntns FILE] [--cwd DIR] [--wait] -- COMMAND [ARG]...
//! sandbox-exec namespace [--scratch DIR] [--bind SRC DST ro|rw]...
//! ```
//!
//! `run` leads a new session (so a signal to the group reaches the process's children), writes
//! its own pid into each `cgroup.procs` file (so the program is in the environment's groups from
//! its first instruction), enters the mount namespace of `--mntns` (a `/proc/PID/ns/mnt` path),
//! changes to `--cwd` and execs the command: one exec in front of the program, where a `setsid`
//! and a `sh` prelude took two. With `--wait` it does all that and then waits for one byte on its
//! standard input before the exec (standard input becomes `/dev/null`), so an environment's
//! processes can be made before Init and started by Init in one pipe write; end of input instead
//! exits 0 without running the command. Exit codes as a shell's: 125 when the set-up fails, 126
//! when the command cannot be executed, 127 when it is not found.
//!
//! `namespace` makes a private mount namespace laid out like a Lambda environment's: each
//! `--bind` mounts SRC at DST (read-only with `ro`), in the order given, without touching the
//! host's own files. A DST that does not exist (for example `/var/task` on a host without one)
//! is made in a copy-on-write overlay of its nearest existing parent, whose changes live in a
//! tmpfs mounted at `--scratch`. It prints `ready` and holds the namespace until its standard
//! input closes (its owner exits or lets go); the owner's processes join it with
//! `run --mntns /proc/PID/ns/mnt`. Errors go to standard error, exit code 125.

use std::ffi::{CString, OsString};
use std::io::{Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// A failed step: what was being done and the OS error.
struct Failure {
    what: String,
    errno: i32,
}

type Step<T = ()> = Result<T, Failure>;

fn fail<T>(what: String) -> Step<T> {
    Err(Failure {
        what,
        errno: std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
    })
}

fn cstr(p: &Path) -> CString {
    // Paths from the command line cannot hold a NUL byte.
    CString::new(p.as_os_str().as_bytes()).expect("path without NUL")
}

fn check(rc: libc::c_int, what: impl FnOnce() -> String) -> Step {
    if rc == 0 {
        Ok(())
    } else {
        fail(what())
    }
}

fn main() {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let code = match args.first().map(|a| a.as_bytes()) {
        Some(b"run") => run(&args[1..]),
        Some(b"namespace") => namespace(&args[1..]),
        _ => {
            eprintln!("usage: sandbox-exec run|namespace ... (see the crate's documentation)");
            2
        }
    };
    std::process::exit(code);
}

/// The options of `run`, and the command after `--`.
#[derive(Debug, Default, PartialEq)]
struct RunArgs {
    procs: Vec<PathBuf>,
    mntns: Option<PathBuf>,
    cwd: Option<PathBuf>,
    wait: bool,
    command: Vec<OsString>,
}

fn parse_run(args: &[OsString]) -> Result<RunArgs, String> {
    let mut out = RunArgs::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .map(PathBuf::from)
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_bytes() {
            b"--procs" => out.procs.push(value("--procs")?),
            b"--mntns" => out.mntns = Some(value("--mntns")?),
            b"--cwd" => out.cwd = Some(value("--cwd")?),
            b"--wait" => out.wait = true,
            b"--" => {
                out.command = it.cloned().collect();
                break;
            }
            _ => return Err(format!("unknown option {}", a.to_string_lossy())),
        }
    }
    if out.command.is_empty() {
        return Err("no command after --".into());
    }
    Ok(out)
}

fn run(args: &[OsString]) -> i32 {
    let a = match parse_run(args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("sandbox-exec run: {e}");
            return 2;
        }
    };
    if let Err(f) = enter(&a) {
        report("run", &f);
        return 125;
    }
    if a.wait {
        match wait_for_start() {
            Ok(true) => {}
            Ok(false) => return 0,
            Err(f) => {
                report("run", &f);
                return 125;
            }
        }
    }
    let argv: Vec<CString> = a
        .command
        .iter()
        .map(|s| CString::new(s.clone().into_vec()).expect("argument without NUL"))
        .collect();
    let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|s| s.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    // SAFETY: argv is NUL-terminated and its strings outlive the call (it only returns on error).
    unsafe { libc::execvp(ptrs[0], ptrs.as_ptr()) };
    let err = std::io::Error::last_os_error();
    eprintln!("sandbox-exec: {}: {err}", a.command[0].to_string_lossy());
    if err.raw_os_error() == Some(libc::ENOENT) {
        127
    } else {
        126
    }
}

/// Session, groups, namespace, working directory: everything before the exec.
fn enter(a: &RunArgs) -> Step {
    // SAFETY: plain system calls on this single-threaded process.
    unsafe {
        // Fails only when already a group leader, which a freshly spawned child is not.
        libc::setsid();
        let pid = format!("{}\n", libc::getpid());
        for file in &a.procs {
            let mut f = match std::fs::OpenOptions::new().write(true).open(file) {
                Ok(f) => f,
                Err(_) => return fail(format!("open {}", file.display())),
            };
            if f.write_all(pid.as_bytes()).is_err() {
                return fail(format!("join {}", file.display()));
            }
        }
        if let Some(ns) = &a.mntns {
            let fd = libc::open(cstr(ns).as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
            if fd < 0 {
                return fail(format!("open {}", ns.display()));
            }
            check(libc::setns(fd, libc::CLONE_NEWNS), || {
                format!("enter the mount namespace {}", ns.display())
            })?;
            libc::close(fd);
        }
        if let Some(dir) = &a.cwd {
            check(libc::chdir(cstr(dir).as_ptr()), || {
                format!("change to {}", dir.display())
            })?;
        }
    }
    Ok(())
}

/// Blocks until a byte (start: true) or the end of standard input (never started: false), then
/// puts `/dev/null` on standard input, as the program would have had it.
fn wait_for_start() -> Step<bool> {
    let mut byte = [0u8; 1];
    let started = loop {
        match std::io::stdin().read(&mut byte) {
            Ok(0) => break false,
            Ok(_) => break true,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return fail("wait for the start on standard input".into()),
        }
    };
    if started {
        let null = cstr(Path::new("/dev/null"));
        // SAFETY: plain system calls on this single-threaded process.
        unsafe {
            let fd = libc::open(null.as_ptr(), libc::O_RDONLY);
            if fd < 0 || libc::dup2(fd, 0) < 0 {
                return fail("put /dev/null on standard input".into());
            }
            libc::close(fd);
        }
    }
    Ok(started)
}

fn report(mode: &str, f: &Failure) {
    eprintln!(
        "sandbox-exec {mode}: {}: {}",
        f.what,
        std::io::Error::from_raw_os_error(f.errno)
    );
}

/// One `--bind SRC DST ro|rw`.
#[derive(Debug, PartialEq)]
struct Bind {
    src: PathBuf,
    dst: PathBuf,
    read_only: bool,
}

#[derive(Debug, Default, PartialEq)]
struct NamespaceArgs {
    scratch: Option<PathBuf>,
    binds: Vec<Bind>,
}

fn parse_namespace(args: &[OsString]) -> Result<NamespaceArgs, String> {
    let mut out = NamespaceArgs::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_bytes() {
            b"--scratch" => {
                out.scratch = Some(it.next().ok_or("--scratch needs a folder")?.into());
            }
            b"--bind" => {
                let (Some(src), Some(dst), Some(mode)) = (it.next(), it.next(), it.next()) else {
                    return Err("--bind needs SRC DST ro|rw".into());
                };
                let read_only = match mode.as_bytes() {
                    b"ro" => true,
                    b"rw" => false,
                    _ => return Err(format!("--bind mode must be ro or rw, got {mode:?}")),
                };
                let dst = PathBuf::from(dst);
                if !dst.is_absolute() {
                    return Err(format!("--bind target must be absolute: {}", dst.display()));
                }
                out.binds.push(Bind {
                    src: src.into(),
                    dst,
                    read_only,
                });
            }
            _ => return Err(format!("unknown option {}", a.to_string_lossy())),
        }
    }
    Ok(out)
}

fn namespace(args: &[OsString]) -> i32 {
    let a = match parse_namespace(args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("sandbox-exec namespace: {e}");
            return 2;
        }
    };
    if let Err(f) = make_namespace(&a) {
        report("namespace", &f);
        return 125;
    }
    let mut stdout = std::io::stdout();
    if stdout
        .write_all(b"ready\n")
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return 125;
    }
    // Hold the namespace until the owner closes our standard input (or dies).
    let mut sink = [0u8; 64];
    let mut stdin = std::io::stdin();
    while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
    0
}

fn make_namespace(a: &NamespaceArgs) -> Step {
    // SAFETY: plain system calls on this single-threaded process; every pointer is a live
    // CString for the duration of its call.
    unsafe {
        check(libc::unshare(libc::CLONE_NEWNS), || {
            "make a mount namespace (needs CAP_SYS_ADMIN)".into()
        })?;
        // Nothing mounted here may reach the host's namespace.
        let root = cstr(Path::new("/"));
        check(
            libc::mount(
                std::ptr::null(),
                root.as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ),
            || "make / private".into(),
        )?;
    }
    let mut overlays = 0;
    for b in &a.binds {
        let is_dir = std::fs::metadata(&b.src)
            .map(|m| m.is_dir())
            .or_else(|_| fail::<bool>(format!("find {}", b.src.display())))?;
        if std::fs::symlink_metadata(&b.dst).is_err() {
            let scratch = a.scratch.as_deref().ok_or_else(|| Failure {
                what: format!(
                    "{} does not exist and no --scratch was given",
                    b.dst.display()
                ),
                errno: libc::ENOENT,
            })?;
            overlay_parent(&b.dst, scratch, &mut overlays)?;
            let made = if is_dir {
                std::fs::create_dir_all(&b.dst)
            } else {
                std::fs::File::create(&b.dst).map(|_| ())
            };
            if made.is_err() {
                return fail(format!("make {}", b.dst.display()));
            }
        }
        bind(b)?;
    }
    Ok(())
}

/// Mounts SRC at DST, then makes it read-only where asked (a bind mount takes its flags only
/// on a remount).
fn bind(b: &Bind) -> Step {
    let (src, dst) = (cstr(&b.src), cstr(&b.dst));
    // SAFETY: see make_namespace.
    unsafe {
        check(
            libc::mount(
                src.as_ptr(),
                dst.as_ptr(),
                std::ptr::null(),
                libc::MS_BIND | libc::MS_REC,
                std::ptr::null(),
            ),
            || format!("mount {} at {}", b.src.display(), b.dst.display()),
        )?;
        if b.read_only {
            check(
                libc::mount(
                    std::ptr::null(),
                    dst.as_ptr(),
                    std::ptr::null(),
                    libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY,
                    std::ptr::null(),
                ),
                || format!("make {} read-only", b.dst.display()),
            )?;
        }
    }
    Ok(())
}

/// Covers the nearest existing parent of `dst` with an overlay whose writes go to a tmpfs at
/// `scratch`, so `dst` can be made without changing the host's file system.
fn overlay_parent(dst: &Path, scratch: &Path, count: &mut u32) -> Step {
    let mut parent = dst.parent().unwrap_or(Path::new("/"));
    while std::fs::metadata(parent).is_err() {
        parent = parent.parent().unwrap_or(Path::new("/"));
    }
    if parent == Path::new("/") {
        return Err(Failure {
            what: format!("{}: will not overlay / itself", dst.display()),
            errno: libc::EPERM,
        });
    }
    let tmpfs = cstr(Path::new("tmpfs"));
    let scratch_c = cstr(scratch);
    // SAFETY: see make_namespace.
    unsafe {
        if *count == 0 {
            let size = CString::new("size=16m,mode=0755").expect("no NUL");
            check(
                libc::mount(
                    tmpfs.as_ptr(),
                    scratch_c.as_ptr(),
                    tmpfs.as_ptr(),
                    libc::MS_NOSUID | libc::MS_NODEV,
                    size.as_ptr().cast(),
                ),
                || format!("mount a tmpfs at {}", scratch.display()),
            )?;
        }
    }
    *count += 1;
    let upper = scratch.join(format!("upper{count}"));
    let work = scratch.join(format!("work{count}"));
    for d in [&upper, &work] {
        if std::fs::create_dir(d).is_err() {
            return fail(format!("make {}", d.display()));
        }
    }
    let data = CString::new(format!(
        "lowerdir={},upperdir={},workdir={}",
        parent.display(),
        upper.display(),
        work.display()
    ))
    .expect("no NUL");
    let (overlay, target) = (cstr(Path::new("overlay")), cstr(parent));
    // SAFETY: see make_namespace.
    unsafe {
        check(
            libc::mount(
                overlay.as_ptr(),
                target.as_ptr(),
                overlay.as_ptr(),
                0,
                data.as_ptr().cast(),
            ),
            || format!("overlay {} to make {}", parent.display(), dst.display()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn run_takes_its_options_then_the_command_after_the_separator() {
        let a = parse_run(&os(&[
            "--procs",
            "/a",
            "--procs",
            "/b",
            "--mntns",
            "/proc/1/ns/mnt",
            "--cwd",
            "/var/task",
            "--wait",
            "--",
            "/bin/echo",
            "--procs",
        ]))
        .unwrap();
        assert_eq!(a.procs, vec![PathBuf::from("/a"), PathBuf::from("/b")]);
        assert_eq!(a.mntns, Some(PathBuf::from("/proc/1/ns/mnt")));
        assert_eq!(a.cwd, Some(PathBuf::from("/var/task")));
        assert!(a.wait);
        assert_eq!(a.command, os(&["/bin/echo", "--procs"]));
    }

    #[test]
    fn run_refuses_a_missing_command_or_value() {
        assert!(parse_run(&os(&["--cwd", "/"])).is_err());
        assert!(parse_run(&os(&["--cwd"])).is_err());
        assert!(parse_run(&os(&["--bogus", "--", "true"])).is_err());
    }

    #[test]
    fn namespace_takes_binds_in_order_with_their_mode() {
        let a = parse_namespace(&os(&[
            "--scratch",
            "/s",
            "--bind",
            "/code",
            "/var/task",
            "ro",
            "--bind",
            "/t",
            "/tmp",
            "rw",
        ]))
        .unwrap();
        assert_eq!(a.scratch, Some(PathBuf::from("/s")));
        assert_eq!(
            a.binds,
            vec![
                Bind {
                    src: "/code".into(),
                    dst: "/var/task".into(),
                    read_only: true
                },
                Bind {
                    src: "/t".into(),
                    dst: "/tmp".into(),
                    read_only: false
                },
            ]
        );
    }

    #[test]
    fn namespace_refuses_bad_binds() {
        assert!(parse_namespace(&os(&["--bind", "/a", "/b"])).is_err());
        assert!(parse_namespace(&os(&["--bind", "/a", "b", "ro"])).is_err());
        assert!(parse_namespace(&os(&["--bind", "/a", "/b", "rx"])).is_err());
    }
}
