//! The hello function of the fidelity check, as public cold-start benchmarks deploy it: AWS's
//! `lambda_runtime` with the smallest handler, built as a `provided.al2023` bootstrap.
#![deny(clippy::all)]

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::{json, Value};

fn hello() -> Value {
    json!({ "statusCode": 200, "body": "hello" })
}

async fn handler(_event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    Ok(hello())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(handler)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_hello() {
        assert_eq!(hello()["body"], "hello");
        assert_eq!(hello()["statusCode"], 200);
    }
}
