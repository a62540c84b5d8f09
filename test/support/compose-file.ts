/**
 * docker/docker-compose.yml as the compose-topology test reads it: the services with
 * `${VAR:-default}` filled in from an env file's values, as `docker compose` does.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";
import { packageRoot } from "../../src/config/package-root.js";

export const COMPOSE_FILE = resolve(packageRoot(), "docker/docker-compose.yml");
export const ENV_EXAMPLE = resolve(packageRoot(), "docker/.env.example");

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  deploy?: { replicas?: number };
  profiles?: string[];
  restart?: string;
}

/** KEY=VALUE lines; comments and blank lines skipped. */
export function readEnvFile(path: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined) vars[m[1]] = m[2] ?? "";
  }
  return vars;
}

/** `${VAR}` and `${VAR:-default}`; an empty value takes the default, as in compose. */
export function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
    (_, name: string, fallback?: string) => {
      const v = vars[name];
      return v !== undefined && v !== "" ? v : (fallback ?? "");
    },
  );
}

function deepInterpolate(node: unknown, vars: Record<string, string>): unknown {
  if (typeof node === "string") return interpolate(node, vars);
  if (Array.isArray(node)) return node.map((n) => deepInterpolate(n, vars));
  if (node !== null && typeof node === "object")
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, deepInterpolate(v, vars)]));
  return node;
}

export function readCompose(vars: Record<string, string>): Record<string, ComposeService> {
  // merge: the file's `<<: *anchor` keys, which compose (YAML 1.1) honours.
  const doc = parse(readFileSync(COMPOSE_FILE, "utf8"), { merge: true }) as {
    services: Record<string, Record<string, unknown>>;
  };
  const services: Record<string, ComposeService> = {};
  for (const [name, raw] of Object.entries(doc.services)) {
    const svc = deepInterpolate(raw, vars) as ComposeService & { deploy?: { replicas?: unknown } };
    if (svc.deploy?.replicas !== undefined) svc.deploy.replicas = Number(svc.deploy.replicas);
    services[name] = svc;
  }
  return services;
}
