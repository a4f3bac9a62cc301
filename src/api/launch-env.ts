/**
 * libpq variables from the caller's environment that would send a client (and the password)
 * somewhere other than the instance ebdb chose, or make it verify against another CA. Other PG*
 * variables (PGOPTIONS, PGTZ, PGCLIENTENCODING, PGCONNECT_TIMEOUT, ...) are the user's preferences
 * and stay. Source: https://www.postgresql.org/docs/current/libpq-envars.html
 */
const REDIRECTING = [
  "PGHOSTADDR",
  "PGSERVICE",
  "PGSERVICEFILE",
  "PGPASSFILE",
  "PGREQUIRESSL",
  "PGSSLROOTCERT",
  "PGSSLCRL",
  "PGSSLCRLDIR",
];

/**
 * The whole environment for a program ebdb starts (psql, `ebdb exec`'s command): the caller's,
 * minus the redirecting libpq variables, plus `vars` (which win). The password travels in it: never
 * in arguments, never in ebdb's own environment, never in a file. On Linux a process's environment
 * (/proc/<pid>/environ) is readable only by its owner and root, so it is no more visible than a
 * 0600 file of the same user, and nothing outlives the program.
 */
export function launchEnv(
  caller: Readonly<Record<string, string | undefined>>,
  vars: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(caller)) if (v !== undefined && !REDIRECTING.includes(k)) env[k] = v;
  return Object.assign(env, vars);
}
