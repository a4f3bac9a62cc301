import { connect, createServer, type Server, type Socket } from "node:net";
import { systemError } from "../../errors.js";

/** A server the balancer may send a connection to. */
export interface Backend {
  name: string;
  port: number;
}

/** How long the balancer waits for a backend to accept a connection before trying the next. */
const CONNECT_TIMEOUT_MS = 2000;

/**
 * The local reader endpoint: a TCP balancer on 127.0.0.1 that sends each new connection to the next
 * ready replica in turn (round robin), the local stand-in for the AWS reader record (a Route 53
 * multivalue name, whose answers each new connection resolves anew). It forwards bytes only:
 * PostgreSQL's TLS and SCRAM run end to end between the client and the replica. Which replicas are
 * ready is the runner's business (`setMembers`, from its health checks); a replica that refuses the
 * connection all the same is skipped for the next. With no ready replica (or none that accepts), a
 * connection goes to the `fallback` (the primary) when there is one, else it is closed.
 */
export class ReaderBalancer {
  private server: Server | null = null;
  private members: Backend[] = [];
  private fallback: Backend | null = null;
  private next = 0;
  private readonly open = new Set<Socket>();
  private readonly served = new Map<string, number>();
  private toFallback = 0;

  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  /** The replicas new connections go to, in order. */
  setMembers(members: readonly Backend[], fallback: Backend | null): void {
    this.members = [...members];
    this.fallback = fallback;
  }

  memberNames(): string[] {
    return this.members.map((m) => m.name);
  }

  /** Takes a replica out at once (before removing it), so no new connection reaches it. */
  drain(name: string): void {
    this.members = this.members.filter((m) => m.name !== name);
  }

  /** Connections sent to the fallback since the last call: reads that found no ready replica. */
  takeFallbackCount(): number {
    const n = this.toFallback;
    this.toFallback = 0;
    return n;
  }

  /** Connections sent to each backend so far (by name). */
  servedCounts(): ReadonlyMap<string, number> {
    return this.served;
  }

  /** Starts listening. READER_PORT_TAKEN (exit 1) when another program holds the port. */
  async listen(): Promise<void> {
    const server = createServer({ pauseOnConnect: true }, (client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e: NodeJS.ErrnoException) => {
        reject(
          e.code === "EADDRINUSE"
            ? systemError(
                "READER_PORT_TAKEN",
                `The reader endpoint's port ${this.host}:${this.port} is in use by another program.`,
                "Stop that program and run `ebdb autoscale run` again (applications are given this port as DB_READER_PORT, so ebdb does not move it).",
                e,
              )
            : e,
        );
      });
      server.listen({ host: this.host, port: this.port, exclusive: true }, () => resolve());
    });
    server.on("error", () => {});
    this.server = server;
  }

  /** Stops listening and ends the connections it forwards. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.open) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.open.add(client);
    client.on("close", () => this.open.delete(client));
    client.on("error", () => client.destroy());
    const order = this.rotation();
    const fallback = this.fallback;
    const attempt = (i: number) => {
      if (client.destroyed) return;
      const backend = order[i];
      if (!backend) {
        client.destroy();
        return;
      }
      const upstream = connect({ host: this.host, port: backend.port });
      const timer = setTimeout(() => upstream.destroy(new Error("timeout")), CONNECT_TIMEOUT_MS);
      upstream.once("connect", () => {
        clearTimeout(timer);
        upstream.removeAllListeners("error");
        this.open.add(upstream);
        this.served.set(backend.name, (this.served.get(backend.name) ?? 0) + 1);
        if (backend === fallback) this.toFallback += 1;
        upstream.on("close", () => {
          this.open.delete(upstream);
          client.destroy();
        });
        upstream.on("error", () => upstream.destroy());
        // PostgreSQL's protocol is small messages back and forth (the TLS and SCRAM handshakes):
        // Nagle's algorithm would hold each one for the peer's delayed ACK.
        client.setNoDelay(true);
        upstream.setNoDelay(true);
        client.on("close", () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.once("error", () => {
        clearTimeout(timer);
        upstream.destroy();
        attempt(i + 1);
      });
    };
    attempt(0);
  }

  /** The members from the next one in turn, then the fallback (when every member refuses, or there is none). */
  private rotation(): Backend[] {
    const start = this.members.length ? this.next++ % this.members.length : 0;
    const order = [...this.members.slice(start), ...this.members.slice(0, start)];
    return this.fallback ? [...order, this.fallback] : order;
  }
}
