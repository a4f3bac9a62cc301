import type {
  ConfigurationOptionSetting,
  DescribeConfigurationSettingsCommandInput,
  DescribeEnvironmentResourcesCommandInput,
  DescribeEnvironmentsCommandInput,
  DescribeEventsCommandInput,
  DescribePlatformVersionCommandInput,
  EnvironmentDescription,
  RestartAppServerCommandInput,
  UpdateEnvironmentCommandInput,
} from "@aws-sdk/client-elastic-beanstalk";
import { effectiveSecurityGroups, getOption, NS, optionKey, SECRETS_SUPPORTED_FROM } from "./eb-model.js";
import { prepareCoupledUpdate } from "./eb-coupled.js";
import { loadAppEnvironment } from "./eb-resolve.js";
import { type Ctx, type Handlers, read, write } from "./kit.js";
import type { EbEnvironment } from "./state.js";

const MIN = 60_000;
/** Simulated durations of EB environment updates (ms). */
export const EB_TIMES = { update: 3 * MIN, rollingReplace: 10 * MIN, restartAppServer: 1 * MIN } as const;
const PROPERTIES_MAX_BYTES = 4096;
const SEVERITY = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];

function findEnv(
  ctx: Ctx,
  name: string | undefined,
  id: string | undefined,
  app?: string,
): EbEnvironment | undefined {
  return [...ctx.r.eb.environments.values()].find(
    (e) =>
      e.status !== "Terminated" && (id ? e.id === id : e.name === name) && (!app || e.application === app),
  );
}

function requireEnv(ctx: Ctx, name: string | undefined, id: string | undefined, app?: string): EbEnvironment {
  const env = findEnv(ctx, name, id, app);
  if (!env) {
    throw ctx.err(
      "InvalidParameterValue",
      id
        ? `No Environment found for EnvironmentId = '${id}'.`
        : `No Environment found for EnvironmentName = '${name}'.`,
    );
  }
  return env;
}

function envShape(ctx: Ctx, env: EbEnvironment): EnvironmentDescription {
  const platform = ctx.r.eb.platforms.get(env.platformArn);
  return {
    EnvironmentName: env.name,
    EnvironmentId: env.id,
    ApplicationName: env.application,
    VersionLabel: "v1",
    SolutionStackName: platform
      ? `64bit Amazon Linux 2023 v${platform.version} running ${platform.branch}`
      : undefined,
    PlatformArn: env.platformArn,
    EndpointURL: `awseb-${env.id}-stack-awsebloa-1.${ctx.region}.elb.amazonaws.com`,
    CNAME: env.cname,
    DateCreated: new Date(env.createdAt),
    DateUpdated: new Date(env.updatedAt),
    Status: env.status as EnvironmentDescription["Status"],
    AbortableOperationInProgress: env.status === "Updating",
    Health: env.health as EnvironmentDescription["Health"],
    HealthStatus: "Ok",
    Tier: { Name: "WebServer", Type: "Standard", Version: "1.0" },
    EnvironmentLinks: [],
    EnvironmentArn: `arn:aws:elasticbeanstalk:${ctx.region}:${ctx.w.accountId}:environment/${env.application}/${env.name}`,
  };
}

function event(ctx: Ctx, env: EbEnvironment, message: string, severity = "INFO"): void {
  env.events.push({ at: ctx.w.now(), message, severity });
}

function requireReady(ctx: Ctx, env: EbEnvironment): void {
  if (env.status !== "Ready") {
    throw ctx.err(
      "InvalidParameterValue",
      `Environment named ${env.name} is in an invalid state for this operation. Must be Ready.`,
    );
  }
}

/** Validates one option setting against what EB accepts; returns its storage key. */
function checkOption(ctx: Ctx, env: EbEnvironment, s: ConfigurationOptionSetting): string {
  const ns = s.Namespace ?? "";
  const name = s.OptionName ?? "";
  if (!ns.startsWith("aws:") || !name) {
    throw ctx.err(
      "InvalidParameterValue",
      `Invalid option specification (Namespace: '${ns}', OptionName: '${name}'): Unknown configuration setting.`,
    );
  }
  if (ns === NS.env || ns === NS.secrets) {
    if (!/^[A-Za-z0-9_.:/+\\\-@]{1,128}$/.test(name)) {
      throw ctx.err(
        "InvalidParameterValue",
        `Environment variable name '${name}' contains characters that are not valid.`,
      );
    }
  }
  if (ns === NS.secrets) {
    const platform = ctx.r.eb.platforms.get(env.platformArn);
    if (!platform || platform.createdAt < SECRETS_SUPPORTED_FROM) {
      throw ctx.err(
        "InvalidParameterValue",
        `Invalid option specification (Namespace: '${ns}', OptionName: '${name}'): Environment secrets are not supported by this platform version. Use a platform version released on or after March 26, 2025.`,
      );
    }
    if (!/^arn:aws:(secretsmanager|ssm):[a-z0-9-]+:\d{12}:(secret:|parameter\/)/.test(s.Value ?? "")) {
      throw ctx.err(
        "InvalidParameterValue",
        `Invalid option value: '${s.Value}' (Namespace: '${ns}', OptionName: '${name}'): The value must be the ARN of a Secrets Manager secret or an SSM parameter.`,
      );
    }
  }
  if (ns === NS.launch && name === "SecurityGroups") {
    const vpcId = getOption(env, NS.vpc, "VPCId");
    for (const ref of (s.Value ?? "")
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean)) {
      const sg = ref.startsWith("sg-")
        ? ctx.r.ec2.securityGroups.get(ref)
        : [...ctx.r.ec2.securityGroups.values()].find((g) => g.GroupName === ref && g.VpcId === vpcId);
      if (!sg || sg.VpcId !== vpcId) {
        throw ctx.err(
          "ConfigurationValidationException",
          `Configuration validation exception: Invalid option value: '${ref}' (Namespace: '${ns}', OptionName: 'SecurityGroups'): The security group does not exist in the environment's VPC.`,
        );
      }
    }
  }
  return optionKey(ns, name);
}

export const ebHandlers: Handlers = {
  DescribeEnvironments: read<DescribeEnvironmentsCommandInput>((ctx, input) => {
    const envs = [...ctx.r.eb.environments.values()]
      .filter((e) => input.IncludeDeleted || e.status !== "Terminated")
      .filter((e) => !input.ApplicationName || e.application === input.ApplicationName)
      .filter((e) => !input.EnvironmentNames?.length || input.EnvironmentNames.includes(e.name))
      .filter((e) => !input.EnvironmentIds?.length || input.EnvironmentIds.includes(e.id))
      .sort((a, b) => a.name.localeCompare(b.name));
    const page = ctx.w.page("elasticbeanstalk", envs, input.NextToken, input.MaxRecords, {
      min: 1,
      max: 1000,
      param: "MaxRecords",
    });
    return { Environments: page.items.map((e) => envShape(ctx, e)), NextToken: page.next };
  }),

  DescribeConfigurationSettings: read<DescribeConfigurationSettingsCommandInput>((ctx, input) => {
    if (!input.ApplicationName)
      throw ctx.err("MissingParameter", "The request must contain the parameter ApplicationName");
    if (!ctx.r.eb.applications.has(input.ApplicationName)) {
      throw ctx.err("InvalidParameterValue", `No Application named '${input.ApplicationName}' found.`);
    }
    const env = requireEnv(ctx, input.EnvironmentName, undefined, input.ApplicationName);
    const settings = [...env.options.entries()].map(([key, value]) => {
      const [Namespace, OptionName] = key.split("|");
      return {
        Namespace,
        OptionName,
        Value: value,
        ResourceName: Namespace === NS.launch ? "AWSEBAutoScalingLaunchConfiguration" : undefined,
      };
    });
    return {
      ConfigurationSettings: [
        {
          ApplicationName: env.application,
          EnvironmentName: env.name,
          PlatformArn: env.platformArn,
          DeploymentStatus: "deployed",
          DateCreated: new Date(env.createdAt),
          DateUpdated: new Date(env.updatedAt),
          OptionSettings: settings,
        },
      ],
    };
  }),

  UpdateEnvironment: write<UpdateEnvironmentCommandInput>((ctx, input) => {
    const env = requireEnv(ctx, input.EnvironmentName, input.EnvironmentId, input.ApplicationName);
    requireReady(ctx, env);
    const next = new Map(env.options);
    for (const s of input.OptionSettings ?? []) next.set(checkOption(ctx, env, s), s.Value ?? "");
    for (const s of input.OptionsToRemove ?? [])
      next.delete(optionKey(s.Namespace ?? "", s.OptionName ?? ""));
    let bytes = 0;
    for (const [key, value] of next)
      if (key.startsWith(`${NS.env}|`)) bytes += key.length - NS.env.length - 1 + value.length;
    if (bytes > PROPERTIES_MAX_BYTES) {
      throw ctx.err(
        "InvalidParameterValue",
        `Environment properties cannot exceed ${PROPERTIES_MAX_BYTES} bytes in total (names and values): ${bytes} requested.`,
      );
    }
    const replace = [`${NS.launch}|SecurityGroups`, `${NS.launch}|IamInstanceProfile`].some(
      (k) => (next.get(k) ?? "") !== (env.options.get(k) ?? ""),
    );
    // A coupled database's options start a stack update (see eb-coupled.ts); it may fail and roll back.
    const stackWork = prepareCoupledUpdate(ctx, env, env.options, next);
    const previous = env.options;
    env.options = next;
    env.status = "Updating";
    env.updatedAt = ctx.w.now();
    const epoch = ++env.epoch;
    event(ctx, env, "Environment update is starting.");
    event(ctx, env, `Updating environment ${env.name}'s configuration settings.`);
    if (replace) {
      event(
        ctx,
        env,
        "Rolling update initiated: instances are being replaced with new instances using the updated launch configuration (rolling replacement of instances).",
      );
    }
    for (const m of stackWork?.started ?? []) event(ctx, env, m);
    const ms = Math.max(replace ? EB_TIMES.rollingReplace : EB_TIMES.update, stackWork?.ms ?? 0);
    ctx.w.clock.schedule(ctx.w.now() + ms, () => {
      if (env.epoch !== epoch) return;
      const failure = stackWork?.finish() ?? null;
      if (failure) {
        // CloudFormation rolls the stack back; EB keeps the options it had and the application keeps its environment.
        env.options = previous;
        env.status = "Ready";
        env.updatedAt = ctx.w.now();
        event(ctx, env, failure, "ERROR");
        event(ctx, env, "Failed to deploy configuration.", "ERROR");
        return;
      }
      if (replace) env.instanceIds = env.instanceIds.map(() => `i-${ctx.w.hex(17)}`);
      // The configuration deployment (or the new instances' first one) fetches every secret anew.
      loadAppEnvironment(ctx.w, env);
      env.status = "Ready";
      env.updatedAt = ctx.w.now();
      event(
        ctx,
        env,
        env.app.errors.length > 0
          ? "Failed to deploy configuration."
          : "Environment update completed successfully.",
        env.app.errors.length > 0 ? "ERROR" : "INFO",
      );
    });
    return envShape(ctx, env);
  }),

  RestartAppServer: write<RestartAppServerCommandInput>((ctx, input) => {
    const env = requireEnv(ctx, input.EnvironmentName, input.EnvironmentId);
    requireReady(ctx, env);
    env.status = "Updating";
    env.updatedAt = ctx.w.now();
    const epoch = ++env.epoch;
    event(ctx, env, "restartAppServer is starting.");
    ctx.w.clock.schedule(ctx.w.now() + EB_TIMES.restartAppServer, () => {
      if (env.epoch !== epoch) return;
      // The application servers restart with the environment loaded anew, secrets fetched again.
      loadAppEnvironment(ctx.w, env);
      env.status = "Ready";
      env.updatedAt = ctx.w.now();
      event(
        ctx,
        env,
        env.app.errors.length > 0
          ? "restartAppServer failed: could not get environment secrets."
          : "restartAppServer completed successfully.",
        env.app.errors.length > 0 ? "ERROR" : "INFO",
      );
    });
    return {};
  }),

  DescribePlatformVersion: read<DescribePlatformVersionCommandInput>((ctx, input) => {
    const p = ctx.r.eb.platforms.get(input.PlatformArn ?? "");
    if (!p) throw ctx.err("InvalidParameterValue", `No Platform named '${input.PlatformArn}' found.`);
    return {
      PlatformDescription: {
        PlatformArn: p.arn,
        PlatformOwner: "AWSElasticBeanstalk",
        PlatformName: p.name,
        PlatformVersion: p.version,
        PlatformStatus: "Ready",
        DateCreated: new Date(p.createdAt),
        DateUpdated: new Date(p.createdAt),
        PlatformCategory: "Language",
        SolutionStackName: `64bit Amazon Linux 2023 v${p.version} running ${p.branch}`,
        OperatingSystemName: "Amazon Linux",
        OperatingSystemVersion: "2023",
        PlatformLifecycleState: p.lifecycle,
        PlatformBranchName: `${p.branch} running on 64bit Amazon Linux 2023`,
        PlatformBranchLifecycleState: "Supported",
        SupportedTierList: ["WebServer/Standard", "Worker/SQS/HTTP"],
      },
    };
  }),

  DescribeEnvironmentResources: read<DescribeEnvironmentResourcesCommandInput>((ctx, input) => {
    const env = requireEnv(ctx, input.EnvironmentName, input.EnvironmentId);
    return {
      EnvironmentResources: {
        EnvironmentName: env.name,
        AutoScalingGroups: [
          { Name: `awseb-${env.id}-stack-AWSEBAutoScalingGroup-${env.id.slice(2).toUpperCase()}` },
        ],
        Instances: env.instanceIds.map((Id) => ({ Id })),
        LaunchConfigurations: [],
        LaunchTemplates: [{ Id: `lt-${env.id.slice(2)}0000000` }],
        LoadBalancers: [{ Name: `awseb-${env.id}-stack-awsebloa-1` }],
        Triggers: [],
        Queues: [],
      },
    };
  }),

  DescribeEvents: read<DescribeEventsCommandInput>((ctx, input) => {
    const envs = [...ctx.r.eb.environments.values()].filter(
      (e) =>
        (!input.EnvironmentName || e.name === input.EnvironmentName) &&
        (!input.ApplicationName || e.application === input.ApplicationName),
    );
    const from = input.StartTime ? new Date(input.StartTime).getTime() : 0;
    const events = envs
      .flatMap((e) => e.events.map((ev) => ({ e, ev })))
      .filter(({ ev }) => ev.at >= from)
      // Severity: that level or higher.
      .filter(
        ({ ev }) => !input.Severity || SEVERITY.indexOf(ev.severity) >= SEVERITY.indexOf(input.Severity),
      )
      .sort((a, b) => b.ev.at - a.ev.at);
    const page = ctx.w.page("elasticbeanstalk", events, input.NextToken, input.MaxRecords, {
      min: 1,
      max: 1000,
      param: "MaxRecords",
    });
    return {
      Events: page.items.map(({ e, ev }) => ({
        EventDate: new Date(ev.at),
        Message: ev.message,
        ApplicationName: e.application,
        EnvironmentName: e.name,
        Severity: ev.severity as "INFO",
      })),
      NextToken: page.next,
    };
  }),
};

export { effectiveSecurityGroups };
