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
