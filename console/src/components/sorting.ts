import { compareDecimals } from '../i18n/format';

/**
 * Column sorters for the rows a table shows (antd `sorter`). Amounts are compared as the exact
 * decimals the server sent (never as JavaScript numbers); timestamps and dates as ISO text, which
 * orders them; other text by the reader's locale. A missing value sorts first.
 */
export function byDecimal<T>(pick: (row: T) => string | null | undefined): (left: T, right: T) => number {
  return (left, right) => {
    const a = pick(left);
    const b = pick(right);
    if (a == null || b == null) return a == null ? (b == null ? 0 : -1) : 1;
    return compareDecimals(a, b);
  };
}

export function byText<T>(pick: (row: T) => string | null | undefined): (left: T, right: T) => number {
  return (left, right) => (pick(left) ?? '').localeCompare(pick(right) ?? '');
}

export function byCount<T>(pick: (row: T) => number): (left: T, right: T) => number {
  return (left, right) => pick(left) - pick(right);
}
