import { RDS_CA_CERTIFICATE } from "../../model/desired.js";
import { daysBetween } from "../format.js";
import type { HealthObservation, Step } from "../observation.js";
import { LIMITS } from "../thresholds.js";
import { type Check, graded, green, red, skipped, type Verdict, yellow } from "./common.js";

const TRANSITIONAL =
  /^(creating|modifying|backing-up|rebooting|starting|stopping|upgrading|maintenance|configuring|renaming|resetting|storage-optimization|moving|converting)/;

function instanceStatus(o: HealthObservation): Verdict {
  const { name, state, serving } = o.instance;
  const observed = { instance: name, state };
  if (serving) return green(`${name} is ${state}`, observed);
  if (o.target === "local")
    return red(
      `${name} is ${state}`,
      observed,
      "Run `ebdb up`: it starts the stopped servers and finishes what was left half-made.",
    );
  if (state === "stopped" || state === "stopping")
    return red(
      `${name} is ${state}: it serves no connections`,
      observed,
      `Start it: aws rds start-db-instance --db-instance-identifier ${name} (RDS starts a stopped instance by itself after 7 days).`,
    );
  if (state === "storage-full")
    return red(
      `${name} is storage-full: it accepts no writes`,
      observed,
      "Grow the storage: `ebdb scale --storage <GiB> --apply-immediately`.",
    );
  if (TRANSITIONAL.test(state))
    return yellow(`${name} is ${state}`, observed, "Wait for it to be available (`ebdb status`).");
  return red(
    `${name} is ${state}`,
    observed,
    "See the instance's events: aws rds describe-events --source-type db-instance --source-identifier " +
      name,
  );
}

function step(s: Step, fix: string): Verdict {
  if (s.ok === null) return skipped(s.detail);
  return s.ok ? green(s.detail) : red(s.detail, {}, fix);
}

function certificate(o: HealthObservation): Verdict {
  const c = o.certificate;
  if (!c)
    return skipped(
      o.connectivity.tls.ok === false ? "no TLS connection" : "the certificate could not be read",
    );
  const now = o.at;
  // The CA first: when both end together (a server certificate ends with its CA), the CA is the cause.
  const dates = [
    { what: `the CA${c.ca ? ` ${c.ca}` : ""}`, at: c.caNotAfter },
    { what: "the server certificate", at: c.notAfter },
  ].filter((d): d is { what: string; at: string } => d.at !== null);
  if (dates.length === 0) return skipped("no expiry date was readable");
  const first = dates.reduce((a, b) => (Date.parse(b.at) < Date.parse(a.at) ? b : a));
  const days = Math.floor(daysBetween(now, first.at));
  const observed = { serverNotAfter: c.notAfter, ca: c.ca, caNotAfter: c.caNotAfter, daysLeft: days };
  const level = days < LIMITS.certDaysRed ? "red" : days < LIMITS.certDaysYellow ? "yellow" : "green";
  const when =
    days < 0
      ? `expired ${Math.floor(-daysBetween(now, first.at))} day(s) ago`
      : `expires in ${days} day(s), ${first.at.slice(0, 10)}`;
  const fix =
    o.target === "local"
      ? "Run `ebdb up`: it issues new certificates from the project CA (and a new CA when it expires); applications re-read ca.crt."
      : first.what.startsWith("the CA") || (c.ca !== null && c.ca !== RDS_CA_CERTIFICATE)
        ? `Move the instance to ${RDS_CA_CERTIFICATE}, the CA ebdb pins (valid until 2061): \`ebdb up --target aws --apply-immediately\` (RDS restarts the instance to load it unless its engine version rotates certificates without one); the EB instances trust it through \`ebdb eb-files\`.`
        : `RDS renews the server certificate of the CA it uses; if it does not, rotate it: aws rds modify-db-instance --db-instance-identifier ${o.instance.name} --ca-certificate-identifier ${c.ca ?? "rds-ca-rsa2048-g1"} --apply-immediately.`;
  return graded(level, `${first.what} ${when}`, observed, fix);
}

function networkPath(o: HealthObservation): Verdict {
  const n = o.network;
  if (!n)
    return skipped(
      "local: the servers listen on 127.0.0.1 and applications on this machine reach them directly",
    );
  const observed = { ...n };
  const src = `${n.source.name}${n.source.id ? ` (${n.source.id})` : ""}`;
  const db = `${n.dbGroup.name}${n.dbGroup.id ? ` (${n.dbGroup.id})` : ""}`;
  if (n.ebVpc && n.dbVpc && n.ebVpc !== n.dbVpc)
    return red(
      `the EB instances are in ${n.ebVpc} and the database in ${n.dbVpc}: no security-group rule can join them`,
      observed,
      "Put both in one VPC: the EB environment's aws:ec2:vpc VPCId and the database's subnet group (`ebdb up` makes the subnet group in the environment's VPC).",
    );
  if (!n.dbGroup.id)
    return red(
      `the database security group ${n.dbGroup.name} does not exist`,
      observed,
      "Run `ebdb up --target aws`: it makes the group and its rule.",
    );
  if (!n.source.id)
    return red(
      `the security group the database admits, ${n.source.name}, does not exist`,
      observed,
      "Run `ebdb up --target aws`: it makes it and attaches it to the EB environment.",
    );
  if (!n.dbGroup.attached)
    return red(
      `the database instance does not use ${db}`,
      observed,
      `Run \`ebdb up --target aws\`, or: aws rds modify-db-instance --db-instance-identifier ${o.instance.name} --vpc-security-group-ids ${n.dbGroup.id} --apply-immediately`,
    );
  if (!n.dbGroup.admitsSource)
    return red(
      `${db} has no inbound rule for TCP ${n.port} from ${src}: the EB instances cannot connect`,
      {
        ...observed,
        missingRule: { groupId: n.dbGroup.id, protocol: "tcp", port: n.port, sourceGroupId: n.source.id },
      },
      `Run \`ebdb up --target aws\`, or: aws ec2 authorize-security-group-ingress --group-id ${n.dbGroup.id} --protocol tcp --port ${n.port} --source-group ${n.source.id}`,
    );
  if (!n.source.attachedToEb)
    return red(
      `the EB instances do not have ${src}, the group ${db} admits`,
      observed,
      "Run `ebdb up --target aws`: it adds the group to the environment's aws:autoscaling:launchconfiguration SecurityGroups.",
    );
  return green(`EB instances (${src}) → ${db} on TCP ${n.port}, one VPC`, observed);
}

export const CONNECTIVITY_CHECKS: Check[] = [
  { id: "instance-status", title: "Instance status", run: instanceStatus },
  {
    id: "dns",
    title: "DNS",
    run: (o) =>
      step(
        o.connectivity.dns,
        "Check the endpoint: `ebdb status` shows the instance's address (a deleted or renamed instance's endpoint stops resolving).",
      ),
  },
  {
    id: "tcp",
    title: "TCP",
    run: (o) =>
      step(
        o.connectivity.tcp,
        o.target === "local"
          ? "The server is not listening: run `ebdb up` (and `ebdb logs` to see why it stopped)."
          : "See the network-path check; from outside the VPC the database is not reachable by design.",
      ),
  },
  {
    id: "tls",
    title: "TLS",
    run: (o) =>
      step(
        o.connectivity.tls,
        o.target === "local"
          ? "Run `ebdb up`: it puts back the project's certificates; applications verify against .ebdb/<identifier>/ca.crt."
          : "Applications verify against the RDS CA bundle: `ebdb eb-files` puts it on the EB instances.",
      ),
  },
  { id: "certificate", title: "Certificate expiry", run: certificate },
  {
    id: "authentication",
    title: "Authentication",
    run: (o) =>
      step(
        o.connectivity.auth,
        o.target === "local"
          ? "The master password no longer matches: set DB_MASTER_PASSWORD (or leave it empty for the stored one) and run `ebdb up`, which sets it on the server."
          : "The secret and the database disagree: run `ebdb up --target aws`, which sets the master password from the secret.",
      ),
  },
  { id: "network-path", title: "Network path from EB", run: networkPath },
];
