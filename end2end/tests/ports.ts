// Ports of the dashboards the browser tests start (playwright.config.ts): the main one on
// ZTD_E2E_PORT (3400) with its built-in sandbox one above, and, with PostgreSQL, two replicas
// and their standalone sandbox above those.
export const MAIN_PORT = Number(process.env.ZTD_E2E_PORT ?? 3400);
export const REPLICA_PORTS = [MAIN_PORT + 10, MAIN_PORT + 11];
export const REPLICA_SANDBOX_PORT = MAIN_PORT + 12;
