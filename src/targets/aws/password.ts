import { createHash } from "node:crypto";

/**
 * Generated here rather than by Secrets Manager's GetRandomPassword: the same generator as the local
 * target (letters, digits and `-_.~` only), with no extra AWS call or permission.
 */
export { generatePassword } from "../../model/password.js";

/**
 * A deterministic client request token (UUID-shaped) for an idempotent AWS call: the same parts give
 * the same token, so a call repeated after an interruption is recognised by AWS as the same request.
 */
export function requestToken(...parts: string[]): string {
  const h = createHash("sha256").update(parts.join("\u0000")).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
