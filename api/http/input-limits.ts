import type { FieldProblem } from './problem';

/**
 * Limits every request's parsed input must keep before anything else looks at
 * it (authentication, schemas, hashing, handlers). They are far above any real
 * request of this API and low enough that no walk over the input can exhaust
 * the stack or the CPU. The check itself is iterative.
 */
export const NESTING_DEPTH_MAX = 32;
export const STRING_LENGTH_MAX = 10_000;
export const ARRAY_LENGTH_MAX = 1_000;
export const OBJECT_KEYS_MAX = 1_000;

const NUL = '\u0000';

/** The index of the first lone UTF-16 surrogate in `text`, or -1: such a string has no UTF-8 form and PostgreSQL refuses it. */
function loneSurrogateAt(text: string): number {
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i += 1;
        continue;
      }
      return i;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) return i;
  }
  return -1;
}

/** Why a text value cannot be accepted, or null. Shared by the edge walk and the zod `Text` schema. */
export function textProblem(text: string): string | null {
  if (text.length > STRING_LENGTH_MAX) return `is ${text.length} characters long; at most ${STRING_LENGTH_MAX} are accepted`;
  const nul = text.indexOf(NUL);
  if (nul >= 0) return `contains a NUL character (U+0000) at position ${nul}; text must not contain NUL`;
  const surrogate = loneSurrogateAt(text);
  if (surrogate >= 0) return `contains a lone UTF-16 surrogate at position ${surrogate}; text must be valid Unicode`;
  return null;
}

function childPath(parent: string, key: string | number): string {
  return `${parent}.${key}`;
}

/**
 * The first problem in `value` (a parsed body, query or path), named by its
 * path as the client sent it (`body.items.3.name`, as zod names it), or null. Object keys are
 * checked like text, since they become field names in errors and logs.
 */
export function inputProblem(location: string, value: unknown): FieldProblem | null {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: location, depth: 0 }];
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (typeof current.value === 'string') {
      const reason = textProblem(current.value);
      if (reason) return { path: current.path, reason };
      continue;
    }
    if (current.value === null || typeof current.value !== 'object') continue;
    if (current.depth >= NESTING_DEPTH_MAX) {
      return { path: current.path, reason: `is nested more than ${NESTING_DEPTH_MAX} levels deep; flatten the request` };
    }
    if (Array.isArray(current.value)) {
      if (current.value.length > ARRAY_LENGTH_MAX) return { path: current.path, reason: `has ${current.value.length} items; at most ${ARRAY_LENGTH_MAX} are accepted` };
      current.value.forEach((item, index) => stack.push({ value: item, path: childPath(current.path, index), depth: current.depth + 1 }));
      continue;
    }
    const keys = Object.keys(current.value);
    if (keys.length > OBJECT_KEYS_MAX) return { path: current.path, reason: `has ${keys.length} fields; at most ${OBJECT_KEYS_MAX} are accepted` };
    for (const key of keys) {
      const keyReason = textProblem(key);
      if (keyReason) return { path: current.path, reason: `has a field name that ${keyReason}` };
      stack.push({ value: (current.value as Record<string, unknown>)[key], path: childPath(current.path, key), depth: current.depth + 1 });
    }
  }
  return null;
}
