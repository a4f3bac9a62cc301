import type { Change, Impact, Plan } from "./model/change.js";

/**
 * The library never prints. It tells an IoHost what is happening; the CLI renders the events as
 * text or JSON, and tests record them.
 */
export type EbdbEvent =
  | { type: "info"; message: string }
  | { type: "warning"; message: string; hint?: string }
  /** Long work: what is being waited on and for how long so far. */
  | { type: "progress"; message: string; resource?: string; elapsedMs?: number }
  | { type: "plan"; plan: Plan }
  | { type: "change-start"; change: Change }
  | { type: "change-done"; change: Change; ms: number }
  | { type: "result"; message: string };

export interface Question {
  message: string;
  /** The worst impact of what will happen if the answer is yes. */
  impact?: Impact;
}

export interface IoHost {
  event(e: EbdbEvent): void;
  /** Ask before anything disruptive. Hosts without a terminal answer from --yes. */
  confirm(q: Question): Promise<boolean>;
}

/** An IoHost that keeps every event and answers questions with a fixed answer. For tests and --json. */
export class RecordingIoHost implements IoHost {
  readonly events: EbdbEvent[] = [];
  readonly questions: Question[] = [];

  constructor(private readonly answer: boolean = true) {}

  event(e: EbdbEvent): void {
    this.events.push(e);
  }

  async confirm(q: Question): Promise<boolean> {
    this.questions.push(q);
    return this.answer;
  }

  messages(type?: EbdbEvent["type"]): string[] {
    return this.events
      .filter((e) => type === undefined || e.type === type)
      .map((e) => ("message" in e ? e.message : e.type));
  }
}

/** An IoHost that drops everything and says yes. */
export const silentIo: IoHost = {
  event() {},
  async confirm() {
    return true;
  },
};
