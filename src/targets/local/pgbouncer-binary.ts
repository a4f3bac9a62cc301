import { spawn } from "node:child_process";
import { constants as fsc } from "node:fs";
import { access } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { PGBOUNCER_MIN_VERSION } from "../../pooling/pgbouncer-ini.js";

/** The PgBouncer this machine has. */
export interface PgbouncerBinary {
  path: string;
  /** e.g. "1.18.0", from `pgbouncer --version`. */
  version: string;
  /** At least PGBOUNCER_MIN_VERSION (SCRAM in auth_file, verify-full to the server). */
  supported: boolean;
}

const cache = new Map<string, Promise<PgbouncerBinary | null>>();

async function executable(path: string): Promise<boolean> {
  return access(path, fsc.X_OK).then(
    () => true,
    () => false,
  );
}

function versionOf(path: string): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn(path, ["--version"], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
    });
    child.on("error", () => {
      clearTimeout(timer);
      resolve(null);
    });
    child.on("close", () => {
      clearTimeout(timer);
      resolve(/PgBouncer\s+(\d+\.\d+(?:\.\d+)?)/i.exec(out)?.[1] ?? null);
    });
  });
}

/** a >= b for dotted versions ("1.18.0" >= "1.14"). */
export function versionAtLeast(a: string, b: string): boolean {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

/**
 * The pgbouncer executable: `EBDB_PGBOUNCER` (a path), else the first on PATH, else Debian's and
 * the usual places (/usr/sbin is not on a normal user's PATH). Null when there is none.
 */
export function findPgbouncer(
  env: Readonly<Record<string, string | undefined>>,
): Promise<PgbouncerBinary | null> {
  const key = `${env.EBDB_PGBOUNCER ?? ""}\0${env.PATH ?? ""}`;
  let p = cache.get(key);
  if (!p) {
    p = (async () => {
      const candidates = env.EBDB_PGBOUNCER
        ? [env.EBDB_PGBOUNCER]
        : [
            ...(env.PATH ?? "")
              .split(delimiter)
              .filter(Boolean)
              .map((d) => join(d, "pgbouncer")),
            "/usr/sbin/pgbouncer",
            "/usr/bin/pgbouncer",
            "/usr/local/bin/pgbouncer",
          ];
      for (const path of candidates) {
        if (!(await executable(path))) continue;
        const version = await versionOf(path);
        if (version) return { path, version, supported: versionAtLeast(version, PGBOUNCER_MIN_VERSION) };
      }
      return null;
    })();
    cache.set(key, p);
  }
  return p;
}
