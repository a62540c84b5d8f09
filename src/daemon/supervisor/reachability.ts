import { connect } from "node:net";

export interface HostPort {
  host: string;
  port: number;
}

/** host:port of a nats:// or redis:// URL (first server of a comma list). */
export function hostPortOf(url: string, defaultPort: number): HostPort {
  const first = url.split(",")[0]?.trim() ?? url;
  const withScheme = first.includes("://") ? first : `tcp://${first}`;
  const u = new URL(withScheme);
  const host = u.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
  return { host: host === "localhost" ? "127.0.0.1" : host, port: u.port ? Number(u.port) : defaultPort };
}

/** True when something accepts TCP connections at host:port within timeoutMs. */
export function isReachable({ host, port }: HostPort, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

export async function waitReachable(hp: HostPort, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isReachable(hp, 300)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
