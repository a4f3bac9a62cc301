// Small helpers shared by the benchmarks: medians and timed child processes.
import { spawnSync } from "node:child_process";

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs a command once and returns its wall time in ms (throws if it fails unexpectedly). */
export function timeRun(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: "pipe", ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (opts.expectStatus !== undefined && r.status !== opts.expectStatus) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  }
  return ms;
}

export function fmt(ms) {
  return `${ms.toFixed(1)} ms`;
}

/**
 * The by-hand baseline of a first start: `initdb` then `pg_ctl start -w` on `port` (127.0.0.1, the
 * socket in `dir`), as `spawnOpts` says (the server user's uid/gid); returns the wall time in ms.
 */
export function initdbAndStart(bindir, dir, port, spawnOpts = {}) {
  const opts = { ...spawnOpts, env: { PATH: process.env.PATH, LC_ALL: "C" }, cwd: "/" };
  const t0 = process.hrtime.bigint();
  const init = spawnSync(`${bindir}/initdb`, ["-D", dir, "-U", "postgres", "-A", "trust"], opts);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const start = spawnSync(
    `${bindir}/pg_ctl`,
    [
      "start",
      "-w",
      "-D",
      dir,
      "-l",
      `${dir}/server.log`,
      "-o",
      `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir}`,
    ],
    opts,
  );
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (start.status !== 0) throw new Error(`pg_ctl start failed: ${start.stderr}`);
  return wall;
}

/** Stops the server of `dir` at once (`pg_ctl stop -m immediate`), as `spawnOpts` says. */
export function stopImmediate(bindir, dir, spawnOpts = {}) {
  spawnSync(`${bindir}/pg_ctl`, ["stop", "-m", "immediate", "-D", dir], {
    ...spawnOpts,
    env: { PATH: process.env.PATH, LC_ALL: "C" },
    cwd: "/",
  });
}

/** libpq's variables (PG*) out of `ebdb env --format json`, for psql and pgbench against the primary. */
export function libpqEnv(vars) {
  const keys = ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSSLMODE", "PGSSLROOTCERT"];
  return Object.fromEntries(keys.map((k) => [k, vars[k]]));
}
