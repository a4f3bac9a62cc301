import { createServer } from "node:net";
import { userError } from "../../errors.js";

/** Whether nothing listens on 127.0.0.1:port (and we may bind it). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host: "127.0.0.1", exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * `preferred` when it is free and not `reserved` (ports of our other nodes, running or not);
 * otherwise the next free port above it, unless `strict` (a port the configuration fixes).
 */
export async function choosePort(
  preferred: number,
  reserved: ReadonlySet<number>,
  opts: { strict?: boolean; what: string },
): Promise<number> {
  if (opts.strict) {
    if (!reserved.has(preferred) && (await isPortFree(preferred))) return preferred;
    throw userError(
      "PORT_IN_USE",
      `Port ${preferred} (DB_LOCAL_PORT) for ${opts.what} is in use by another program.`,
      "Stop that program, set DB_LOCAL_PORT to a free port, or remove DB_LOCAL_PORT to let ebdb choose one.",
    );
  }
  for (let p = preferred; p < 65536; p++) {
    if (!reserved.has(p) && (await isPortFree(p))) return p;
  }
  throw userError(
    "NO_FREE_PORT",
    `No free port at or above ${preferred} for ${opts.what}.`,
    "Free a port or set DB_LOCAL_PORT.",
  );
}
