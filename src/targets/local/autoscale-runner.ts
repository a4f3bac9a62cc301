import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { fmt, plural } from "../../autoscale/common.js";
import { POLICIES } from "../../autoscale/policies.js";
import { readiness, WalClock } from "../../autoscale/reader.js";
import {
  addPoint,
  bounded,
  decisionRecord,
  HISTORY_STEPS,
  policyMsOfStep,
  provisionSteps,
  readerAverage,
  stepLine,
  stepOf,
  toPolicyMs,
} from "../../autoscale/runner-clock.js";
import type { AutoscaleRunOptions, RunnerEvent } from "../../autoscale/runner-types.js";
import type { Decision, PolicyConfig, ReplicaView } from "../../autoscale/types.js";
import { type ActionHost, message, scaleIn, scaleOut } from "./autoscale-actions.js";
import { ReaderBalancer } from "./autoscale-balancer.js";
import { sampleServers, utilizationSince } from "./autoscale-cpu.js";
import { ensureReaderPort, READER_HOST } from "./autoscale-endpoint.js";
import { checkReplica, type ReplicaCheck, samplePrimary } from "./autoscale-health.js";
import { type AutoscaleState, DECISIONS_KEPT, writeState } from "./autoscale-state.js";
import { Warmer } from "./autoscale-warm.js";
import { listMetas, type NodeMeta } from "./meta.js";
import { processStart } from "./pid.js";
import type { Session } from "./session.js";

/** Health checks (and so the reader endpoint) follow replicas at least this often. */
const HEALTH_MS = 2000;
/** Checks in a row a running member must fail to leave the endpoint. */
const MISSES_TO_LEAVE = 2;

/**
 * The local autoscaling runner: every step it measures the ready replicas' CPU, asks the ebdb policy,
 * and adds or removes real replicas; between steps it checks the replicas' health, warms new ones,
 * and (unless `once`) serves the reader endpoint with the ready ones. Actions run beside the steps
 * (a replica copy can outlast a step): one at a time, a decision made meanwhile is logged, not acted on.
 */
export class LocalRunner {
  private readonly intervalMs: number;
  private readonly clock: WalClock;
  private readonly stop = new AbortController();
  private balancer: ReaderBalancer | null = null;
  private checks = new Map<string, ReplicaCheck>();
  private members: string[] = [];
  private primary: NodeMeta | null = null;
  private primaryUp = false;
  private readonly warmer: Warmer;
  private readonly draining = new Set<string>();
  private readonly misses = new Map<string, number>();
  /** The action under way, and the replica count it leads to. */
  private action: { what: string; done: Promise<void>; adding: string | null; desired: number } | null = null;
  private checking: Promise<void> = Promise.resolve();
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly s: Session,
    private readonly policy: PolicyConfig,
    private state: AutoscaleState,
    private readonly opts: AutoscaleRunOptions,
  ) {
    this.intervalMs = Math.round(opts.intervalSeconds * 1000);
    this.clock = new WalClock(Math.max(opts.maxLagSeconds, 1));
    opts.signal?.addEventListener("abort", () => this.stop.abort(), { once: true });
    this.warmer = new Warmer(
      s,
      () => this.state,
      (k, m, d) => this.emit(k, m, d),
      this.stop.signal,
    );
  }

  private emit(kind: RunnerEvent["kind"], message: string, data?: Record<string, unknown>): void {
    this.opts.onEvent({ at: new Date().toISOString(), kind, message, ...(data ? { data } : {}) });
  }

  /** Saves the state (writes one after another; a destroyed database's state is not written back). */
  private save(): Promise<void> {
    this.saving = this.saving.then(async () => {
      if (!existsSync(this.s.layout.stateDir)) return;
      await writeState(this.s.layout, this.state).catch((e) =>
        this.emit("warning", `Could not save the autoscaler's state: ${(e as Error).message}`),
      );
    });
    return this.saving;
  }

  async run(): Promise<void> {
    const { once } = this.opts;
    this.state.runner = {
      pid: process.pid,
      start: processStart(process.pid),
      startedAt: new Date().toISOString(),
      stoppedAt: null,
      maxLagSeconds: this.opts.maxLagSeconds,
      once,
    };
    await this.save();
    try {
      if (!once) {
        this.balancer = new ReaderBalancer(READER_HOST, await ensureReaderPort(this.s));
        await this.balancer.listen();
      }
      const p = this.policy;
      const at = this.balancer ? { host: READER_HOST, port: this.balancer.port } : null;
      this.emit(
        "started",
        `Autoscaling ${this.s.config.identifier}: ${p.minCapacity} to ${p.maxCapacity} replicas at ${p.targetCpuPercent}% CPU, a step every ${fmt(this.opts.intervalSeconds)} s${at ? `; reader endpoint ${at.host}:${at.port}` : ""}.`,
        { reader: at },
      );
      if (once) await this.runOnce();
      else await this.loop();
    } finally {
      this.stop.abort();
      await this.warmer.settle();
      await this.action?.done;
      await this.balancer?.close();
      if (this.state.runner) this.state.runner.stoppedAt = new Date().toISOString();
      await this.save();
      if (!once) this.emit("stopped", "Stopped.");
    }
  }

  private async runOnce(): Promise<void> {
    await this.check();
    await this.warmer.settle();
    await this.check();
    // A figure needs two CPU samples at least a second apart: the last run's when it is recent
    // (cron every interval), else a second from now. One taken just now (a replica that joined
    // the endpoint during this check) would measure the check's own connections and the warm-up.
    const now = Date.now();
    const window = Math.min(1000, this.intervalMs);
    const unusable = (name: string) =>
      !this.state.samples[name] ||
      now - this.state.samples[name].atMs > 3 * this.intervalMs ||
      now - this.state.samples[name].atMs < window;
    if (this.members.length === 0 || this.members.some(unusable)) {
      this.sampleCpu();
      await sleep(window);
    }
    await this.step();
    await this.action?.done;
  }

  private async loop(): Promise<void> {
    await this.check();
    this.sampleCpu();
    const health = (async () => {
      while (!this.stop.signal.aborted) {
        await sleep(Math.min(HEALTH_MS, this.intervalMs), undefined, { signal: this.stop.signal }).catch(
          () => {},
        );
        if (!this.stop.signal.aborted) await this.check();
      }
    })();
    // Steps at the interval's boundaries (wall-clock minutes by default), each once: a timer may fire
    // a little early, and a long step skips the boundaries it overran.
    let next = stepOf(Date.now(), this.intervalMs) + 1;
    while (!this.stop.signal.aborted) {
      const wait = next * this.intervalMs - Date.now();
      if (wait > 0) {
        const woke = await sleep(wait, true, { signal: this.stop.signal }).catch(() => false);
        if (!woke) break;
        continue;
      }
      await this.step(next).catch((e) => this.emit("warning", `Step failed: ${message(e)}`));
      next = Math.max(next + 1, stepOf(Date.now(), this.intervalMs) + 1);
    }
    await health;
  }

  /** One health check of every replica (serialised: a check asked for during one runs after it). */
  check(): Promise<void> {
    this.checking = this.checking
      .then(() => this.checkNow())
      .catch((e) => {
        this.emit("warning", `Health check failed: ${message(e)}`);
      });
    return this.checking;
  }

  private async checkNow(): Promise<void> {
    if (!existsSync(this.s.layout.stateDir)) {
      if (!this.stop.signal.aborted)
        this.emit("warning", `${this.s.config.identifier} no longer exists on this machine: stopping.`);
      this.stop.abort();
      return;
    }
    const metas = await listMetas(this.s.layout);
    this.primary = metas.find((m) => m.role === "primary") ?? null;
    this.primaryUp = this.primary ? await samplePrimary(this.s, this.primary, this.clock) : false;
    const replicas = metas.filter((m) => m.role === "replica");
    const results = await Promise.all(
      replicas.map((m) => checkReplica(this.s, m, this.clock, this.warmer.isWarmed(m))),
    );
    this.checks = new Map(results.map((c) => [c.meta.name, c]));
    const views: AutoscaleState["replicas"] = {};
    const ready: string[] = [];
    for (const c of results) {
      const r = readiness(c.health, this.opts.maxLagSeconds);
      views[c.meta.name] = {
        ready: r.ready,
        why: r.why,
        lagSeconds: c.health.lagSeconds,
        connections: c.connections,
      };
      // A running member that misses one check (a busy machine) stays; a second miss, or a stopped
      // server, takes it out (Route 53 health checks likewise wait for a failure threshold).
      const name = c.meta.name;
      const missed = !r.ready && c.pid !== null && !c.health.accepting && this.members.includes(name);
      this.misses.set(name, missed ? (this.misses.get(name) ?? 0) + 1 : 0);
      const kept = missed && this.misses.get(name)! < MISSES_TO_LEAVE;
      if (kept) views[name].why = `ready, but missed a check (${r.why})`;
      if ((r.ready || kept) && !this.draining.has(name)) ready.push(name);
      const caughtUp =
        c.health.accepting && c.health.lagSeconds !== null && c.health.lagSeconds <= this.opts.maxLagSeconds;
      // Joins the endpoint as soon as it is warm, not at the next periodic check.
      if (caughtUp)
        this.warmer.start(c.meta, () => {
          void this.save();
          if (!this.opts.once) void this.check();
        });
    }
    this.state.replicas = views;
    this.forgetGone(new Set(replicas.map((m) => m.name)));
    this.setMembers(ready);
  }

  private setMembers(ready: string[]): void {
    const before = this.members;
    this.members = ready;
    const port = (n: string) => this.checks.get(n)?.meta.port ?? 0;
    const fallback =
      this.primaryUp && this.primary ? { name: this.primary.name, port: this.primary.port } : null;
    this.balancer?.setMembers(
      ready.map((name) => ({ name, port: port(name) })),
      fallback,
    );
    const joined = ready.filter((n) => !before.includes(n));
    const left = before.filter((n) => !ready.includes(n));
    if (!joined.length && !left.length) return;
    // A replica's figure starts when it joins: its warm-up is ebdb's load, not the application's.
    const pids = joined.map((n) => this.checks.get(n)?.pid).filter((p): p is number => p != null);
    const samples = sampleServers(pids);
    for (const n of joined) {
      const sample = samples.get(this.checks.get(n)?.pid ?? -1);
      if (sample) this.state.samples[n] = sample;
      const added = this.state.provisioning[n];
      if (added !== undefined) {
        this.state.lastProvisionSeconds = Math.round((Date.now() - added) / 100) / 10;
        delete this.state.provisioning[n];
      }
    }
    const why = (n: string) => this.state.replicas[n]?.why ?? "removed";
    const parts = [
      ...joined.map((n) => `+ ${n} (${why(n)})`),
      ...left.map((n) => `- ${n} (${this.draining.has(n) ? "being removed" : why(n)})`),
    ];
    this.state.reader = { members: ready, updatedAt: new Date().toISOString() };
    const to = this.primaryUp ? "new connections go to the primary" : "new connections are refused";
    const now = ready.length ? ready.join(", ") : `no replica (${to})`;
    this.emit("reader", `Reader endpoint: ${parts.join(", ")}; now ${now}.`, {
      joined,
      left,
      members: ready,
    });
    void this.save();
  }

  /** Drops what the state holds of replicas that no longer exist. */
  private forgetGone(names: Set<string>): void {
    for (const n of Object.keys(this.state.warmed)) if (!names.has(n)) delete this.state.warmed[n];
    for (const n of Object.keys(this.state.samples)) if (!names.has(n)) delete this.state.samples[n];
    if (!this.action)
      for (const n of Object.keys(this.state.provisioning))
        if (!names.has(n)) delete this.state.provisioning[n];
  }

  /** Takes a CPU sample of every running replica; returns each one's CPUUtilization since its last. */
  private sampleCpu(): Map<string, number> {
    const running = [...this.checks.values()].flatMap((c) =>
      c.pid === null ? [] : [{ name: c.meta.name, pid: c.pid }],
    );
    return utilizationSince(this.state.samples, running, this.policy.replicaVcpus);
  }

  /** One step: the metric of the step just ended, the policy's decision, and its action. */
  private async step(step = stepOf(Date.now(), this.intervalMs)): Promise<void> {
    const nowReal = Date.now();
    const window = Math.min(1000, this.intervalMs / 2);
    // A member that joined a moment ago has no figure yet: its window would hold only the joining.
    const fresh = new Set(this.members.filter((n) => nowReal - (this.state.samples[n]?.atMs ?? 0) < window));
    const cpu = this.sampleCpu();
    // Each member has a figure from when it joined (setMembers samples it then) or from the last step.
    const figures = this.members.filter((n) => cpu.has(n) && !fresh.has(n)).map((n) => cpu.get(n)!);
    const readsWithoutReplica = (this.balancer?.takeFallbackCount() ?? 0) > 0;
    let metric: { cpuPercent: number; readyReplicas: number } | null = null;
    if (figures.length > 0 || (this.members.length === 0 && this.primaryUp)) {
      const point = readerAverage(policyMsOfStep(step - 1), figures, readsWithoutReplica);
      metric = { cpuPercent: point.cpuPercent, readyReplicas: point.readyReplicas };
      const at = new Date((step - 1) * this.intervalMs).toISOString();
      this.state.history = addPoint(this.state.history, { ...point, at }, HISTORY_STEPS);
    }
    // A replica being removed is no longer capacity, nor on its way.
    const leaving = new Set(this.draining);
    const all = await listMetas(this.s.layout);
    const metas = all.filter((m) => m.role === "replica");
    const views: ReplicaView[] = metas
      .filter((m) => !leaving.has(m.name))
      .map((m) => ({
        id: m.name,
        state: this.members.includes(m.name) ? "ready" : "creating",
        createdByAutoscaler: m.createdBy === "autoscaler",
        connections: this.checks.get(m.name)?.connections ?? null,
        createdAtMs: Date.parse(m.createdAt) || 0,
      }));
    // An add under way whose node.json is not written yet is capacity already decided on.
    const adding = this.action?.adding;
    if (this.action && (adding === null || (adding && !metas.some((m) => m.name === adding))))
      views.push({
        id: adding ?? "(being added)",
        state: "creating",
        createdByAutoscaler: true,
        connections: null,
        createdAtMs: nowReal,
      });
    let decision: Decision = POLICIES.ebdb({
      nowMs: policyMsOfStep(step),
      config: {
        ...this.policy,
        provisionMinutes: provisionSteps(this.state.lastProvisionSeconds, this.intervalMs),
      },
      replicas: views,
      history: this.state.history,
      lastScaleOutAt: toPolicyMs(this.state.lastScaleOutAt, this.intervalMs),
      lastScaleInAt: toPolicyMs(this.state.lastScaleInAt, this.intervalMs),
    });
    // Replicas are made from the primary: without it running there is nothing to do (down, destroyed).
    const primaryDown = !all.some((m) => m.role === "primary")
      ? `${this.s.config.identifier} has no primary on this machine`
      : !this.primaryUp
        ? "the primary is not running (`ebdb up` starts it)"
        : null;
    if (primaryDown) decision = { action: "none", reason: `${primaryDown}: nothing to decide` };
    else if (decision.action !== "none" && this.action)
      decision = {
        action: "none",
        reason: `${decision.reason} (not acted on: ${this.action.what} is still under way)`,
      };
    const decided = decisionRecord(decision, views.length, nowReal);
    const record = this.action ? { ...decided, desired: this.action.desired } : decided;
    this.state.decisions = bounded(this.state.decisions, record, DECISIONS_KEPT);
    this.state.desired = record.desired;
    this.state.lastStepAt = record.at;
    this.emit("step", stepLine(metric, record), { metric, decision: record });
    await this.save();
    if (decision.action !== "none") this.startAction(decision, record.desired);
  }

  private startAction(d: Exclude<Decision, { action: "none" }>, desired: number): void {
    const what =
      d.action === "add" ? `adding ${plural(d.count, "replica")}` : `removing ${d.remove.join(", ")}`;
    const action: NonNullable<LocalRunner["action"]> = {
      what,
      adding: null,
      desired,
      done: Promise.resolve(),
    };
    this.action = action;
    const host = this.actionHost();
    action.done = (d.action === "add" ? scaleOut(host, d.count, d.reason) : scaleIn(host, d.remove, d.reason))
      .catch((e) => this.emit("warning", `${what} failed: ${message(e)}`))
      .finally(async () => {
        this.action = null;
        this.draining.clear();
        await this.save();
        if (!this.stop.signal.aborted || this.opts.once) await this.check();
      });
  }

  /** What the scaling actions (autoscale-actions.ts) need of the runner. */
  private actionHost(): ActionHost {
    return {
      s: this.s,
      state: this.state,
      stopped: () => this.stop.signal.aborted,
      emit: (kind, msg, data) => this.emit(kind, msg, data),
      save: () => void this.save(),
      adding: (name) => {
        if (this.action) this.action.adding = name;
      },
      drain: (name) => {
        this.draining.add(name);
        this.balancer?.drain(name);
        if (this.members.includes(name)) this.setMembers(this.members.filter((n) => n !== name));
      },
    };
  }
}
