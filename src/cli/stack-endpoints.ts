/** The addresses a running stack listens on, from its GetStatus, for `up` and `ps`. */
import ansis from "ansis";
import type { EndpointsJson } from "../client/json-shapes.js";
import type { GetStatusResponse } from "../gen/cortex/v1/api.js";

export function endpointsOf(status: GetStatusResponse, grpcFallback: string): EndpointsJson {
  const gateway = status.components.find((c) => c.name === "gateway");
  const http = status.httpAddress === "" ? undefined : `http://${status.httpAddress}`;
  return {
    grpc: gateway?.address || grpcFallback,
    ...(http === undefined ? {} : { http }),
    metrics: metricsEndpoints(status),
  };
}

/** The web dashboard the gateway serves at / of its HTTP address (a wildcard bind is reached on loopback). */
export function dashboardUrl(status: GetStatusResponse): string | undefined {
  if (status.httpAddress === "") return undefined;
  const url = new URL(`http://${status.httpAddress}/`);
  if (url.hostname === "0.0.0.0" || url.hostname === "[::]") url.hostname = "127.0.0.1";
  return url.href;
}

/** One /metrics per process: the components sharing an address are listed together. */
function metricsEndpoints(status: GetStatusResponse): EndpointsJson["metrics"] {
  const byAddress = new Map<string, string[]>();
  for (const c of status.components) {
    if (c.metricsAddress === "") continue;
    byAddress.set(c.metricsAddress, [...(byAddress.get(c.metricsAddress) ?? []), c.name]);
  }
  return [...byAddress].map(([address, names]) => ({
    component: names.join(","),
    url: `http://${address}/metrics`,
  }));
}

/** One line per address, aligned like `up`'s component lines. */
export function endpointLines(e: EndpointsJson, dashboard?: string): string[] {
  const row = (label: string, value: string) => `  ${label.padEnd(10)} ${value}`;
  return [
    ...(dashboard === undefined ? [] : [row("dashboard", dashboard)]),
    row("gRPC", e.grpc),
    ...(e.http === undefined ? [] : [row("HTTP", e.http)]),
    ...e.metrics.map((m) => row("metrics", `${m.url} ${ansis.dim(`(${m.component})`)}`)),
  ];
}
