import type { Command } from "commander";
import { userError } from "../errors.js";

/**
 * Refuses an empty value for any flag or argument that takes one (`--config ""`, `--node ""`,
 * `snapshot delete ""`, `--to-region ""`). In a script an empty value is usually an unset variable,
 * and quietly acting on the default instead (./config.env, the primary, the newest replica) could
 * touch the wrong thing. Throws EMPTY_VALUE, a user error (exit 2), naming the flag or argument.
 */
export function refuseEmptyValues(cmd: Command, args: readonly unknown[]): void {
  for (const o of cmd.options) {
    if (cmd.getOptionValue(o.attributeName()) !== "") continue;
    const flag = o.long ?? o.short ?? o.flags;
    throw userError(
      "EMPTY_VALUE",
      `${flag} was given an empty value.`,
      `Give ${flag} a value, or leave the flag out (an unset shell variable gives an empty value).`,
    );
  }
  cmd.registeredArguments.forEach((a, i) => {
    if (args[i] !== "") return;
    throw userError(
      "EMPTY_VALUE",
      `The <${a.name()}> argument of \`ebdb ${commandPath(cmd)}\` is empty.`,
      a.required ? `Give the ${a.name()}.` : `Give the ${a.name()}, or leave it out.`,
    );
  });
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}
