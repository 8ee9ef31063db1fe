import type { Request } from 'express';
import type { z } from 'zod';
import { HttpProblem } from './problem';

/** A representation a route offers besides JSON, chosen by `?format=` or by `Accept`. */
export interface OtherFormat {
  /** The value of `?format=` that asks for it, e.g. `csv`. */
  format: string;
  mediaType: string;
  description: string;
  /** The body's schema in the OpenAPI document (a string, or binary). */
  schema: z.ZodType;
}

export const JSON_FORMAT = 'json';
const JSON_MEDIA_TYPE = 'application/json';

/**
 * A body in another representation than JSON, answered as is with its media
 * type (and, for a download, a file name).
 */
export class RenderedBody {
  constructor(
    readonly mediaType: string,
    readonly body: Buffer | string,
    readonly fileName: string,
  ) {}
}

/**
 * The format a GET answers in: `?format=` when given (it wins over Accept, so
 * that a link can name its format), else the best of `Accept` (absent or
 * `*\/*`: JSON). Neither offered: 406 problem+json naming what was asked and
 * what is offered.
 */
export function negotiateFormat(req: Request, offered: OtherFormat[]): string {
  const all = [{ format: JSON_FORMAT, mediaType: JSON_MEDIA_TYPE }, ...offered];
  const formats = all.map((entry) => entry.format).join(', ');
  const mediaTypes = all.map((entry) => entry.mediaType).join(', ');
  const asked = req.query.format;
  if (asked !== undefined) {
    const chosen = typeof asked === 'string' ? all.find((entry) => entry.format === asked) : undefined;
    if (chosen) return chosen.format;
    const reason = `is ${JSON.stringify(asked)}; one of ${formats} is offered`;
    throw new HttpProblem(406, 'not_acceptable', 'Not acceptable', `query.format ${reason}`, [{ path: 'query.format', reason }]);
  }
  const best = req.accepts(all.map((entry) => entry.mediaType));
  if (best) return all.find((entry) => entry.mediaType === best)!.format;
  const reason = `is ${JSON.stringify(req.header('accept'))}; one of ${mediaTypes} is offered (or ?format=${formats.replaceAll(', ', '|')})`;
  throw new HttpProblem(406, 'not_acceptable', 'Not acceptable', `header Accept ${reason}`, [{ path: 'header.Accept', reason }]);
}
