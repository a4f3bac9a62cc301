import type {
  AddTagsToResourceCommandInput,
  DescribeDBEngineVersionsCommandInput,
  DescribeOrderableDBInstanceOptionsCommandInput,
  ListTagsForResourceCommandInput,
  RemoveTagsFromResourceCommandInput,
} from "@aws-sdk/client-rds";
import { type Ctx, type Handlers, read, write } from "./kit.js";
import { ENGINES, INSTANCE_CLASSES, supportsPerformanceInsights } from "./rds-catalog.js";
import type { Tag } from "./state.js";
import { mergeTags } from "./world.js";

/** The tag list of the resource an RDS ARN names, with a setter; RDS's not-found error otherwise. */
function tagged(ctx: Ctx, arn: string | undefined): { tags: Tag[]; set(t: Tag[]): void } {
  const m = /^arn:aws:rds:([a-z0-9-]+):(\d{12}):(db|snapshot|pg|subgrp):(.+)$/.exec(arn ?? "");
  if (!m || m[1] !== ctx.region || m[2] !== ctx.w.accountId) {
    throw ctx.err("InvalidParameterValue", `Invalid resource name: ${arn}`);
  }
  const [, , , kind, name] = m;
  const rds = ctx.r.rds;
  const target =
    kind === "db"
      ? rds.instances.get(name)
      : kind === "snapshot"
        ? rds.snapshots.get(name)
        : kind === "pg"
          ? rds.parameterGroups.get(name)
          : rds.subnetGroups.get(name);
  if (!target) {
    const fault = {
      db: ["DBInstanceNotFoundFault", `DBInstance ${name} not found.`],
      snapshot: ["DBSnapshotNotFoundFault", `DBSnapshot ${name} not found.`],
      pg: ["DBParameterGroupNotFoundFault", `DBParameterGroup not found: ${name}`],
      subgrp: ["DBSubnetGroupNotFoundFault", `DBSubnetGroup '${name}' not found.`],
    }[kind] as [string, string];
    throw ctx.err(fault[0], fault[1], 404);
  }
  return {
    tags: target.tags,
    set: (t) => {
      target.tags = t;
    },
  };
}

export const rdsMiscHandlers: Handlers = {
  AddTagsToResource: write<AddTagsToResourceCommandInput>((ctx, input) => {
    const t = tagged(ctx, input.ResourceName);
    t.set(mergeTags(t.tags, input.Tags));
    return {};
  }),
  ListTagsForResource: read<ListTagsForResourceCommandInput>((ctx, input) => {
    return { TagList: tagged(ctx, input.ResourceName).tags.map((t) => ({ ...t })) };
  }),
  RemoveTagsFromResource: write<RemoveTagsFromResourceCommandInput>((ctx, input) => {
    const t = tagged(ctx, input.ResourceName);
    t.set(t.tags.filter((x) => !(input.TagKeys ?? []).includes(x.Key)));
    return {};
  }),

  DescribeDBEngineVersions: read<DescribeDBEngineVersionsCommandInput>((ctx, input) => {
    const rows = Object.entries(ENGINES)
      .filter(([e]) => !input.Engine || e === input.Engine)
      .flatMap(([engine, info]) =>
        info.versions
          .filter(
            (v) =>
              !input.EngineVersion || v === input.EngineVersion || v.startsWith(`${input.EngineVersion}.`),
          )
          .filter((v) => !input.DBParameterGroupFamily || info.family(v) === input.DBParameterGroupFamily)
          .filter((v, _i, all) => !input.DefaultOnly || v === all[all.length - 1])
          .map((v) => ({
            Engine: engine,
            EngineVersion: v,
            DBParameterGroupFamily: info.family(v),
            DBEngineDescription:
              engine === "postgres"
                ? "PostgreSQL"
                : engine === "mysql"
                  ? "MySQL Community Edition"
                  : "MariaDb Community Edition",
            DBEngineVersionDescription: `${engine} ${v}`,
            ValidUpgradeTarget: info.versions
              .filter((t) => t.localeCompare(v, undefined, { numeric: true }) > 0)
              .map((t) => ({
                Engine: engine,
                EngineVersion: t,
                IsMajorVersionUpgrade: info.family(t) !== info.family(v),
                AutoUpgrade: false,
              })),
            ExportableLogTypes:
              engine === "postgres" ? ["postgresql", "upgrade"] : ["audit", "error", "general", "slowquery"],
            SupportsLogExportsToCloudwatchLogs: true,
            SupportsReadReplica: true,
            SupportsCertificateRotationWithoutRestart: info.rotatesCertificateWithoutRestart(v),
            Status: "available",
          })),
      );
    const page = ctx.w.page("rds", rows, input.Marker, input.MaxRecords, {
      min: 20,
      max: 100,
      param: "MaxRecords",
    });
    return { DBEngineVersions: page.items, Marker: page.next };
  }),

  DescribeOrderableDBInstanceOptions: read<DescribeOrderableDBInstanceOptionsCommandInput>((ctx, input) => {
    const engine = input.Engine ?? "";
    const info = ENGINES[engine];
    if (!info) throw ctx.err("InvalidParameterValue", `Invalid DB engine: ${engine}`);
    const versions = input.EngineVersion
      ? info.versions.filter((v) => v === input.EngineVersion)
      : info.versions;
    const azs = ["a", "b", "c"].map((s) => ({ Name: `${ctx.region}${s}` }));
    const rows = versions.flatMap((v) =>
      INSTANCE_CLASSES.filter((c) => !input.DBInstanceClass || c === input.DBInstanceClass).flatMap((cls) =>
        ["gp2", "gp3", "io1", "io2"].map((st) => ({
          Engine: engine,
          EngineVersion: v,
          DBInstanceClass: cls,
          LicenseModel: engine === "postgres" ? "postgresql-license" : "general-public-license",
          AvailabilityZones: azs,
          MultiAZCapable: true,
          ReadReplicaCapable: true,
          Vpc: true,
          SupportsStorageEncryption: true,
          StorageType: st,
          SupportsIops: st !== "gp2",
          SupportsStorageThroughput: st === "gp3",
          SupportsPerformanceInsights: supportsPerformanceInsights(engine, cls),
          SupportsStorageAutoscaling: true,
          MinStorageSize: st.startsWith("io") ? 100 : 20,
          MaxStorageSize: 65536,
        })),
      ),
    );
    const page = ctx.w.page("rds", rows, input.Marker, input.MaxRecords, {
      min: 20,
      max: 1000,
      param: "MaxRecords",
    });
    return { OrderableDBInstanceOptions: page.items, Marker: page.next };
  }),
};
