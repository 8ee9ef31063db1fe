import http, { type Server } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Config } from './config';
import { sendProblem, problemType } from './http/problem';

export type ServerLimits = Pick<Config, 'HTTP_REQUEST_TIMEOUT_MS' | 'HTTP_HEADERS_TIMEOUT_MS' | 'HTTP_MAX_CONNECTIONS'>;

/** Seconds a shed or refused client is told to wait before retrying. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * The HTTP server with explicit limits: a whole request (headers and body)
 * must arrive within HTTP_REQUEST_TIMEOUT_MS (else 408 and the connection
 * closes), headers within HTTP_HEADERS_TIMEOUT_MS, and at most
 * HTTP_MAX_CONNECTIONS connections are open at once. Node checks the timeouts
 * every connectionsCheckingInterval, so that is a fraction of the shortest one.
 */
export function createHttpServer(handler: http.RequestListener, limits: ServerLimits): Server {
  const server = http.createServer(
    {
      requestTimeout: limits.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeout: limits.HTTP_HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: Math.max(100, Math.floor(Math.min(limits.HTTP_REQUEST_TIMEOUT_MS, limits.HTTP_HEADERS_TIMEOUT_MS) / 10)),
    },
    handler,
  );
  server.maxConnections = limits.HTTP_MAX_CONNECTIONS;
  return server;
}

/**
 * Load shedding: beyond `inFlightMax` requests in flight, a new one is
 * answered at once with 503 and Retry-After instead of queueing behind the
 * others (and starving everything, /health included, of the event loop).
 */
export function shedLoad(inFlightMax: number): RequestHandler {
  let inFlight = 0;
  return (req: Request, res: Response, next: NextFunction) => {
    if (inFlight >= inFlightMax) {
      sendProblem(
        res,
        {
          type: problemType('overloaded'),
          title: 'Overloaded',
          status: 503,
          detail: `the service is handling ${inFlightMax} requests already; retry after ${RETRY_AFTER_SECONDS} s`,
          code: 'overloaded',
          instance: req.originalUrl,
          requestId: res.locals.requestId === undefined ? undefined : String(res.locals.requestId),
        },
        { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      );
      return;
    }
    inFlight += 1;
    res.once('close', () => (inFlight -= 1));
    next();
  };
}
