import http, { type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Config } from './config';
import { sendProblem, problemType, type Problem } from './http/problem';

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
  server.on('clientError', answerClientError);
  return server;
}

/** How long a connection refused by the parser may stay open for the client to read the answer. */
const CLIENT_ERROR_LINGER_MS = 500;

/**
 * What Node's HTTP parser refuses before any handler runs (headers too large,
 * a malformed request line or header, a request or its headers arriving too
 * slowly), as problem+json like every other refusal. Node's default answers a
 * bare status line.
 */
export function clientErrorProblem(error: NodeJS.ErrnoException): Problem {
  const shape = (status: number, code: string, title: string, detail: string): Problem => ({ type: problemType(code), title, status, detail, code });
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return shape(431, 'request_header_fields_too_large', 'Request header fields too large', `the request's headers exceed ${http.maxHeaderSize} bytes`);
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return shape(413, 'chunk_extensions_too_large', 'Chunk extensions too large', 'the chunk extensions of the request body are too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return shape(408, 'request_timeout', 'Request timeout', 'the request (headers and body) did not arrive in time; send it again, faster');
    default:
      return shape(400, 'malformed_request', 'Malformed request', `the request is not valid HTTP/1.1 (${error.code ?? 'parse error'})`);
  }
}

/**
 * Node's default does the same with a bare status line: answer only while the
 * socket can still be written and no response has started on it (otherwise
 * the bytes would corrupt what the client is reading), then close.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
    const problem = clientErrorProblem(error);
    const body = JSON.stringify(problem);
    socket.end(
      `HTTP/1.1 ${problem.status} ${http.STATUS_CODES[problem.status]}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
    // The client may keep its side open (a slow sender always does): the connection goes anyway.
    setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS).unref();
    return;
  }
  socket.destroy();
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
