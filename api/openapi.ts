// The OpenAPI document, built from the routes' zod schemas alone: no database, no server. The app serves
// it at /openapi.json; `npm run generate` writes it to client/openapi.json for the typed client.
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { registerOpenApi, type AnyRoute } from './http/route';
import { registerInvitationClaim } from './identity/invitations';
import { registerAuthOpenApi } from './auth/routes';
import { CSRF_HEADER, SESSION_COOKIE } from './http/auth';
import { auditRoutes } from './audit/routes';
import { creditLineRoutes } from './credit-lines/routes';
import { ledgerRoutes } from './ledger/routes';
import { identityRoutes } from './identity/routes';
import { custodyRoutes } from './custody/routes';
import { valuationRoutes } from './valuation/routes';
import { salesRoutes } from './sales/routes';
import { drawRoutes } from './draws/routes';
import { notificationRoutes } from './notifications/routes';
import { marginRoutes } from './margin/routes';
import { organisationListRoutes } from './identity/organisations';
import { accrualRoutes } from './credit-lines/accruals';
import { delinquencyRoutes } from './credit-lines/delinquency';
import { interestBillRoutes } from './credit-lines/interest-bills';
import { termsRoutes } from './credit-lines/terms';
import { referenceRateRoutes } from './reference-rates/routes';
import { lineHistoryRoutes } from './credit-lines/history';
import { custodyListRoutes } from './custody/lists';
import { salesListRoutes } from './sales/lists';
import { drawListRoutes } from './draws/lists';
import { eventRoutes } from './events/routes';
import { webhookRoutes } from './webhooks/routes';
import { portfolioRoutes } from './portfolio/routes';

/** Every capability's routes, in the order they appear in the OpenAPI document. */
export function allRoutes(): AnyRoute[] {
  return [
    ...identityRoutes,
    ...organisationListRoutes,
    ...auditRoutes,
    ...creditLineRoutes,
    ...accrualRoutes,
    ...delinquencyRoutes,
    ...interestBillRoutes,
    ...termsRoutes,
    ...referenceRateRoutes,
    ...lineHistoryRoutes,
    ...ledgerRoutes,
    ...custodyListRoutes,
    ...custodyRoutes,
    ...valuationRoutes,
    ...salesListRoutes,
    ...salesRoutes,
    ...drawListRoutes,
    ...drawRoutes,
    ...notificationRoutes,
    ...marginRoutes,
    ...eventRoutes,
    ...webhookRoutes,
    ...portfolioRoutes,
  ];
}

/** Every operation of the API described with its zod schemas: the source of the document and of the test harness's response checks. */
export function openApiRegistry(routes: AnyRoute[] = allRoutes()): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key issued to a user, for integrations: "Authorization: Bearer gdk_…"',
  });
  registry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: `The console's session (POST /auth/login). Every write (non-GET) made with it must send header ${CSRF_HEADER} (the csrfToken of the session) and, if it sends Origin, this service's origin`,
  });
  registerInvitationClaim(registry);
  registerAuthOpenApi(registry);
  for (const route of routes) registerOpenApi(registry, route);
  return registry;
}

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

export function openApiDocument(registry: OpenAPIRegistry = openApiRegistry()): OpenApiDocument {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Godown API',
      version: '1.0.0',
      description:
        'Supply-chain finance on goods in custody. Amounts and quantities are decimal strings. Every POST needs an Idempotency-Key header; errors are RFC 9457 problem+json.',
    },
    servers: [{ url: '/' }],
  });
}
