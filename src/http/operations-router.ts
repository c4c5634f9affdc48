import { Router } from 'express';
import type { GatewayMetrics } from '../operations/gateway-metrics.js';
import { checkReadiness, type ReadinessSources } from '../operations/readiness.js';

export interface OperationsDependencies {
  metrics: GatewayMetrics;
  readiness: ReadinessSources;
}

/**
 * GET /readyz and GET /metrics (ICD 4). /healthz (alive) is answered by the app itself. Neither
 * exposes configuration: no AMQP URL, no key material, only states, counts and codes.
 */
export function operationsRouter(deps: OperationsDependencies): Router {
  const router = Router();
  router.get('/readyz', async (_req, res) => {
    const report = await checkReadiness(deps.readiness);
    res.status(report.status === 'ready' ? 200 : 503).json(report);
  });
  router.get('/metrics', async (_req, res) => {
    const { contentType, body } = await deps.metrics.exposition();
    res.type(contentType).send(body);
  });
  return router;
}
