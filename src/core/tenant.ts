/** CortexOS v1 carries the tenant in JobRequest.env_vars under this key; cortex keeps it there. */
export const TENANT_ENV_VAR = "tenant_id";
