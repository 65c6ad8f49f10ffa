//! `llrt`: the LLRT command line and Lambda custom-runtime bootstrap, built from the published
//! `llrt_core` crate. It behaves like the official `llrt` binary for what the study needs:
//! `llrt <file> [args]`, `-e`, `--version`, and the Lambda Runtime API client when the Lambda
//! environment is present (copy or link it as `bootstrap`).
#![deny(clippy::all)]

mod cli;

use std::{env, path::Path, process::exit};

use cli::Command;
use llrt_core::{
    async_with, libs::logging::print_error_and_exit, runtime_client, vm::Vm, CatchResultExt,
    VERSION,
};

// The official binary uses snmalloc on every non-Windows target; allocation speed shows in
// start-up and per-invoke latency, so the comparison needs the same allocator.
#[global_allocator]
static ALLOC: snmalloc_rs::SnMalloc = snmalloc_rs::SnMalloc;

/// `llrt_core`'s `PLATFORM`/`ARCH` spelling, as in `process.platform` / `process.arch`.
fn version_line() -> String {
    let arch = match env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("LLRT v{VERSION} ({}, {arch})", env::consts::OS)
}

fn usage() -> String {
    format!(
        "{}\n\nUsage:\n  llrt <filename> [args]\n  llrt -v | --version\n  llrt -h | --help\n  \
         llrt -e | --eval <source>\n  llrt compile input.js [output.lrt]   (not in the lambda build)\n\n\
         As a Lambda custom runtime (AWS_LAMBDA_RUNTIME_API and _HANDLER set) it runs the handler\n\
         named by _HANDLER from LAMBDA_TASK_ROOT.",
        version_line()
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args: Vec<String> = env::args().collect();
    let command = cli::parse(
        &args,
        |name| env::var(name).ok(),
        |path| Path::new(path).exists(),
    );

    match command {
        Command::Version => println!("{}", version_line()),
        Command::Help => println!("{}", usage()),
        Command::Fail {
            message,
            show_usage,
        } => {
            eprintln!("{message}");
            if show_usage {
                eprintln!("{}", usage());
            }
            exit(1);
        }
        Command::Compile { input, output } => compile(&input, &output).await,
        Command::LambdaRuntime | Command::Eval(_) | Command::RunFile { .. } => {
            let vm = Vm::new().await?;
            match command {
                Command::LambdaRuntime => {
                    async_with!(vm.ctx => |ctx| {
                        if let Err(err) = runtime_client::start(&ctx).await.catch(&ctx) {
                            print_error_and_exit(&ctx, err)
                        }
                    })
                    .await;
                }
                Command::Eval(source) => vm.run(source.into_bytes(), false, false).await,
                Command::RunFile { path, global } => vm.run_file(path, true, global).await,
                _ => {}
            }
            vm.idle().await?;
        }
    }
    Ok(())
}

#[cfg(not(feature = "lambda"))]
async fn compile(input: &str, output: &str) {
    if let Err(error) =
        llrt_core::compiler::compile_file(Path::new(input), Path::new(output), false).await
    {
        eprintln!("{error}");
        exit(1);
    }
}

#[cfg(feature = "lambda")]
async fn compile(_input: &str, _output: &str) {
    unreachable!("cli::parse never yields Compile in the lambda build")
}
