/**
 * Job ids of callers bound to a tenant live in that tenant's namespace: the id X such a
 * caller names is kept as `<tenant>~X`. "~" is outside the job-id charset (ids.ts), so no
 * client-given id holds it and no caller can spell another tenant's internal id: B naming
 * `A~X` asks for `B~A~X`.
 */
export const TENANT_ID_SEP = "~";

/** The stored id of the job `id` of `tenant`. */
export function tenantJobId(tenant: string, id: string): string {
  return `${tenant}${TENANT_ID_SEP}${id}`;
}

/** `internal` as the tenant's callers see it: without their own prefix; other ids unchanged. */
export function shownJobId(tenant: string, internal: string): string {
  const prefix = `${tenant}${TENANT_ID_SEP}`;
  return internal.startsWith(prefix) ? internal.slice(prefix.length) : internal;
}
