import { type FilteredLogEvent, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { userError } from "../../errors.js";
import type { Desired } from "../../model/desired-types.js";
import { isAwsCode } from "./aws-errors.js";
import type { AwsClients, Clock } from "./clients.js";
import { readInstance } from "./instances.js";

/** How often --follow asks CloudWatch Logs for new events, and how far back each ask reaches (late events). */
const POLL_MS = 2000;
const OVERLAP_MS = 10_000;
/** Without --since, the recent lines come from the last hour. */
const RECENT_MS = 3_600_000;

export interface AwsLogOptions {
  node?: string;
  follow?: boolean;
  lines?: number;
  signal?: AbortSignal;
  slow?: boolean;
  since?: Date;
}

/**
 * The log an instance exports to CloudWatch Logs (RDS User Guide, "Publishing database logs to
 * Amazon CloudWatch Logs"): PostgreSQL's server log `/aws/rds/instance/<id>/postgresql` (with --slow,
 * only log_min_duration_statement's "duration:" lines, by a filter pattern); MySQL's and MariaDB's
 * error log, or with --slow their slow-query log. Without --since, the last hour's last `lines`
 * events; --follow asks again every 2 s until `signal` aborts. Errors: INSTANCE_NOT_FOUND,
 * LOGS_NOT_EXPORTED (the instance does not publish that log: `ebdb up` turns the export on).
 */
export async function* awsLogs(
  aws: AwsClients,
  clock: Clock,
  desired: Desired,
  opts: AwsLogOptions,
): AsyncGenerator<string> {
  const name = opts.node ?? desired.identifier;
  const inst = await readInstance(aws, name);
  if (!inst)
    throw userError(
      "INSTANCE_NOT_FOUND",
      `There is no instance ${name}.`,
      "`ebdb status --target aws` lists the instances.",
    );
  const pg = (inst.Engine ?? desired.config.engine) === "postgres";
  const kind = pg ? "postgresql" : opts.slow ? "slowquery" : "error";
  if (!(inst.EnabledCloudwatchLogsExports ?? []).includes(kind))
    throw userError(
      "LOGS_NOT_EXPORTED",
      `${name} does not publish its ${kind} log to CloudWatch Logs.`,
      desired.config.logExports.includes(kind)
        ? "Run `ebdb up --target aws`: it turns on the log exports config.env asks for."
        : `Add ${kind} to DB_CLOUDWATCH_LOGS_EXPORTS in config.env (or empty it for ebdb's default), then run \`ebdb up --target aws\`.`,
    );
  const group = `/aws/rds/instance/${name}/${kind}`;
  const pattern = pg && opts.slow ? '"duration:"' : undefined;

  const read = async (start: number): Promise<FilteredLogEvent[]> => {
    const out: FilteredLogEvent[] = [];
    let token: string | undefined;
    do {
      let r: Awaited<ReturnType<typeof aws.logs<FilterLogEventsCommand>>>;
      try {
        r = await aws.logs(
          new FilterLogEventsCommand({
            logGroupName: group,
            startTime: start,
            filterPattern: pattern,
            nextToken: token,
          }),
        );
      } catch (e) {
        if (isAwsCode(e, "ResourceNotFoundException")) return out; // nothing published yet
        throw e;
      }
      out.push(...(r.events ?? []));
      token = r.nextToken;
    } while (token);
    return out;
  };
  const line = (e: FilteredLogEvent) => {
    const m = e.message ?? "";
    return m.endsWith("\n") ? m : `${m}\n`;
  };
  // Events already shown, with their times: only those inside the overlap are kept to compare.
  const seen = new Map<string, number>();
  const key = (e: FilteredLogEvent) => e.eventId ?? `${e.timestamp}|${e.logStreamName}|${e.message}`;
  let last = opts.since?.getTime() ?? clock.now().getTime() - RECENT_MS;

  const first = await read(last);
  for (const e of first) seen.set(key(e), e.timestamp ?? 0);
  const keep = first.slice(-(opts.lines ?? 200));
  if (keep.length) yield keep.map(line).join("");
  last = Math.max(last, ...first.map((e) => e.timestamp ?? 0));

  while (opts.follow && !opts.signal?.aborted) {
    await clock.sleep(POLL_MS);
    if (opts.signal?.aborted) break;
    const fresh = (await read(Math.max(0, last - OVERLAP_MS))).filter((e) => !seen.has(key(e)));
    for (const e of fresh) seen.set(key(e), e.timestamp ?? 0);
    if (fresh.length) yield fresh.map(line).join("");
    last = Math.max(last, ...fresh.map((e) => e.timestamp ?? 0));
    for (const [k, t] of seen) if (t < last - OVERLAP_MS) seen.delete(k);
  }
}
