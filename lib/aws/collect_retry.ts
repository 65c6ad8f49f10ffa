/**
 * Retries for CloudWatch Logs calls: throttling backs off exponentially with jitter, a missing
 * credential becomes one clear message, anything else fails at once.
 *
 * @module
 */

/** Error names that mean "slow down and try again". */
const RETRYABLE = new Set([
  "ThrottlingException",
  "TooManyRequestsException",
  "LimitExceededException", // StartQuery: too many concurrent Insights queries
  "ServiceUnavailableException",
]);

/** Retry settings; every field has a default. */
export interface RetryOptions {
  /** Attempts including the first. Default 8. */
  maxAttempts?: number;
  /** First backoff. Default 250 ms; doubles each retry. */
  baseDelayMs?: number;
  /** Backoff cap. Default 10,000 ms. */
  maxDelayMs?: number;
  /** Waits; tests pass a fake. Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). Default Math.random. */
  random?: () => number;
}

/**
 * Waits with setTimeout.
 *
 * @param ms How long.
 * @returns Resolves after `ms`.
 */
export function realSleep(ms: number): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, ms));
}

function isRetryable(err: unknown): boolean {
  const e = err as {
    name?: string;
    $retryable?: { throttling?: boolean };
    $metadata?: { httpStatusCode?: number };
  };
  return RETRYABLE.has(e?.name ?? "") || e?.$retryable?.throttling === true ||
    e?.$metadata?.httpStatusCode === 429;
}

/**
 * Runs `call`, retrying throttling errors with exponential backoff and jitter.
 *
 * @param what Names the call in error messages.
 * @param call The request.
 * @param options See {@link RetryOptions}.
 * @returns What `call` returns.
 * @throws {Error} Missing credentials (clear message), or the last error once attempts run out.
 */
export async function withRetry<T>(
  what: string,
  call: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 8;
  const base = options.baseDelayMs ?? 250;
  const cap = options.maxDelayMs ?? 10_000;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1;; attempt++) {
    try {
      return await call();
    } catch (err) {
      const name = (err as Error)?.name;
      if (name === "CredentialsProviderError") {
        throw new Error(
          `Cannot ${what}: no AWS credentials (${(err as Error).message}); set AWS_PROFILE or ` +
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
          { cause: err },
        );
      }
      if (!isRetryable(err) || attempt >= maxAttempts) throw err;
      const backoff = Math.min(cap, base * 2 ** (attempt - 1));
      await sleep(backoff / 2 + random() * backoff / 2);
    }
  }
}
