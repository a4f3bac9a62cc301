import { checkLongQuerySeconds, doctor, doctorExitCode } from "../../api/doctor.js";
import { type CliContext, type GlobalFlags, printJson } from "../output.js";
import { doctorLines } from "../render/doctor.js";

type DoctorFlags = GlobalFlags & { instance?: string; longQuerySeconds?: string };

/** `ebdb doctor [--json] [--instance NAME] [--long-query-seconds S]`: exit 1 when a check is red. */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as DoctorFlags;
  const longQuerySeconds =
    flags.longQuerySeconds === undefined ? undefined : checkLongQuerySeconds(flags.longQuerySeconds);
  const { observation: _, ...report } = await doctor(cli.ctx, { instance: flags.instance, longQuerySeconds });
  if (flags.json) printJson(cli.output, report);
  else cli.output.out(doctorLines(report, cli.output.color).join("\n"));
  return doctorExitCode(report);
}
