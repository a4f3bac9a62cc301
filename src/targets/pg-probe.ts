import { lookup } from "node:dns/promises";
import { isIP, type Socket, connect as tcpConnect } from "node:net";
import { checkServerIdentity, connect as tlsConnect } from "node:tls";
import type { Step } from "../doctor/observation.js";

/** What the connectivity probe found, step by step, and the server certificate's dates. */
export interface ProbeResult {
  dns: Step;
  tcp: Step;
  tls: Step;
  /** The certificate the server presented (its expiry), when the TLS handshake got that far. */
  certificate: { notAfter: string | null; issuer: string | null } | null;
  /** The address DNS gave (or the host itself). */
  address: string | null;
}

const notTried = (why: string): Step => ({ ok: null, detail: why });

/**
 * The first steps of a PostgreSQL connection, one at a time, each bounded by `timeoutMs`: DNS, a TCP
 * connection, then PostgreSQL's SSLRequest (the 8-byte message: length 8, code 80877103; the server
 * answers `S` when it speaks TLS) and a TLS handshake that verifies the certificate against `ca` and
 * the host name (PostgreSQL docs, "Frontend/Backend Protocol: SSL Session Encryption"). It sends no
 * credentials. `lookupHost` replaces DNS (tests).
 */
export async function probePostgres(
  host: string,
  port: number,
  opts: {
    ca: string | null;
    timeoutMs?: number;
    lookupHost?: (host: string) => Promise<string>;
    /** How to say a TCP failure that is expected from here (AWS: private to its VPC). */
    unreachable?: (error: string) => Step;
  },
): Promise<ProbeResult> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  let address: string;
  try {
    address = isIP(host)
      ? host
      : await withTimeout((opts.lookupHost ?? defaultLookup)(host), timeoutMs, `DNS lookup of ${host}`);
  } catch (e) {
    return {
      dns: { ok: false, detail: `${host} does not resolve: ${(e as Error).message}` },
      tcp: notTried("no address"),
      tls: notTried("no address"),
      certificate: null,
      address: null,
    };
  }
  const dns: Step = {
    ok: true,
    detail: isIP(host) ? `${host} (an address: no DNS)` : `${host} resolves to ${address}`,
  };
  let socket: Socket;
  const t0 = Date.now();
  try {
    socket = await openTcp(address, port, timeoutMs);
  } catch (e) {
    const msg = (e as Error).message;
    return {
      dns,
      tcp: opts.unreachable?.(msg) ?? { ok: false, detail: `TCP ${address}:${port}: ${msg}` },
      tls: notTried("no TCP connection"),
      certificate: null,
      address,
    };
  }
  const tcp: Step = { ok: true, detail: `TCP ${address}:${port} connected in ${Date.now() - t0} ms` };
  try {
    const answer = await sslRequest(socket, timeoutMs);
    if (answer !== "S") {
      socket.destroy();
      return {
        dns,
        tcp,
        tls: {
          ok: false,
          detail: `the server at ${address}:${port} does not offer TLS (answered ${answer})`,
        },
        certificate: null,
        address,
      };
    }
    const r = await handshake(socket, host, opts.ca, timeoutMs);
    return { dns, tcp, ...r, address };
  } catch (e) {
    socket.destroy();
    return { dns, tcp, tls: { ok: false, detail: (e as Error).message }, certificate: null, address };
  }
}

async function defaultLookup(host: string): Promise<string> {
  return (await lookup(host)).address;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function openTcp(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    s.once("connect", () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function sslRequest(s: Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no answer to the SSLRequest within ${timeoutMs} ms`)),
      timeoutMs,
    );
    s.once("data", (d: Buffer) => {
      clearTimeout(timer);
      resolve(d.subarray(0, 1).toString("latin1"));
    });
    s.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    const msg = Buffer.alloc(8);
    msg.writeInt32BE(8, 0);
    msg.writeInt32BE(80877103, 4);
    s.write(msg);
  });
}

function handshake(
  socket: Socket,
  host: string,
  ca: string | null,
  timeoutMs: number,
): Promise<{ tls: Step; certificate: ProbeResult["certificate"] }> {
  return new Promise((resolve) => {
    const t = tlsConnect({
      socket,
      ca: ca ?? undefined,
      servername: isIP(host) ? undefined : host,
      // Verified below, so a failure can still say what was presented.
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    const timer = setTimeout(() => {
      t.destroy();
      resolve({
        tls: { ok: false, detail: `TLS handshake timed out after ${timeoutMs} ms` },
        certificate: null,
      });
    }, timeoutMs);
    t.once("secureConnect", () => {
      clearTimeout(timer);
      const peer = t.getPeerCertificate();
      const certificate = {
        notAfter: peer?.valid_to ? new Date(peer.valid_to).toISOString() : null,
        issuer: [peer?.issuer?.CN ?? []].flat()[0] ?? null,
      };
      const protocol = t.getProtocol();
      let error: string | null = null;
      if (ca && !t.authorized)
        error = `the certificate is not signed by the expected CA (${t.authorizationError})`;
      else if (ca) {
        const bad = checkServerIdentity(host, peer);
        if (bad) error = `the certificate does not name ${host}: ${bad.message}`;
      }
      t.end();
      t.destroy();
      resolve({
        tls: error
          ? { ok: false, detail: error }
          : {
              ok: true,
              detail: `${protocol ?? "TLS"}${ca ? ", certificate verified (CA and host name)" : ", certificate not verified (no CA given)"}`,
            },
        certificate,
      });
    });
    t.once("error", (e) => {
      clearTimeout(timer);
      t.destroy();
      resolve({ tls: { ok: false, detail: `TLS handshake failed: ${e.message}` }, certificate: null });
    });
  });
}
