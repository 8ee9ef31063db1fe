import { useState } from 'react';
import type { FormInstance } from 'antd';
import { asApiProblem, newIdempotencyKey } from '../api';

/** A decimal as the API takes it: digits, optionally a point and more digits (no exponent, no grouping). */
export const DECIMAL_PATTERN = /^\d{1,20}(\.\d{1,18})?$/;

/**
 * One intended write: its Idempotency-Key stays the same across retries of a failed attempt and
 * is renewed once it succeeded. Field errors named by the API (`body.x`) are put on the form's field x.
 */
export function useWrite() {
  const [key, setKey] = useState(newIdempotencyKey);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function run<T>(write: (idempotencyKey: string) => Promise<T>, form?: FormInstance): Promise<T | undefined> {
    setBusy(true);
    setError(null);
    try {
      const result = await write(key);
      setKey(newIdempotencyKey());
      return result;
    } catch (caught) {
      const problem = asApiProblem(caught);
      const fields = (problem?.problem.errors ?? []).filter((field) => field.path.startsWith('body.'));
      if (form && fields.length > 0) {
        form.setFields(fields.map((field) => ({ name: formFieldOf(form, field.path.slice('body.'.length).split('.')), errors: [field.reason] })));
      }
      setError(problem ?? caught);
      return undefined;
    } finally {
      setBusy(false);
    }
  }
  return { run, error, busy, clearError: () => setError(null) };
}

/**
 * The form field an API path points into: the longest run of its segments that names a field of the
 * form (`body.amount.amount` → the form's `amount`; `body.items.0.quantity.amount` → `quantity`,
 * where the form has one item), else the path itself.
 */
function formFieldOf(form: FormInstance, segments: string[]): string[] {
  for (let length = segments.length; length > 0; length -= 1) {
    for (let start = 0; start + length <= segments.length; start += 1) {
      const name = segments.slice(start, start + length);
      if (form.getFieldInstance(name)) return name;
    }
  }
  return segments;
}
