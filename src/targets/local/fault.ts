/**
 * Fault injection for the interruption tests: when `EBDB_FAULT_POINT` names a point, the process
 * kills itself with SIGKILL on reaching it, as a `kill -9` or a power cut would at that moment.
 * Points are named `<operation>:<step>` (see FAULT_POINTS); unset, this costs one comparison.
 */
export function faultPoint(name: string): void {
  if (process.env.EBDB_FAULT_POINT === name) process.kill(process.pid, "SIGKILL");
}

/** Every fault point, by the command whose work it interrupts. */
export const FAULT_POINTS = {
  up: [
    "up:state-created",
    "up:nodes-recorded",
    /** A template built for this run (none cached): the first backup's tar of it is written. */
    "up:backup-archived",
    "up:primary-copied",
    "up:primary-started",
    "up:primary-set-up",
    "up:replica-started",
    "up:backup-copied",
  ],
  "replica add": [
    "replica-add:recorded",
    "replica-add:slot-created",
    "replica-add:copied",
    "replica-add:started",
  ],
  "snapshot create": ["snapshot:recorded", "snapshot:copied"],
  restore: ["restore:recorded", "restore:copied", "restore:started", "restore:promoted"],
  destroy: ["destroy:marked", "destroy:stopped", "destroy:data-removed"],
  /** The detached process filling the template cache after a first up: built, not yet installed. */
  "template cache": ["template:built"],
  /** The local PgBouncer's start (up), between its spawn and ebdb's record of it. */
  pooler: ["pooler:spawned"],
  /** Removing one node: destroy --instance, replica remove, a rebuild. */
  "node removal": ["node-remove:data-removed"],
} as const;
