import { describe, expect, it } from "vitest";
import { errors, resolveText, warnings } from "./helpers.js";

type Case = [
  values: Record<string, string>,
  expected: "ok" | { error: string | RegExp } | { warning: string | RegExp },
];

/** Each case: the keys set (beside the defaults) and what must come of it. */
function table(name: string, cases: Case[], key?: string) {
  describe(name, () => {
    it.each(cases.map(([values, expected]) => [JSON.stringify(values), values, expected] as const))(
      "%s",
      (_label, values, expected) => {
        const text = Object.entries(values)
          .map(([k, v]) => `${k}='${v}'`)
          .join("\n");
        const { problems } = resolveText(text);
        if (expected === "ok") {
          expect(errors(problems)).toEqual([]);
          return;
        }
        const [severity, pattern] =
          "error" in expected ? ["error", expected.error] : ["warning", expected.warning];
        const found = (severity === "error" ? errors(problems) : warnings(problems)).filter(
          (p) => key === undefined || Object.keys(values).includes(p.key ?? "") || p.key === key,
        );
        const text2 = found.map((p) => `${p.key}: ${p.message} / ${p.hint}`).join("\n");
        expect(text2).toMatch(pattern);
        for (const p of found) expect(p.hint, "every problem says how to fix it").toBeTruthy();
      },
    );
  });
}

table("engine and version", [
  [{ DB_ENGINE: "postgres", DB_ENGINE_VERSION: "16.4" }, "ok"],
  [{ DB_ENGINE: "postgres", DB_ENGINE_VERSION: "16" }, "ok"],
  [{ DB_ENGINE: "postgres", DB_ENGINE_VERSION: "17.2" }, "ok"],
  [{ DB_ENGINE: "mysql", DB_ENGINE_VERSION: "8.0.35" }, "ok"],
  [{ DB_ENGINE: "mysql", DB_ENGINE_VERSION: "8.4" }, "ok"],
  [{ DB_ENGINE: "mariadb", DB_ENGINE_VERSION: "10.11.6" }, "ok"],
  [{ DB_ENGINE: "mariadb" }, "ok"],
  [{ DB_ENGINE: "mysql" }, "ok"],
  [{ DB_ENGINE: "oracle" }, { error: /DB_ENGINE: "oracle" is not one of postgres, mysql, mariadb/ }],
  [{ DB_ENGINE: "postgresql" }, { error: /Did you mean postgres/ }],
  [{ DB_ENGINE: "Postgres" }, { error: /Did you mean postgres/ }],
  [{ DB_ENGINE: "postgres", DB_ENGINE_VERSION: "8.0.35" }, { error: /not a PostgreSQL version/ }],
  [{ DB_ENGINE: "postgres", DB_ENGINE_VERSION: "9.6" }, { error: /not a version line RDS offers/ }],
  [{ DB_ENGINE: "postgres", DB_ENGINE_VERSION: "16.0" }, { error: /does not exist on RDS/ }],
  [{ DB_ENGINE: "postgres", DB_ENGINE_VERSION: "16.99" }, { warning: /newer than the versions ebdb knows/ }],
  [{ DB_ENGINE: "postgres", DB_ENGINE_VERSION: "12.22" }, { warning: /Extended Support/ }],
  [{ DB_ENGINE: "mysql", DB_ENGINE_VERSION: "16.4" }, { error: /not a version line RDS offers/ }],
  [{ DB_ENGINE: "mysql", DB_ENGINE_VERSION: "8" }, { error: /not a MySQL version/ }],
  [{ DB_ENGINE: "mysql", DB_ENGINE_VERSION: "5.6.51" }, { error: /not a version line/ }],
  [{ DB_ENGINE: "mysql", DB_ENGINE_VERSION: "8.0.035" }, { error: /not a MySQL version/ }],
  [{ DB_ENGINE: "mysql", DB_ENGINE_VERSION: "" }, "ok"],
]);

table("instance classes", [
  [{ DB_INSTANCE_CLASS: "db.t3.micro" }, "ok"],
  [{ DB_INSTANCE_CLASS: "db.t4g.micro" }, "ok"],
  [{ DB_INSTANCE_CLASS: "db.r5.2xlarge" }, "ok"],
  [{ DB_INSTANCE_CLASS: "db.m5.xlarge" }, "ok"],
  [{ DB_INSTANCE_CLASS: "db.x2iedn.xlarge" }, { warning: /not in ebdb's catalog/ }],
  [{ DB_INSTANCE_CLASS: "db.t3.mirco" }, { error: /not an instance class.*\n?.*db\.t3\.micro/ }],
  [{ DB_INSTANCE_CLASS: "t3.micro" }, { error: /not an instance class/ }],
  [{ DB_INSTANCE_CLASS: "db.t3" }, { error: /not an instance class/ }],
  [{ DB_READ_REPLICA_INSTANCE_CLASS: "db.m5.hugе" }, { error: /not an instance class/ }],
  [
    { DB_ENGINE: "mysql", DB_INSTANCE_CLASS: "db.t3.small" },
    { warning: /no Performance Insights on db.t3.small/ },
  ],
  [
    { DB_ENGINE: "mysql", DB_INSTANCE_CLASS: "db.t3.small", DB_PERFORMANCE_INSIGHTS_ENABLED: "true" },
    { error: /no Performance Insights/ },
  ],
  [{ DB_ENGINE: "mysql", DB_INSTANCE_CLASS: "db.t3.small", DB_PERFORMANCE_INSIGHTS_ENABLED: "false" }, "ok"],
]);

table("storage", [
  [{ DB_ALLOCATED_STORAGE: "20" }, "ok"],
  [{ DB_ALLOCATED_STORAGE: "19" }, { error: /between 20 and 65536/ }],
  [
    { DB_ALLOCATED_STORAGE: "65537", DB_STORAGE_AUTOSCALING_ENABLED: "false" },
    { error: /between 20 and 65536/ },
  ],
  [{ DB_ALLOCATED_STORAGE: "20GB" }, { error: /not a whole number.*\/ .*plainly.*20/ }],
  [{ DB_ALLOCATED_STORAGE: "1,000" }, { error: /1000/ }],
  [{ DB_ALLOCATED_STORAGE: "020" }, { error: /not a whole number/ }],
  [{ DB_ALLOCATED_STORAGE: "20.5" }, { error: /without a decimal point/ }],
  [{ DB_STORAGE_TYPE: "gp4" }, { error: /not one of gp3, gp2, io1, io2/ }],
  [
    { DB_STORAGE_TYPE: "io1", DB_ALLOCATED_STORAGE: "100", DB_MAX_ALLOCATED_STORAGE: "200", DB_IOPS: "1000" },
    "ok",
  ],
  [{ DB_STORAGE_TYPE: "io1", DB_ALLOCATED_STORAGE: "100", DB_IOPS: "1000" }, { error: /below 110%/ }],
  [{ DB_STORAGE_TYPE: "io1", DB_ALLOCATED_STORAGE: "50", DB_IOPS: "1000" }, { error: /too small for io1/ }],
  [{ DB_STORAGE_TYPE: "io1", DB_ALLOCATED_STORAGE: "100" }, { error: /needs provisioned IOPS/ }],
  [
    { DB_STORAGE_TYPE: "io1", DB_ALLOCATED_STORAGE: "100", DB_IOPS: "6000" },
    { error: /60 IOPS per GiB; io1 allows 0.5-50/ },
  ],
  [
    {
      DB_STORAGE_TYPE: "io1",
      DB_ALLOCATED_STORAGE: "100",
      DB_STORAGE_AUTOSCALING_ENABLED: "false",
      DB_IOPS: "5000",
    },
    "ok",
  ],
  [
    { DB_STORAGE_TYPE: "io1", DB_ALLOCATED_STORAGE: "100", DB_IOPS: "500" },
    { error: /out of range for io1/ },
  ],
  [
    {
      DB_STORAGE_TYPE: "io2",
      DB_ALLOCATED_STORAGE: "100",
      DB_MAX_ALLOCATED_STORAGE: "110",
      DB_IOPS: "64000",
    },
    "ok",
  ],
  [
    { DB_STORAGE_TYPE: "io2", DB_ALLOCATED_STORAGE: "100", DB_IOPS: "3000", DB_STORAGE_THROUGHPUT: "500" },
    { error: /no configurable throughput/ },
  ],
  [{ DB_STORAGE_TYPE: "gp2", DB_IOPS: "3000" }, { error: /gp2 storage has no provisioned IOPS/ }],
  [{ DB_STORAGE_TYPE: "gp3", DB_IOPS: "12000" }, { error: /IOPS can be set only from 400 GiB/ }],
  [
    { DB_STORAGE_TYPE: "gp3", DB_STORAGE_THROUGHPUT: "500" },
    { error: /throughput can be set only from 400 GiB/ },
  ],
  [
    {
      DB_ALLOCATED_STORAGE: "400",
      DB_MAX_ALLOCATED_STORAGE: "1000",
      DB_IOPS: "12000",
      DB_STORAGE_THROUGHPUT: "500",
    },
    "ok",
  ],
  [
    {
      DB_ALLOCATED_STORAGE: "400",
      DB_MAX_ALLOCATED_STORAGE: "1000",
      DB_IOPS: "16000",
      DB_STORAGE_THROUGHPUT: "4000",
    },
    "ok",
  ],
  [
    { DB_ALLOCATED_STORAGE: "400", DB_MAX_ALLOCATED_STORAGE: "1000", DB_IOPS: "11000" },
    { error: /out of range for gp3/ },
  ],
  [
    { DB_ALLOCATED_STORAGE: "400", DB_MAX_ALLOCATED_STORAGE: "1000", DB_IOPS: "70000" },
    { error: /out of range for gp3/ },
  ],
  [
    { DB_ALLOCATED_STORAGE: "400", DB_MAX_ALLOCATED_STORAGE: "1000", DB_STORAGE_THROUGHPUT: "4001" },
    { error: /out of range for gp3/ },
  ],
  [
    { DB_ALLOCATED_STORAGE: "400", DB_MAX_ALLOCATED_STORAGE: "1000", DB_STORAGE_THROUGHPUT: "4000" },
    { error: /more than 0.25 MiB\/s per IOPS.*\n?.*16000/ },
  ],
  [
    {
      DB_ALLOCATED_STORAGE: "400",
      DB_MAX_ALLOCATED_STORAGE: "1000",
      DB_IOPS: "12000",
      DB_STORAGE_THROUGHPUT: "3001",
    },
    { error: /0.25/ },
  ],
  [{ DB_ALLOCATED_STORAGE: "100", DB_MAX_ALLOCATED_STORAGE: "110" }, "ok"],
  [{ DB_ALLOCATED_STORAGE: "101", DB_MAX_ALLOCATED_STORAGE: "111" }, { error: /below 110%.*\n?.*112/ }],
  [
    { DB_ALLOCATED_STORAGE: "100", DB_MAX_ALLOCATED_STORAGE: "109" },
    { error: /below 110% of DB_ALLOCATED_STORAGE/ },
  ],
  [
    { DB_ALLOCATED_STORAGE: "200" },
    { error: /DB_ALLOCATED_STORAGE: DB_MAX_ALLOCATED_STORAGE \(100 GiB\) is below 110%.*\n?.*220/ },
  ],
  [{ DB_ALLOCATED_STORAGE: "200", DB_STORAGE_AUTOSCALING_ENABLED: "false" }, "ok"],
  [{ DB_STORAGE_ENCRYPTED: "false", DB_KMS_KEY_ID: "alias/mine" }, { error: /encryption is off/ }],
  [{ DB_KMS_KEY_ID: "alias/mine" }, "ok"],
  [{ DB_KMS_KEY_ID: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" }, "ok"],
  [{ DB_KMS_KEY_ID: "1234abcd-12ab-34cd-56ef-1234567890ab" }, "ok"],
  [{ DB_KMS_KEY_ID: "my key" }, { error: /not a KMS key/ }],
]);

table("backups and windows", [
  [{ DB_BACKUP_RETENTION_DAYS: "35" }, "ok"],
  [{ DB_BACKUP_RETENTION_DAYS: "36" }, { error: /between 0 and 35/ }],
  [{ DB_BACKUP_RETENTION_DAYS: "-1" }, { error: /between 0 and 35/ }],
  [{ DB_BACKUP_RETENTION_DAYS: "0" }, { warning: /point-in-time restore and read replicas/ }],
  [
    { DB_BACKUP_RETENTION_DAYS: "0", DB_READ_REPLICA_ENABLED: "true" },
    { error: /read replicas need automated backups/ },
  ],
  [{ DB_BACKUP_WINDOW: "23:45-00:15" }, "ok"],
  [{ DB_BACKUP_WINDOW: "03:00-03:29" }, { error: /29 minutes long; RDS needs at least 30/ }],
  [{ DB_BACKUP_WINDOW: "03:00-03:00" }, { error: /empty/ }],
  [{ DB_BACKUP_WINDOW: "3:00-4:00" }, { error: /hh:mm-hh:mm.*\n?.*03:00-04:00/ }],
  [{ DB_BACKUP_WINDOW: "24:00-01:00" }, { error: /does not exist/ }],
  [{ DB_BACKUP_WINDOW: "03:00 - 04:00" }, { error: /03:00-04:00/ }],
  [{ DB_MAINTENANCE_WINDOW: "Mon:01:00-Mon:02:00" }, "ok"],
  [{ DB_MAINTENANCE_WINDOW: "sat:23:30-sun:00:30" }, "ok"],
  [{ DB_MAINTENANCE_WINDOW: "sun:23:50-mon:00:10" }, { error: /20 minutes long/ }],
  [{ DB_MAINTENANCE_WINDOW: "sun:04:30" }, { error: /ddd:hh:mm-ddd:hh:mm/ }],
  [{ DB_MAINTENANCE_WINDOW: "sunday:04:30-sunday:05:30" }, { error: /ddd:hh:mm-ddd:hh:mm/ }],
  [{ DB_MAINTENANCE_WINDOW: "xyz:04:30-xyz:05:30" }, { error: /not one of mon/ }],
  [{ DB_MAINTENANCE_WINDOW: "sun:03:30-sun:04:30" }, { error: /overlaps the weekly maintenance window/ }],
  [{ DB_MAINTENANCE_WINDOW: "wed:03:59-wed:05:00" }, { error: /overlaps/ }],
  [{ DB_MAINTENANCE_WINDOW: "wed:04:00-wed:05:00" }, "ok"],
  // Crossing midnight: the backup window 23:30-00:30 meets a Monday 00:00 maintenance window.
  [{ DB_BACKUP_WINDOW: "23:30-00:30", DB_MAINTENANCE_WINDOW: "mon:00:00-mon:01:00" }, { error: /overlaps/ }],
  [{ DB_BACKUP_WINDOW: "23:30-00:30", DB_MAINTENANCE_WINDOW: "mon:00:30-mon:01:30" }, "ok"],
  // Crossing the week's end: Sunday 23:00 to Monday 01:00 meets the 00:00-00:30 backup.
  [{ DB_BACKUP_WINDOW: "00:00-00:30", DB_MAINTENANCE_WINDOW: "sun:23:00-mon:01:00" }, { error: /overlaps/ }],
  [{ DB_BACKUP_WINDOW: "01:00-01:30", DB_MAINTENANCE_WINDOW: "sun:23:00-mon:01:00" }, "ok"],
]);

table("password", [
  [{ DB_MASTER_PASSWORD: "" }, "ok"],
  [{ DB_MASTER_PASSWORD: "YourSecurePassword123!" }, "ok"],
  [{ DB_MASTER_PASSWORD: "Ab1!xyz" }, { error: /7 characters long; RDS for PostgreSQL needs 8-128/ }],
  [{ DB_MASTER_PASSWORD: `Ab1!${"x".repeat(125)}` }, { error: /129 characters long/ }],
  [
    { DB_ENGINE: "mysql", DB_MASTER_PASSWORD: `Ab1!${"x".repeat(38)}` },
    { error: /42 characters long; RDS for MySQL needs 8-41/ },
  ],
  [{ DB_ENGINE: "mariadb", DB_MASTER_PASSWORD: `Ab1!${"x".repeat(37)}` }, "ok"],
  [{ DB_MASTER_PASSWORD: "Abc123!/xyz" }, { error: /does not accept.*: \// }],
  [{ DB_MASTER_PASSWORD: "Abc123!@xyz" }, { error: /: @/ }],
  [{ DB_MASTER_PASSWORD: "Abc123! xyz" }, { error: /space/ }],
  [{ DB_MASTER_PASSWORD: "Abc123!éxyz" }, { error: /outside printable ASCII/ }],
  [{ DB_MASTER_PASSWORD: "abcdefgh" }, { warning: /weak: it lacks an upper-case letter, a digit, a symbol/ }],
  [{ DB_MASTER_PASSWORD: "Abcdefg1" }, { warning: /weak: it lacks a symbol \// }],
]);

table("replicas", [
  [{ DB_READ_REPLICA_ENABLED: "true", DB_READ_REPLICA_COUNT: "0", DB_READ_REPLICA_MIN_CAPACITY: "0" }, "ok"],
  [
    { DB_READ_REPLICA_ENABLED: "true", DB_READ_REPLICA_COUNT: "15", DB_READ_REPLICA_MAX_CAPACITY: "15" },
    "ok",
  ],
  [{ DB_READ_REPLICA_ENABLED: "true", DB_READ_REPLICA_MAX_CAPACITY: "16" }, { error: /between 0 and 15/ }],
  [
    { DB_READ_REPLICA_ENABLED: "true", DB_READ_REPLICA_COUNT: "4" },
    { error: /above the maximum capacity \(3\)/ },
  ],
  [
    { DB_READ_REPLICA_ENABLED: "true", DB_READ_REPLICA_MIN_CAPACITY: "2" },
    { error: /below the minimum capacity \(2\)/ },
  ],
  [
    { DB_READ_REPLICA_ENABLED: "true", DB_READ_REPLICA_MIN_CAPACITY: "4", DB_READ_REPLICA_COUNT: "4" },
    { error: /minimum \(4\) is above the maximum \(3\)/ },
  ],
  [{ DB_READ_REPLICA_ENABLED: "true", DB_READ_REPLICA_TARGET_CPU: "0" }, { error: /between 1 and 100/ }],
  [{ DB_READ_REPLICA_ENABLED: "true", DB_READ_REPLICA_TARGET_CPU: "101" }, { error: /between 1 and 100/ }],
  [{ DB_READ_REPLICA_ENABLED: "true", DB_READ_REPLICA_TARGET_CPU: "70%" }, { error: /not a whole number/ }],
  [{ DB_READ_REPLICA_ENABLED: "true", DB_READ_REPLICA_SCALE_IN_COOLDOWN: "0" }, "ok"],
  [{ DB_READ_REPLICA_ENABLED: "true", DB_READ_REPLICA_SCALE_IN_COOLDOWN: "-5" }, { error: /at least 0/ }],
  [
    { DB_READ_REPLICA_ENABLED: "true", DB_READ_REPLICA_SCALE_OUT_COOLDOWN: "1.5" },
    { error: /not a whole number/ },
  ],
  [{ DB_READ_REPLICA_ENABLED: "true", DB_READ_REPLICA_SCALE_OUT_COOLDOWN: "60s" }, { error: /60/ }],
  [{ DB_READ_REPLICA_COUNT: "2" }, { warning: /ignored: read replicas are off/ }],
  [
    { DB_READ_REPLICA_ENABLED: "false", DB_READ_REPLICA_COUNT: "2" },
    {
      warning:
        /^DB_READ_REPLICA_COUNT: DB_READ_REPLICA_COUNT=2 has no effect: DB_READ_REPLICA_ENABLED is false, so no read replica runs \/ Set DB_READ_REPLICA_ENABLED="true" to run 2 replica\(s\), or remove that line/,
    },
  ],
  [
    { DB_READ_REPLICA_ENABLED: "false", DB_READ_REPLICA_MAX_CAPACITY: "5", DB_READ_REPLICA_TARGET_CPU: "50" },
    { warning: /DB_READ_REPLICA_MAX_CAPACITY=5, DB_READ_REPLICA_TARGET_CPU=50 have no effect/ },
  ],
  [
    { DB_READ_REPLICA_ENABLED: "false", DB_READ_REPLICA_INSTANCE_CLASS: "db.r5.large" },
    { warning: /DB_READ_REPLICA_INSTANCE_CLASS="db.r5.large" has no effect/ },
  ],
]);

table("booleans", [
  [{ DB_MULTI_AZ: "TRUE" }, "ok"],
  [{ DB_MULTI_AZ: "False" }, "ok"],
  [{ DB_MULTI_AZ: "yes" }, { error: /not a boolean.*\n?.*Write true/ }],
  [{ DB_MULTI_AZ: "0" }, { error: /Write false/ }],
  [{ DB_STORAGE_ENCRYPTED: "on" }, { error: /Write true/ }],
  [{ DB_DELETION_PROTECTION: "maybe" }, { error: /Write true or false/ }],
  [{ DB_MULTI_AZ: "" }, { error: /is empty/ }],
]);

table("names", [
  [{ APP_NAME: "shop", ENV_NAME: "staging" }, "ok"],
  [{ APP_NAME: "Shop" }, { error: /upper-case/ }],
  [{ APP_NAME: "my_app" }, { error: /lower-case letters, digits and hyphens.*\n?.*my-app/ }],
  [{ APP_NAME: "1app" }, { error: /start with a letter/ }],
  [{ APP_NAME: "my--app" }, { error: /two hyphens/ }],
  [{ APP_NAME: "a".repeat(41) }, { error: /41 characters/ }],
  [{ APP_NAME: "a".repeat(40) }, { error: /EB_ENVIRONMENT_NAME/ }],
  [
    { APP_NAME: "a".repeat(40), ENV_NAME: "production-x", EB_ENVIRONMENT_NAME: "shop-prod" },
    { warning: /replica names/ },
  ],
  [{ DB_INSTANCE_IDENTIFIER: "my-db" }, "ok"],
  [{ DB_INSTANCE_IDENTIFIER: "My-DB" }, { error: /"my-db"/ }],
  [{ DB_INSTANCE_IDENTIFIER: "my-db-" }, { error: /ends with a hyphen/ }],
  [{ DB_INSTANCE_IDENTIFIER: "a".repeat(64) }, { error: /64 characters long; RDS allows 63/ }],
  [{ DB_INSTANCE_IDENTIFIER: "a".repeat(53) }, { warning: /replica names/ }],
  [{ DB_INSTANCE_IDENTIFIER: "a".repeat(53), DB_READ_REPLICA_ENABLED: "true" }, "ok"],
  [
    { DB_INSTANCE_IDENTIFIER: "a".repeat(54), DB_READ_REPLICA_ENABLED: "true" },
    { warning: /no room for replica names .*ebdb names them "a+-rep/ },
  ],
  [{ DB_SUBNET_GROUP_NAME: "awseb-e-abc-stack-awsebrdsdbsubnetgroup-x1" }, "ok"],
  [{ DB_SUBNET_GROUP_NAME: "default" }, { error: /not a DB subnet group name/ }],
  [{ DB_SUBNET_GROUP_NAME: "a/b" }, { error: /not a DB subnet group name/ }],
  [{ DB_SECURITY_GROUP_NAME: "awseb-e-abc-stack-AWSEBRDSDBSecurityGroup-X1" }, "ok"],
  [{ DB_SECURITY_GROUP_NAME: "sg-0123456789abcdef0" }, { error: /not a security group name/ }],
  [{ EB_ENVIRONMENT_NAME: "abc" }, { error: /not an Elastic Beanstalk environment name/ }],
  [{ EB_APPLICATION_NAME: "a/b" }, { error: /not an Elastic Beanstalk application name/ }],
  [{ AWS_REGION: "eu-west-3" }, "ok"],
  [{ AWS_REGION: "us-gov-west-1" }, "ok"],
  [{ AWS_REGION: "us-east1" }, { error: /us-east-1/ }],
  [{ AWS_REGION: "US-EAST-1" }, { error: /us-east-1/ }],
  [{ AWS_PROFILE: "my profile" }, { error: /white space/ }],
  [{ DB_NAME: "app_db" }, "ok"],
  [{ DB_NAME: "1db" }, { error: /start with a letter/ }],
  [{ DB_NAME: "my-db" }, { error: /letters, digits and underscores/ }],
  [{ DB_NAME: "select" }, { error: /reserved word in PostgreSQL/ }],
  [{ DB_NAME: "template1" }, { error: /keeps for itself/ }],
  [{ DB_ENGINE: "mysql", DB_NAME: "mysql" }, { error: /keeps for itself/ }],
  [{ DB_NAME: "a".repeat(64) }, { error: /64 characters long/ }],
  [{ DB_ENGINE: "mysql", DB_NAME: "a".repeat(64) }, "ok"],
  [{ DB_MASTER_USERNAME: "rdsadmin" }, { error: /reserved by RDS/ }],
  [{ DB_MASTER_USERNAME: "pg_admin" }, { error: /pg_/ }],
  [{ DB_MASTER_USERNAME: "user" }, { error: /reserved word/ }],
  [{ DB_ENGINE: "mysql", DB_MASTER_USERNAME: "a".repeat(33) }, { error: /33 characters long; at most 32/ }],
  [{ DB_ENGINE: "postgres", DB_MASTER_USERNAME: "a".repeat(33) }, "ok"],
]);

table("ports, monitoring, access", [
  [{ DB_PORT: "5433" }, "ok"],
  [{ DB_PORT: "1149" }, { error: /between 1150 and 65535/ }],
  [{ DB_PORT: "65536" }, { error: /between 1150 and 65535/ }],
  [{ DB_PERFORMANCE_INSIGHTS_RETENTION: "731" }, "ok"],
  [{ DB_PERFORMANCE_INSIGHTS_RETENTION: "62" }, "ok"],
  [{ DB_PERFORMANCE_INSIGHTS_RETENTION: "713" }, "ok"],
  [{ DB_PERFORMANCE_INSIGHTS_RETENTION: "30" }, { error: /not a retention.*\n?.*31/ }],
  [{ DB_PERFORMANCE_INSIGHTS_RETENTION: "744" }, { error: /between 7 and 731/ }],
  [{ DB_SLOW_QUERY_MS: "-1" }, "ok"],
  [{ DB_SLOW_QUERY_MS: "0" }, "ok"],
  [{ DB_SLOW_QUERY_MS: "-2" }, { error: /between -1/ }],
  [{ DB_ALARM_EMAIL: "ops@example.com" }, "ok"],
  [{ DB_ALARM_EMAIL: "ops" }, { error: /not an e-mail address/ }],
  [{ DB_ALARMS_ENABLED: "false" }, "ok"],
  [{ DB_ALARMS_ENABLED: "no" }, { error: /not a boolean/ }],
  [{ DB_PARAMETER_GROUP_NAME: "default.postgres16" }, "ok"],
  [{ DB_PARAMETER_GROUP_NAME: "orders-pg16" }, "ok"],
  [{ DB_PARAMETER_GROUP_NAME: "orders--pg" }, { error: /not a DB parameter group name/ }],
  [{ DB_PARAMETER_GROUP_NAME: "1group" }, { error: /not a DB parameter group name/ }],
  [
    { DB_PARAMETER_GROUP_NAME: "orders-pg16", DB_SLOW_QUERY_MS: "500" },
    { error: /DB_SLOW_QUERY_MS is applied through ebdb's own parameter group.*"orders-pg16"/ },
  ],
  [{ DB_CLOUDWATCH_LOGS_EXPORTS: "none" }, "ok"],
  [{ DB_CLOUDWATCH_LOGS_EXPORTS: "postgresql" }, "ok"],
  [
    { DB_CLOUDWATCH_LOGS_EXPORTS: "postgresql,slowquery" },
    { error: /"slowquery" is not a log type RDS publishes for postgres/ },
  ],
  [{ DB_ENGINE: "mysql", DB_CLOUDWATCH_LOGS_EXPORTS: "error,general" }, "ok"],
  [{ DB_ACCESS_MODE: "eb-sg" }, "ok"],
  [{ DB_ACCESS_MODE: "cidr" }, { error: /client-sg, eb-sg/ }],
  [{ DB_RDS_PROXY_ENABLED: "true" }, "ok"],
  [{ DB_LOCAL_PORT: "15432" }, "ok"],
  [{ DB_LOCAL_PORT: "80" }, { error: /between 1024 and 65535/ }],
  [{ DB_LOCAL_PORT: "65535", DB_READ_REPLICA_ENABLED: "true" }, { error: /no port for 3 replicas/ }],
]);

table("unknown keys", [
  [{ DB_BACKUP_RETENTION_DAY: "7" }, { error: /unknown key; did you mean DB_BACKUP_RETENTION_DAYS\?/ }],
  [{ DB_ENGNIE: "postgres" }, { error: /did you mean DB_ENGINE\?/ }],
  [{ db_engine: "postgres" }, { error: /did you mean DB_ENGINE\?/ }],
  [{ DB_PASSWORD: "x" }, { error: /did you mean DB_MASTER_PASSWORD\?/ }],
  [{ AWS_DEFAULT_REGION: "us-east-1" }, { error: /did you mean AWS_REGION\?/ }],
  [{ EBDB_TARGET: "aws" }, { error: /not read from config.env.*\n?.*--target/ }],
  [{ SOMETHING_ELSE: "x" }, { error: /^SOMETHING_ELSE: unknown key \// }],
]);

describe("what the messages say", () => {
  it("reports a problem of a derived identifier on the line of a key it comes from", () => {
    const { problems } = resolveText(
      `ENV_NAME="production-x"\nAPP_NAME="${"a".repeat(40)}"\nEB_ENVIRONMENT_NAME="x-prod"`,
    );
    const p = warnings(problems).find((x) => x.message.includes("replica names"));
    expect(p).toMatchObject({ key: "APP_NAME", line: 2 });
    expect(p?.message).toContain("derived");
  });

  it("ignores keys only in the process environment", () => {
    // resolveConfig sees only the file's entries; the environment cannot configure ebdb.
    const { config } = resolveText("");
    expect(config?.engine).toBe("postgres");
  });
});
