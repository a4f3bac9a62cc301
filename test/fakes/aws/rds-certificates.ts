import type {
  Certificate,
  DescribeCertificatesCommandInput,
  ModifyCertificatesCommandInput,
} from "@aws-sdk/client-rds";
import { type Ctx, type Handlers, read, write } from "./kit.js";

/**
 * The CA certificates RDS offers for instances' server certificates (DescribeCertificates), with the
 * validity of their root certificates as AWS publishes them in the global bundle. rds-ca-2019 expired
 * on 2024-08-22: offered (DescribeCertificates, CACertificateIdentifier) only until then, so a fake
 * started before that date (`installFakeAws({ start })`) can hold an instance on it. (RDS User Guide,
 * "Using SSL/TLS to encrypt a connection to a DB instance or cluster": certificate authorities.)
 */
export const CA_CERTIFICATES: readonly { id: string; validFrom: string; validTill: string }[] = [
  { id: "rds-ca-2019", validFrom: "2019-08-22T17:08:50Z", validTill: "2024-08-22T17:08:50Z" },
  { id: "rds-ca-ecc384-g1", validFrom: "2021-05-25T23:41:55Z", validTill: "2121-05-25T23:41:55Z" },
  { id: "rds-ca-rsa2048-g1", validFrom: "2021-05-25T23:34:57Z", validTill: "2061-05-25T23:34:57Z" },
  { id: "rds-ca-rsa4096-g1", validFrom: "2021-05-25T23:38:35Z", validTill: "2121-05-25T23:38:35Z" },
];

/** RDS's default CA for new instances in a region without a customer override. */
export const DEFAULT_CA = "rds-ca-rsa2048-g1";

/** The CA a new instance gets: the request's (checked), else the account's override, else RDS's default. */
export function caFor(ctx: Ctx, requested: string | undefined): string {
  if (requested === undefined) return ctx.r.rds.caOverride ?? DEFAULT_CA;
  return checkCa(ctx, requested);
}

/** A CA identifier RDS offers (case-insensitive, as RDS reads it); CertificateNotFoundFault otherwise. */
export function checkCa(ctx: Ctx, id: string): string {
  const found = offered(ctx).find((c) => c.id === id.toLowerCase());
  if (!found) throw ctx.err("CertificateNotFoundFault", `CertificateIdentifier ${id} not found.`, 404);
  return found.id;
}

/** The CAs RDS offers now: those not yet expired on the clock. */
function offered(ctx: Ctx): (typeof CA_CERTIFICATES)[number][] {
  return CA_CERTIFICATES.filter((c) => Date.parse(c.validTill) > ctx.w.now());
}

/**
 * The expiry of an instance's server certificate (DBInstance CertificateDetails.ValidTill): never
 * later than its CA's (rds-ca-2019's server certificates ended with it on 2024-08-22).
 */
export function serverCertificateValidTill(ca: string): Date {
  const caTill = CA_CERTIFICATES.find((c) => c.id === ca)?.validTill;
  const fixed = Date.UTC(2061, 0, 1);
  return new Date(caTill ? Math.min(Date.parse(caTill), fixed) : fixed);
}

function shape(ctx: Ctx, c: (typeof CA_CERTIFICATES)[number]): Certificate {
  const override = ctx.r.rds.caOverride === c.id;
  return {
    CertificateIdentifier: c.id,
    CertificateType: "CA",
    // A stable stand-in for the SHA-1 thumbprint (hex, 40 characters).
    Thumbprint: Buffer.from(c.id.padEnd(20, "-")).toString("hex").slice(0, 40),
    ValidFrom: new Date(c.validFrom),
    ValidTill: new Date(c.validTill),
    CertificateArn: `arn:aws:rds:${ctx.region}::cert:${c.id}`,
    CustomerOverride: override,
    CustomerOverrideValidTill: override ? new Date(c.validTill) : undefined,
  };
}

export const rdsCertificateHandlers: Handlers = {
  DescribeCertificates: read<DescribeCertificatesCommandInput>((ctx, input) => {
    if ((input.Filters ?? []).length > 0) {
      throw ctx.err("InvalidParameterValue", "The parameter Filters is not currently supported.");
    }
    const list = input.CertificateIdentifier
      ? [CA_CERTIFICATES.find((c) => c.id === checkCa(ctx, input.CertificateIdentifier!))!]
      : offered(ctx);
    const page = ctx.w.page("rds", list, input.Marker, input.MaxRecords, {
      min: 20,
      max: 100,
      param: "MaxRecords",
    });
    return {
      DefaultCertificateForNewLaunches: ctx.r.rds.caOverride ?? DEFAULT_CA,
      Certificates: page.items.map((c) => shape(ctx, c)),
      Marker: page.next,
    };
  }),

  /** Overrides the CA new instances of the account get in this region, or removes the override. */
  ModifyCertificates: write<ModifyCertificatesCommandInput>((ctx, input) => {
    if ((input.CertificateIdentifier === undefined) === !input.RemoveCustomerOverride) {
      throw ctx.err(
        "InvalidParameterCombination",
        "Specify either CertificateIdentifier or RemoveCustomerOverride.",
      );
    }
    if (input.RemoveCustomerOverride) {
      const was = ctx.r.rds.caOverride;
      ctx.r.rds.caOverride = undefined;
      const c = CA_CERTIFICATES.find((x) => x.id === (was ?? DEFAULT_CA))!;
      return { Certificate: shape(ctx, c) };
    }
    const id = checkCa(ctx, input.CertificateIdentifier!);
    ctx.r.rds.caOverride = id;
    return { Certificate: shape(ctx, CA_CERTIFICATES.find((c) => c.id === id)!) };
  }),
};
