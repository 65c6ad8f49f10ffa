// Lambda handlers for the bootstrap tests; _HANDLER picks one (handlers.ok, handlers.fails).
export const ok = async (event, context) => {
  await new Promise((resolve) => setTimeout(resolve, 1));
  return {
    echo: event,
    requestId: context.awsRequestId,
    functionName: context.functionName,
    remainingPositive: context.getRemainingTimeInMillis() > 0,
    marker: process.env.BATTLE_MARKER,
  };
};

export const fails = async () => {
  await Promise.resolve();
  throw new TypeError("handler failed on purpose");
};
