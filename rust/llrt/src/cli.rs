//! What the `llrt` executable was asked to do, decided from its name, arguments and
//! environment before any JavaScript runs. Kept free of I/O so it can be unit-tested.

use std::path::Path;

/// Environment variables the Lambda service gives a custom runtime (and not an extension).
pub const ENV_RUNTIME_API: &str = "AWS_LAMBDA_RUNTIME_API";
pub const ENV_HANDLER: &str = "_HANDLER";

/// File extensions the official CLI runs as modules (`.cjs` as a global script).
const SCRIPT_EXTENSIONS: &[&str] = &[".js", ".mjs", ".cjs", ".lrt"];

/// One action of the executable.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// Run the Lambda Runtime API client for the handler in `_HANDLER`.
    LambdaRuntime,
    /// `-v` / `--version`.
    Version,
    /// `-h` / `--help`.
    Help,
    /// `-e <source>` / `--eval <source>`.
    Eval(String),
    /// `compile input.js [output.lrt]` (only in builds without the `lambda` feature).
    Compile { input: String, output: String },
    /// Run a module file; `global` evaluates it as a script (`.cjs`).
    RunFile { path: String, global: bool },
    /// Something the binary cannot do; the message goes to stderr, then exit 1.
    Fail { message: String, show_usage: bool },
}

/// Reads the process's situation into a [`Command`].
///
/// Lambda mode follows the official main: `AWS_LAMBDA_RUNTIME_API` and `_HANDLER` both set.
/// Extensions never get `_HANDLER`, so the same binary runs an extension script as a CLI.
/// A binary named `bootstrap` without those variables fails with a message naming them.
pub fn parse(
    args: &[String],
    env: impl Fn(&str) -> Option<String>,
    file_exists: impl Fn(&str) -> bool,
) -> Command {
    if env(ENV_RUNTIME_API).is_some() && env(ENV_HANDLER).is_some() {
        return Command::LambdaRuntime;
    }
    let invoked_as = args.first().map(|arg0| file_name(arg0)).unwrap_or("llrt");
    let Some(first) = args.get(1) else {
        let message = if invoked_as == "bootstrap" {
            format!("bootstrap: {ENV_RUNTIME_API} and {ENV_HANDLER} must be set to run as a Lambda runtime")
        } else {
            "No file given (the REPL is not part of this build)".to_string()
        };
        return Command::Fail {
            message,
            show_usage: true,
        };
    };
    match first.as_str() {
        "-v" | "--version" => Command::Version,
        "-h" | "--help" => Command::Help,
        // Without a source llrt_process would panic while building `process.argv`.
        "-e" | "--eval" => match args.get(2) {
            Some(source) => Command::Eval(source.clone()),
            None => Command::Fail {
                message: format!("{first}: a source argument is required"),
                show_usage: true,
            },
        },
        "compile" => parse_compile(&args[2..]),
        "test" => Command::Fail {
            message: "test: the LLRT test runner is not part of this build".to_string(),
            show_usage: false,
        },
        path => {
            let global = path.ends_with(".cjs");
            let exists = file_exists(path);
            if exists {
                Command::RunFile {
                    path: path.to_string(),
                    global,
                }
            } else if SCRIPT_EXTENSIONS.iter().any(|ext| path.ends_with(ext)) {
                Command::Fail {
                    message: format!("No such file: {path}"),
                    show_usage: false,
                }
            } else {
                Command::Fail {
                    message: format!("Unknown command: {path}"),
                    show_usage: true,
                }
            }
        }
    }
}

fn parse_compile(rest: &[String]) -> Command {
    if cfg!(feature = "lambda") {
        return Command::Fail {
            message: "compile: not supported in the \"lambda\" build".to_string(),
            show_usage: false,
        };
    }
    let Some(input) = rest.first() else {
        return Command::Fail {
            message: "compile: input filename is required.".to_string(),
            show_usage: false,
        };
    };
    let output = rest.get(1).cloned().unwrap_or_else(|| {
        Path::new(input)
            .with_extension("lrt")
            .to_string_lossy()
            .into_owned()
    });
    Command::Compile {
        input: input.clone(),
        output,
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn lambda_env(name: &str) -> Option<String> {
        match name {
            ENV_RUNTIME_API => Some("127.0.0.1:9001".into()),
            ENV_HANDLER => Some("index.handler".into()),
            _ => None,
        }
    }

    #[test]
    fn lambda_env_selects_the_runtime_client_whatever_the_arguments() {
        assert_eq!(
            parse(&args(&["/var/runtime/bootstrap"]), lambda_env, |_| false),
            Command::LambdaRuntime
        );
        assert_eq!(
            parse(&args(&["llrt", "x.mjs"]), lambda_env, |_| true),
            Command::LambdaRuntime
        );
    }

    #[test]
    fn runtime_api_without_handler_stays_a_cli() {
        let env = |name: &str| (name == ENV_RUNTIME_API).then(|| "127.0.0.1:9001".to_string());
        let got = parse(&args(&["llrt", "ext.mjs"]), env, |_| true);
        assert_eq!(
            got,
            Command::RunFile {
                path: "ext.mjs".into(),
                global: false
            }
        );
    }

    #[test]
    fn bootstrap_without_lambda_env_names_the_missing_variables() {
        let Command::Fail { message, .. } = parse(&args(&["/opt/bootstrap"]), no_env, |_| false)
        else {
            panic!("expected a failure");
        };
        assert!(
            message.contains(ENV_RUNTIME_API) && message.contains(ENV_HANDLER),
            "{message}"
        );
    }

    #[test]
    fn flags_and_eval() {
        assert_eq!(
            parse(&args(&["llrt", "--version"]), no_env, |_| false),
            Command::Version
        );
        assert_eq!(
            parse(&args(&["llrt", "-h"]), no_env, |_| false),
            Command::Help
        );
        assert_eq!(
            parse(&args(&["llrt", "-e", "1+1"]), no_env, |_| false),
            Command::Eval("1+1".into())
        );
        assert!(matches!(
            parse(&args(&["llrt", "--eval"]), no_env, |_| false),
            Command::Fail {
                show_usage: true,
                ..
            }
        ));
    }

    #[test]
    fn files_run_cjs_as_global_script_and_missing_files_fail() {
        assert_eq!(
            parse(&args(&["llrt", "a.cjs", "x"]), no_env, |_| true),
            Command::RunFile {
                path: "a.cjs".into(),
                global: true
            }
        );
        assert_eq!(
            parse(&args(&["llrt", "gone.mjs"]), no_env, |_| false),
            Command::Fail {
                message: "No such file: gone.mjs".into(),
                show_usage: false
            }
        );
        assert_eq!(
            parse(&args(&["llrt", "frobnicate"]), no_env, |_| false),
            Command::Fail {
                message: "Unknown command: frobnicate".into(),
                show_usage: true
            }
        );
    }

    #[test]
    fn compile_depends_on_the_lambda_feature() {
        let got = parse(&args(&["llrt", "compile", "a.js"]), no_env, |_| true);
        if cfg!(feature = "lambda") {
            assert!(matches!(got, Command::Fail { .. }));
        } else {
            assert_eq!(
                got,
                Command::Compile {
                    input: "a.js".into(),
                    output: "a.lrt".into()
                }
            );
        }
    }
}
