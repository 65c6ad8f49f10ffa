// Test function for the node runtime: echoes its event; fields ask for other paths.
export const handler = async (event, context) => {
  if (event?.fail) throw new TypeError(event.fail);
  if (event?.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
  if (event?.exit !== undefined) process.exit(event.exit);
  if (event?.responseBytes) return "x".repeat(event.responseBytes);
  console.log("handling", JSON.stringify(event), "\nsecond line");
  return {
    echo: event,
    requestId: context.awsRequestId,
    functionName: context.functionName,
    memoryLimitInMB: context.memoryLimitInMB,
    remainingMs: context.getRemainingTimeInMillis(),
    clientContext: context.clientContext ?? null,
    handlerEnv: process.env._HANDLER,
    initType: process.env.AWS_LAMBDA_INITIALIZATION_TYPE,
  };
};
