/**
 * One shape per kind of value, in and out (docs/money-and-value-dates.md,
 * "Conventions of the API"). This walks the OpenAPI document the app serves
 * and fails on every operation whose money, unit price, quantity, ratio,
 * timestamp or date fields are not the shared components, and on every
 * response that is not the bare resource or the one page envelope.
 *
 * The rule, for every schema reachable from an operation's parameters,
 * request body and JSON responses (through properties, items,
 * additionalProperties, anyOf/oneOf/allOf and $refs to other components):
 *
 * 1. A `$ref` to one of the value components is a leaf: it is the shape
 *    (ExactMoney, money finer than the currency's scale, counts as Money).
 * 2. Otherwise a field is refused when its NAME says what it holds and it
 *    is not that component: a ratio name (rate, ltv, haircut, percent,
 *    ratio) must be `Ratio`; a price name (price, unitPrice, …PerUnit) `UnitPrice`; a
 *    quantity name (quantity…) `Quantity`; an instant name (…At, since,
 *    …Deadline) `Timestamp`; `asOf` (an instant, or a day for balances)
 *    either; a date name (…Date, …On, from, to,
 *    date) `CalendarDate`; a money name (amount, limit, principal,
 *    interest, outstanding, availability, fee(s), balance, value, total,
 *    paid, due, debit, credit, proceeds, repayment, borrowingBase, toSeller,
 *    …UpTo, opening, closing) `Money`. Integers, booleans, enums, uuids and
 *    constants and arrays are not values of these kinds (page `limit`,
 *    `lotCount`, `curePeriodHours`, an event's `version`), and names ending
 *    in Id are identifiers.
 * 3. Whatever its name, a string that looks like a decimal (a pattern that
 *    accepts "12.5", or a decimal example) or an instant/date (format
 *    date-time/date, a date pattern) is refused outside the components; so
 *    is any JSON `number` (binary floats).
 * 4. The components themselves have the documented shapes.
 * 5. A 2xx JSON response with `items` and `nextCursor` is a page: exactly
 *    `{items, nextCursor}`, nothing else. Any other is a single resource,
 *    answered bare: never a one-property wrapper around another object
 *    (`{lot: {…}}`). (A resource may page a part of itself with its own
 *    cursor, e.g. a statement's entries; it is still the bare resource.)
 */
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';

type Schema = Record<string, unknown>;
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}
interface Operation {
  parameters?: { name: string; in: string; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}

const VALUE_COMPONENTS = ['Money', 'ExactMoney', 'UnitPrice', 'Quantity', 'Ratio', 'Timestamp', 'CalendarDate'] as const;
type ValueComponent = (typeof VALUE_COMPONENTS)[number];

/** What a field's name says it holds; first match wins (a rate is not money, a price is not money). */
const NAME_RULES: [RegExp, ValueComponent | 'Timestamp or CalendarDate'][] = [
  [/(rate|ltv|haircut|percent|ratio)s?$/i, 'Ratio'],
  [/^(price|unitPrice)$|PerUnit$/, 'UnitPrice'],
  [/^quantity|quantity$|^quantity[A-Z]/, 'Quantity'],
  [/^asOf$/, 'Timestamp or CalendarDate'],
  [/(At|^since|Deadline|^deadline)$/, 'Timestamp'],
  [/(Date|On|^date|^from|^to)$/, 'CalendarDate'],
  [
    /^(amount|limit|principal|interest|outstanding|availability|fees?|balance|value|total|paid|due|debit|credit|proceeds|repayment|borrowingBase|toSeller|opening|closing|perDraw)$|(Amount|Limit|Principal|Interest|Outstanding|Availability|Fees?|Balance|Value|Total|Paid|Due|Debit|Credit|Proceeds|Repayment|Receivable|Payable|UpTo|BorrowingBase|Price)$|^(total|amount|fee|interest|principal|outstanding)[A-Z]/,
    'Money',
  ],
];

const DECIMAL_SAMPLES = ['12.5', '1'];
const isDecimalLike = (schema: Schema): boolean => {
  if (typeof schema.pattern === 'string') {
    const pattern = new RegExp(schema.pattern);
    if (DECIMAL_SAMPLES.every((sample) => pattern.test(sample))) return true;
  }
  return typeof schema.example === 'string' && /^-?\d+\.\d+$/.test(schema.example);
};
const isInstantOrDateLike = (schema: Schema): boolean =>
  schema.format === 'date-time' || schema.format === 'date' || (typeof schema.pattern === 'string' && new RegExp(schema.pattern).test('2026-12-03'));

function refName(schema: Schema): string | null {
  return typeof schema.$ref === 'string' ? schema.$ref.replace('#/components/schemas/', '') : null;
}

const types = (schema: Schema): string[] => (Array.isArray(schema.type) ? (schema.type as string[]) : typeof schema.type === 'string' ? [schema.type] : []);

/** Every deviation under `schema`, reached at `where`, for a field called `name` (null at a root). */
function deviations(doc: Document, schema: Schema, where: string, name: string | null, seen: Set<string>): string[] {
  const ref = refName(schema);
  if (ref !== null) {
    if ((VALUE_COMPONENTS as readonly string[]).includes(ref)) {
      const expected = name === null ? null : NAME_RULES.find(([pattern]) => pattern.test(name))?.[1];
      // ExactMoney (18 places: a day's exact interest, carried remainders) is money too, finer than the currency's scale.
      const fits = expected === ref || (expected === 'Money' && ref === 'ExactMoney') || (expected === 'Timestamp or CalendarDate' && (ref === 'Timestamp' || ref === 'CalendarDate'));
      return expected && !fits ? [`${where}: ${name} is ${ref}, its name says ${expected}`] : [];
    }
    if (seen.has(ref)) return [];
    return deviations(doc, doc.components.schemas[ref], `${where}→${ref}`, name, new Set([...seen, ref]));
  }
  const found: string[] = [];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    for (const member of (schema[key] as Schema[] | undefined) ?? []) found.push(...deviations(doc, member, where, name, seen));
  }
  if (schema.anyOf || schema.oneOf || schema.allOf) return found;

  const kinds = types(schema);
  const properties = schema.properties as Record<string, Schema> | undefined;
  // An object spelling a value inline ({amount: "…", …}) instead of naming its component.
  const isInlineValue = kinds.includes('object') && properties !== undefined && 'amount' in properties && refName(properties.amount) === null;
  const isConstant = 'const' in schema || Array.isArray(schema.enum);
  if (kinds.includes('number') && !isConstant) found.push(`${where}: a JSON number (use a decimal string component)`);
  const isIdentifier = name !== null && /(Id|Ids|^id)$/.test(name);
  const isScalarCarrier = kinds.includes('string') || kinds.includes('number') || kinds.length === 0;
  if (name !== null && !isIdentifier && !isConstant && schema.format !== 'uuid' && (isInlineValue || (isScalarCarrier && !properties))) {
    const expected = NAME_RULES.find(([pattern]) => pattern.test(name))?.[1];
    if (expected) found.push(`${where}: ${name} must be $ref ${expected}`);
  }
  if (kinds.includes('string') && !isIdentifier && schema.format !== 'uuid') {
    if (isDecimalLike(schema)) found.push(`${where}: a decimal string outside the components`);
    else if (isInstantOrDateLike(schema)) found.push(`${where}: a date or instant outside the components`);
  }
  if (isInlineValue) {
    found.push(`${where}: an {amount, …} object that is not a component`);
    return found;
  }
  for (const [property, child] of Object.entries((schema.properties as Record<string, Schema> | undefined) ?? {})) {
    found.push(...deviations(doc, child, `${where}.${property}`, property, seen));
  }
  if (schema.items) found.push(...deviations(doc, schema.items as Schema, `${where}[]`, name, seen));
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    found.push(...deviations(doc, schema.additionalProperties as Schema, `${where}{}`, name, seen));
  }
  return found;
}

function resolve(doc: Document, schema: Schema): Schema {
  const ref = refName(schema);
  return ref === null ? schema : resolve(doc, doc.components.schemas[ref]);
}

function envelopeDeviations(doc: Document, schema: Schema, where: string): string[] {
  const resolved = resolve(doc, schema);
  if (!types(resolved).includes('object') || !resolved.properties) return [];
  const properties = resolved.properties as Record<string, Schema>;
  const names = Object.keys(properties);
  if ('items' in properties && 'nextCursor' in properties) {
    const isPage = names.length === 2 && types(resolve(doc, properties.items)).includes('array');
    return isPage ? [] : [`${where}: a page must be exactly {items, nextCursor}, has {${names.join(', ')}}`];
  }
  if (names.length === 1 && types(resolve(doc, properties[names[0]])).includes('object')) {
    return [`${where}: wraps the resource as {${names[0]}: …}; answer the object bare`];
  }
  return [];
}

let doc: Document;

beforeAll(async () => {
  // The document is built from the route schemas alone: no database, no Temporal.
  const app = createApp({ prisma: undefined as never, logger: pino({ level: 'silent' }), temporal: {} as never });
  doc = (await request(app).get('/openapi.json').expect(200)).body as Document;
});

function operations(): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => [`${method.toUpperCase()} ${path}`, operation] as [string, Operation]));
}

describe('one shape per kind of value (OpenAPI)', () => {
  test('the value components have their documented shapes', () => {
    const schemas = doc.components.schemas;
    const money = schemas.Money as { properties: Record<string, Schema>; required: string[] };
    expect(Object.keys(money.properties).sort()).toEqual(['amount', 'currency']);
    expect(money.required.sort()).toEqual(['amount', 'currency']);
    expect(money.properties.currency.pattern).toBe('^[A-Z]{3}$');
    const unitPrice = schemas.UnitPrice as { properties: Record<string, Schema>; required: string[] };
    expect(unitPrice.required.sort()).toEqual(['amount', 'currency', 'unit']);
    const quantity = schemas.Quantity as { properties: Record<string, Schema>; required: string[] };
    expect(quantity.required.sort()).toEqual(['amount', 'unit']);
    for (const decimal of [money.properties.amount, unitPrice.properties.amount, quantity.properties.amount, schemas.Ratio]) {
      expect(new RegExp(String(decimal.pattern)).test('1.5')).toBe(true);
      expect(new RegExp(String(decimal.pattern)).test('1e5')).toBe(false);
    }
    expect(schemas.Timestamp.format).toBe('date-time');
    expect(schemas.CalendarDate.pattern).toBe('^\\d{4}-\\d{2}-\\d{2}$');
    for (const name of VALUE_COMPONENTS) expect(typeof schemas[name].description).toBe('string');
  });

  test('no operation has a money, price, quantity, ratio, timestamp or date field outside the shared components', () => {
    const found: string[] = [];
    for (const [operationName, operation] of operations()) {
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in === 'header') continue;
        found.push(...deviations(doc, parameter.schema, `${operationName} ${parameter.in}.${parameter.name}`, parameter.name, new Set()));
      }
      for (const [mediaType, content] of Object.entries(operation.requestBody?.content ?? {})) {
        if (mediaType.includes('json')) found.push(...deviations(doc, content.schema, `${operationName} body`, null, new Set()));
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        const json = response.content?.['application/json'];
        if (json) found.push(...deviations(doc, json.schema, `${operationName} ${status}`, null, new Set()));
      }
    }
    expect(found).toEqual([]);
  });

  test('single resources are answered bare and pages as {items, nextCursor}', () => {
    const found: string[] = [];
    for (const [operationName, operation] of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const json = response.content?.['application/json'];
        if (json && status.startsWith('2')) found.push(...envelopeDeviations(doc, json.schema, `${operationName} ${status}`));
      }
    }
    expect(found).toEqual([]);
  });

  test('the walk catches each kind of deviation it is meant to', () => {
    const probe: Document = {
      paths: {},
      components: {
        schemas: {
          Money: { type: 'object', properties: { amount: { type: 'string' }, currency: { type: 'string' } } },
          Ratio: { type: 'string', pattern: '^\\d+(\\.\\d+)?$' },
        },
      },
    };
    const fields = (properties: Record<string, Schema>) => deviations(probe, { type: 'object', properties }, 'probe', null, new Set());
    expect(fields({ fee: { type: 'string', pattern: '^-?\\d+(\\.\\d+)?$' } })).toEqual(['probe.fee: fee must be $ref Money', 'probe.fee: a decimal string outside the components']);
    expect(fields({ totalPrice: { type: 'string' } })).toEqual(['probe.totalPrice: totalPrice must be $ref Money']);
    expect(fields({ availability: { type: 'string' } })).toEqual(['probe.availability: availability must be $ref Money']);
    expect(fields({ ltv: { $ref: '#/components/schemas/Money' } })).toEqual(['probe.ltv: ltv is Money, its name says Ratio']);
    expect(fields({ createdAt: { type: 'string' } })).toEqual(['probe.createdAt: createdAt must be $ref Timestamp']);
    expect(fields({ nested: { type: 'object', properties: { x: { type: 'string', example: '0.25' } } } })).toEqual(['probe.nested.x: a decimal string outside the components']);
    expect(fields({ price: { type: 'object', properties: { amount: { type: 'string' }, currency: { type: 'string' } } } })).toHaveLength(2);
    expect(fields({ weight: { type: 'number' } })).toEqual(['probe.weight: a JSON number (use a decimal string component)']);
    expect(fields({ limit: { $ref: '#/components/schemas/Money' }, haircut: { $ref: '#/components/schemas/Ratio' }, lotCount: { type: 'integer' }, creditLineId: { type: 'string', format: 'uuid' } })).toEqual([]);
    expect(envelopeDeviations(probe, { type: 'object', properties: { lot: { type: 'object', properties: {} } } }, 'probe')).toHaveLength(1);
    expect(envelopeDeviations(probe, { type: 'object', properties: { items: { type: 'array' }, nextCursor: { type: 'string' }, total: { type: 'string' } } }, 'probe')).toHaveLength(1);
    expect(envelopeDeviations(probe, { type: 'object', properties: { items: { type: 'array' }, nextCursor: { type: ['string', 'null'] } } }, 'probe')).toEqual([]);
  });
});
