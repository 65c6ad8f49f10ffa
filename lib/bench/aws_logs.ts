/**
 * The AWS backend's log fetcher: FilterLogEvents (full pagination) for a cell's usual window,
 * Logs Insights when the window is large, where paging through FilterLogEvents gets slow.
 *
 * @module
 */
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { collectInsights, collectLogEvents } from "../aws/collect.ts";
import type { LogFetcher } from "./aws.ts";

/** Windows longer than this go to Logs Insights. */
export const INSIGHTS_WINDOW_MS = 60 * 60 * 1000;

/**
 * Builds the fetcher for functions that log in JSON format (as the stack deploys them).
 *
 * @param client A CloudWatch Logs client.
 * @param options `insightsWindowMs` overrides {@link INSIGHTS_WINDOW_MS}.
 * @returns A {@link LogFetcher} that returns the raw messages.
 */
export function cloudWatchFetcher(
  client: Pick<CloudWatchLogsClient, "send">,
  options: { insightsWindowMs?: number } = {},
): LogFetcher {
  const insightsWindowMs = options.insightsWindowMs ?? INSIGHTS_WINDOW_MS;
  return async ({ logGroup, startTime, endTime }) => {
    const { events } = endTime - startTime > insightsWindowMs
      ? await collectInsights({ client, logGroupNames: [logGroup], startTime, endTime })
      : await collectLogEvents({
        client,
        logGroupName: logGroup,
        startTime,
        endTime,
        format: "json",
      });
    return events.map((e) => e.message);
  };
}
