import { EbdbError, isEbdbError } from "../../errors.js";

const THROTTLE_CODES = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottledException",
  "RequestThrottled",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "EC2ThrottledException",
  "SlowDown",
  "BandwidthLimitExceeded",
  "PriorRequestNotComplete",
]);

const TRANSIENT_CODES = new Set([
  "InternalFailure",
  "InternalError",
  "InternalServiceError",
  "InternalErrorException",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "RequestTimeout",
  "RequestTimeoutException",
]);

const CREDENTIAL_CODES = new Set([
  "CredentialsProviderError",
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "SignatureDoesNotMatch",
  "AuthFailure",
  "MissingAuthenticationToken",
]);

const DENIED_CODES = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "UnauthorizedOperation",
  "NotAuthorized",
]);

interface SdkErrorShape {
  name: string;
  message: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

function isSdkError(e: unknown): e is SdkErrorShape {
  return (
    e instanceof Error &&
    (typeof (e as { $metadata?: unknown }).$metadata === "object" || e.name === "CredentialsProviderError")
  );
}

/** The AWS error code of an error, whether raw from the SDK or already wrapped by us. */
export function awsCode(e: unknown): string | undefined {
  if (isEbdbError(e)) return typeof e.details?.awsCode === "string" ? e.details.awsCode : undefined;
  return isSdkError(e) ? e.name : undefined;
}

/** True when the error is one of `codes` (AWS error codes). */
export function isAwsCode(e: unknown, ...codes: string[]): boolean {
  const c = awsCode(e);
  return c !== undefined && codes.includes(c);
}

export function isThrottle(e: unknown): boolean {
  const c = awsCode(e);
  return c !== undefined && (THROTTLE_CODES.has(c) || (isSdkError(e) && e.$metadata?.httpStatusCode === 429));
}

export function isTransient(e: unknown): boolean {
  const c = awsCode(e);
  if (c === undefined) return false;
  if (TRANSIENT_CODES.has(c)) return true;
  const status = isSdkError(e) ? e.$metadata?.httpStatusCode : undefined;
  return status !== undefined && status >= 500 && status !== 501;
}

/** Replaces every known secret in a text by asterisks. */
export function redactText(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join("********");
  return out;
}

/**
 * An SDK error as an EbdbError naming the call (`RDS.CreateDBInstance failed: ...`), with its AWS code
 * and request id in the details. Anything that is not an AWS error (a bug, a simulated crash) passes
 * through unchanged.
 */
export function wrapAwsError(e: unknown, op: string, secrets: Iterable<string>): unknown {
  if (!isSdkError(e)) return e;
  const code = e.name;
  const message = redactText(`${op} failed: ${code}: ${e.message}`, secrets);
  const details = { awsCode: code, call: op, requestId: e.$metadata?.requestId ?? null };
  if (CREDENTIAL_CODES.has(code)) {
    return new EbdbError({
      code: "AWS_CREDENTIALS",
      message,
      hint: "Check your AWS credentials: --profile or AWS_PROFILE, `aws sso login`, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.",
      fault: "user",
      cause: e,
      details,
    });
  }
  if (DENIED_CODES.has(code)) {
    return new EbdbError({
      code: "AWS_ACCESS_DENIED",
      message,
      hint: `The credentials in use may not call ${op}; grant it to the IAM user or role, or use another --profile.`,
      fault: "user",
      cause: e,
      details,
    });
  }
  return new EbdbError({ code: "AWS_CALL_FAILED", message, fault: "system", cause: e, details });
}
