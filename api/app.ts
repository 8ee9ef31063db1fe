import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { AppDeps } from './http/deps';
import { HttpProblem, problemFromError, problemType, sendProblem, type Problem } from './http/problem';
import { mountRoute, type AnyRoute } from './http/route';
import { mountInvitationClaim } from './identity/invitations';
import { mountAuthRoutes } from './auth/routes';
import { healthRouter } from './health/routes';
import { allRoutes, openApiDocument, openApiRegistry } from './openapi';
import { countingWorkflowStarts, createMetrics, UNMATCHED_ROUTE } from './metrics';
import { HTTP_IN_FLIGHT_MAX_DEFAULT } from './config';
import { shedLoad } from './server';
import { consoleRouter } from './console/serve';
import type { DatabaseState } from '../prisma/database';

export { allRoutes };

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The route template (`/credit-lines/:lineId`), never the raw URL, so that metric labels stay bounded. */
function routeLabel(req: Request): string {
  if (req.route) return String(req.route.path);
  return req.baseUrl || UNMATCHED_ROUTE;
}

/**
 * The body parser's refusals (http-errors with a 4xx status), as problem+json
 * naming what was wrong: the body, its Content-Type or its Content-Encoding.
 */
function bodyParserProblem(error: unknown, req: Request): Problem | null {
  const bodyError = error as { type?: unknown; status?: unknown; code?: unknown; message?: unknown; expose?: unknown } | null;
  if (!bodyError || typeof bodyError.status !== 'number' || bodyError.status < 400 || bodyError.status > 499 || bodyError.expose !== true) return null;
  const problem = (status: number, code: string, title: string, path: string, reason: string): Problem => ({
    type: problemType(code),
    title,
    status,
    detail: `${path} ${reason}`,
    code,
    errors: [{ path, reason }],
  });
  const encoding = req.header('content-encoding') ?? 'identity';
  if (bodyError.type === 'entity.too.large') return problem(413, 'payload_too_large', 'Payload too large', 'body', `is larger than ${BODY_SIZE_MAX}`);
  if (bodyError.type === 'charset.unsupported') {
    return problem(415, 'unsupported_media_type', 'Unsupported media type', 'header.Content-Type', `names a charset that is not supported (${String(bodyError.message)}); send UTF-8 JSON`);
  }
  if (bodyError.type === 'encoding.unsupported') {
    return problem(415, 'unsupported_content_encoding', 'Unsupported content encoding', 'header.Content-Encoding', `"${encoding}" is not supported; send gzip, deflate, br or identity`);
  }
  // zlib (gzip, deflate: Z_…) and brotli (ERR__ERROR_…) decoding failures.
  if (typeof bodyError.code === 'string' && /^(Z_|ERR__ERROR_)/.test(bodyError.code)) {
    return problem(400, 'malformed_body', 'Malformed body', 'header.Content-Encoding', `is "${encoding}" but the body is not valid ${encoding} data`);
  }
  if (bodyError.type === 'entity.parse.failed') return problem(400, 'malformed_body', 'Malformed body', 'body', `is not valid JSON: ${String(bodyError.message)}`);
  return problem(bodyError.status, 'malformed_body', 'Malformed body', 'body', `could not be read: ${String(bodyError.message)}`);
}

const BODY_SIZE_MAX = '1mb';

/** Limits and probes of the running service; tests and scripts may leave them out. */
export interface AppOptions {
  /** Requests in flight at once before new ones are shed with 503 (see api/server.ts). Default: HTTP_IN_FLIGHT_MAX's default. */
  inFlightMax?: number;
  /** What the database watch last saw (prisma/database.ts); /ready reports it. */
  databaseState?: () => DatabaseState;
  /** The built console's folder; default dist/console under the working directory (api/console/serve.ts). */
  consoleDir?: string;
  /**
   * Express's `trust proxy` (HTTP_TRUST_PROXY): which proxies' X-Forwarded-For/-Proto to believe, for the
   * client address that sign-in limits count and for `req.secure` (the session cookie's Secure flag). Default: none.
   */
  trustProxy?: boolean | number | string;
}

export function createApp(givenDeps: AppDeps, routes: AnyRoute[] = allRoutes(), options: AppOptions = {}) {
  const metrics = givenDeps.metrics ?? createMetrics({ db: givenDeps.prisma });
  const deps: AppDeps = { ...givenDeps, metrics, temporal: countingWorkflowStarts(givenDeps.temporal, metrics) };
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.set('trust proxy', options.trustProxy ?? false);

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
  // Probes first: answered before load shedding and body parsing, so they stay fast when the service is saturated.
  app.use(healthRouter(deps, { databaseState: options.databaseState }));
  app.use(shedLoad(options.inFlightMax ?? HTTP_IN_FLIGHT_MAX_DEFAULT));
  app.use(express.json({ limit: BODY_SIZE_MAX, strict: true, type: ['application/json', 'application/*+json'] }));

  app.get('/metrics', async (_req, res) => {
    const { contentType, body } = await metrics.exposition();
    res.set('Content-Type', contentType).set('Cache-Control', 'no-store').send(body);
  });

  const router = express.Router();
  mountInvitationClaim(router, deps);
  mountAuthRoutes(router, deps);
  for (const route of routes) mountRoute(router, deps, route);
  const openApiDocumentServed = openApiDocument(openApiRegistry(routes));
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocumentServed);
  });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(openApiDocumentServed, { customSiteTitle: 'Godown API' }));
  app.use(router);
  // The console (its page and files) after every API route, so that it never shadows one.
  app.use(consoleRouter(options.consoleDir));

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new HttpProblem(404, 'route_not_found', 'Not found', `no route ${req.method} ${req.path}; see /openapi.json for the API`));
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const requestId = String(res.locals.requestId);
    // The router could not percent-decode a path parameter (it marks the URIError with status 400).
    if (error instanceof URIError && (error as URIError & { status?: unknown }).status === 400) {
      const reason = 'holds a percent-encoding that is not valid UTF-8';
      sendProblem(res, { type: problemType('validation_failed'), title: 'Invalid request', status: 400, detail: `path ${reason}`, code: 'validation_failed', errors: [{ path: 'path', reason }], instance: req.originalUrl, requestId });
      return;
    }
    const bodyProblem = bodyParserProblem(error, req);
    if (bodyProblem) {
      sendProblem(res, { ...bodyProblem, instance: req.originalUrl, requestId });
      return;
    }
    const { problem, headers, internal } = problemFromError(error);
    if (internal) deps.logger.error({ err: error, requestId, path: req.path }, 'request failed');
    sendProblem(res, { ...problem, instance: req.originalUrl, requestId }, headers);
  });
  return app;
}
