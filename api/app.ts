import { randomUUID } from 'node:crypto';
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import express, { type NextFunction, type Request, type Response } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { AppDeps } from './http/deps';
import { HttpProblem, problemFromError, sendProblem } from './http/problem';
import { mountRoute, type AnyRoute } from './http/route';
import { auditRoutes } from './audit/routes';
import { creditLineRoutes } from './credit-lines/routes';
import { ledgerRoutes } from './ledger/routes';
import { identityRoutes } from './identity/routes';
import { mountInvitationClaim } from './identity/invitations';
import { oneTimeSecrets } from './identity/one-time-secrets';
import { custodyRoutes } from './custody/routes';
import { valuationRoutes } from './valuation/routes';
import { salesRoutes } from './sales/routes';
import { healthRouter } from './health/routes';
import { drawRoutes } from './draws/routes';
import { notificationRoutes } from './notifications/routes';
import { marginRoutes } from './margin/routes';
import { countingWorkflowStarts, createMetrics, UNMATCHED_ROUTE } from './metrics';

/** Every capability's routes, in the order they appear in the OpenAPI document. */
export function allRoutes(): AnyRoute[] {
  return [...identityRoutes, ...auditRoutes, ...creditLineRoutes, ...ledgerRoutes, ...custodyRoutes, ...valuationRoutes, ...salesRoutes, ...drawRoutes, ...notificationRoutes, ...marginRoutes];
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The route template (`/credit-lines/:lineId`), never the raw URL, so that metric labels stay bounded. */
function routeLabel(req: Request): string {
  if (req.route) return String(req.route.path);
  return req.baseUrl || UNMATCHED_ROUTE;
}

export function createApp(givenDeps: AppDeps, routes: AnyRoute[] = allRoutes()) {
  const metrics = givenDeps.metrics ?? createMetrics({ db: givenDeps.prisma });
  const deps: AppDeps = { ...givenDeps, metrics, temporal: countingWorkflowStarts(givenDeps.temporal, metrics) };
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.header('x-request-id');
    const requestId = incoming && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.set('X-Request-Id', requestId);
    const startedAt = process.hrtime.bigint();
    res.on('finish', () => {
      const durationNs = Number(process.hrtime.bigint() - startedAt);
      metrics.httpRequestSeconds.observe({ method: req.method, route: routeLabel(req), status: String(res.statusCode) }, durationNs / 1e9);
      deps.logger.info(
        {
          requestId,
          method: req.method,
          route: req.route?.path ?? null,
          path: req.path,
          status: res.statusCode,
          durationMs: durationNs / 1e6,
          userId: res.locals.actor?.userId,
        },
        'request',
      );
    });
    next();
  });
  app.use(express.json({ limit: '1mb', strict: true, type: ['application/json', 'application/*+json'] }));

  app.use(healthRouter(deps));
  app.get('/metrics', async (_req, res) => {
    const { contentType, body } = await metrics.exposition();
    res.set('Content-Type', contentType).set('Cache-Control', 'no-store').send(body);
  });

  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key issued to a user: "Authorization: Bearer gdk_…"',
  });
  const router = express.Router();
  router.use(oneTimeSecrets);
  mountInvitationClaim(router, registry, deps);
  for (const route of routes) mountRoute(router, registry, deps, route);
  const openApiDocument = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Godown API',
      version: '1.0.0',
      description:
        'Supply-chain finance on goods in custody. Amounts and quantities are decimal strings. Every POST needs an Idempotency-Key header; errors are RFC 9457 problem+json.',
    },
    servers: [{ url: '/' }],
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(openApiDocument, { customSiteTitle: 'Godown API' }));
  app.use(router);

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new HttpProblem(404, 'route_not_found', 'Not found', `no route ${req.method} ${req.path}; see /openapi.json for the API`));
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const requestId = String(res.locals.requestId);
    const bodyError = error as { type?: string; status?: number; message?: string };
    if (bodyError?.type === 'entity.parse.failed' || bodyError?.type === 'entity.too.large') {
      const detail = bodyError.type === 'entity.too.large' ? 'the request body is larger than 1 MB' : `the request body is not valid JSON: ${bodyError.message}`;
      sendProblem(res, { type: 'urn:godown:problem:malformed_body', title: 'Malformed body', status: bodyError.status ?? 400, detail, code: 'malformed_body', requestId, errors: [{ path: 'body', reason: detail }] });
      return;
    }
    const { problem, headers, internal } = problemFromError(error);
    if (internal) deps.logger.error({ err: error, requestId, path: req.path }, 'request failed');
    sendProblem(res, { ...problem, instance: req.originalUrl, requestId }, headers);
  });
  return app;
}
