import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ParseResult } from "../../src/config/types.js";

/** What bash made of one file: the variables it set or changed, and what it printed on stderr. */
export interface BashOutcome {
  vars: Record<string, string>;
  stderr: string;
}

// Each file is sourced in its own subshell with `set -a`, as a user would; afterwards every
// variable that is new or changed (compared with a snapshot taken just before) is printed as
// NUL-separated name/value pairs, then an empty name ends the file's block. Values never contain
// NUL, so the output cannot be misread. Variables bash changes on its own are skipped.
const SCRIPT = `
__i=0
while [ -e "./f$__i.env" ]; do
  (
    declare -A __before=()
    mapfile -t __names < <(compgen -v)
    for __n in "\${__names[@]}"; do __before[$__n]=\${!__n-}; done
    set -a
    . "./f$__i.env" 2>"./e$__i.txt"
    set +a
    mapfile -t __names < <(compgen -v)
    for __n in "\${__names[@]}"; do
      case $__n in __*|BASH*|_|PIPESTATUS|LINENO|RANDOM|SRANDOM|SECONDS|EPOCH*|COMP_*|FUNCNAME|GROUPS|DIRSTACK|HISTCMD) continue;; esac
      if [[ -z \${__before[$__n]+x} || \${__before[$__n]} != "\${!__n}" ]]; then
        printf '%s\\0%s\\0' "$__n" "\${!__n}"
      fi
    done
  )
  printf '\\0'
  __i=$((__i+1))
done
`;

function bashPath(): string {
  for (const p of ["/bin/bash", "/usr/bin/bash", "/usr/local/bin/bash", "/opt/homebrew/bin/bash"]) {
    if (existsSync(p)) return p;
  }
  throw new Error("bash not found: the parser's equivalence tests need bash");
}

/**
 * Runs bash itself on each file (`set -a; . ./file`) in one process, with exactly `env` as its
 * environment (like `env -i`), in a fresh temporary folder that also holds other files, so a
 * glob that bash expanded would show. Test values only: nothing here is a secret.
 */
export function bashSource(
  files: readonly (string | Uint8Array)[],
  env: Record<string, string>,
): BashOutcome[] {
  const dir = mkdtempSync(join(tmpdir(), "ebdb-bash-"));
  try {
    for (const [i, content] of files.entries()) writeFileSync(join(dir, `f${i}.env`), content);
    writeFileSync(join(dir, "oracle.sh"), SCRIPT);
    const run = spawnSync(bashPath(), ["./oracle.sh"], { cwd: dir, env, maxBuffer: 64 * 1024 * 1024 });
    if (run.status !== 0) throw new Error(`bash failed: ${run.stderr.toString()}`);
    const fields = run.stdout.toString("utf8").split("\0");
    const outcomes: BashOutcome[] = [];
    let vars: Record<string, string> = {};
    for (let k = 0; k < fields.length - 1; k++) {
      if (fields[k] === "") {
        const stderr = readFileSync(join(dir, `e${outcomes.length}.txt`), "utf8");
        outcomes.push({ vars, stderr });
        vars = {};
      } else {
        vars[fields[k]] = fields[k + 1];
        k++;
      }
    }
    if (outcomes.length !== files.length)
      throw new Error(`bash reported ${outcomes.length} of ${files.length} files`);
    return outcomes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Our values in the same shape as bash's: the final value of each key that differs from `env`. */
export function changedVars(result: ParseResult, env: Record<string, string>): Record<string, string> {
  const last: Record<string, string> = {};
  for (const e of result.entries) last[e.key] = e.value;
  const changed: Record<string, string> = {};
  for (const [k, v] of Object.entries(last)) if (env[k] !== v) changed[k] = v;
  return changed;
}

/** The environment of every equivalence test: PATH leads nowhere, so no command could ever run. */
export const ORACLE_ENV: Record<string, string> = {
  PATH: "/nonexistent-ebdb-test-path",
  HOME: "/home/tester",
  FOO: "foo value",
  EMPTY: "",
  SPACES: "  a   b  ",
  STAR: "*",
  TRICKY: "$FOO \"q\" 'sq' \\ ~ `x`",
  UNI: "é日本😀",
};
