import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { en, type MessageKey } from './en';
import { zhCN } from './zh-CN';
import { formatDate, formatDateTime, formatDecimal, formatMoney, formatRatioAsPercent, type Locale } from './format';

export type { MessageKey } from './en';
export type { Locale } from './format';

export const CATALOGUES: Record<Locale, Record<MessageKey, string>> = { 'en-US': en, 'zh-CN': zhCN };
export const LOCALES: Locale[] = ['en-US', 'zh-CN'];
const STORAGE_KEY = 'godown.locale';

function initialLocale(): Locale {
  const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (stored === 'en-US' || stored === 'zh-CN') return stored;
  return globalThis.navigator?.language?.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en-US';
}

/** `{name}` in a message is replaced by `values.name`. */
export function translate(locale: Locale, key: MessageKey, values: Record<string, string | number> = {}): string {
  return CATALOGUES[locale][key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

export interface I18n {
  locale: Locale;
  setLocale(locale: Locale): void;
  t(key: MessageKey, values?: Record<string, string | number>): string;
  /** Whether the catalogue has `key` (for keys built from API values, such as statuses). */
  has(key: string): key is MessageKey;
  money(money: { amount: string; currency: string } | null | undefined): string;
  amount(amount: string | null | undefined, currency: string): string;
  /** A Quantity component: `1,234.5 kg`. */
  quantity(quantity: { amount: string; unit: string } | null | undefined): string;
  /** A UnitPrice component: `USD 3.125 / kg`. */
  unitPrice(price: { amount: string; currency: string; unit: string } | null | undefined): string;
  decimal(value: string | null | undefined): string;
  percent(ratio: string | null | undefined): string;
  dateTime(iso: string | null | undefined): string;
  date(iso: string | null | undefined): string;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const setLocale = useCallback((next: Locale) => {
    globalThis.localStorage?.setItem(STORAGE_KEY, next);
    setLocaleState(next);
  }, []);
  const value = useMemo<I18n>(() => {
    const dash = CATALOGUES[locale]['common.none'];
    return {
      locale,
      setLocale,
      t: (key, values) => translate(locale, key, values),
      has: (key): key is MessageKey => key in CATALOGUES[locale],
      money: (money) => (money ? formatMoney(money.amount, money.currency, locale) : dash),
      amount: (amount, currency) => (amount === null || amount === undefined ? dash : formatMoney(amount, currency, locale)),
      quantity: (quantity) => (quantity ? `${formatDecimal(quantity.amount, locale)} ${quantity.unit}` : dash),
      unitPrice: (price) => (price ? `${formatMoney(price.amount, price.currency, locale)} / ${price.unit}` : dash),
      decimal: (value) => (value === null || value === undefined ? dash : formatDecimal(value, locale)),
      percent: (ratio) => (ratio === null || ratio === undefined ? dash : formatRatioAsPercent(ratio, locale)),
      dateTime: (iso) => (iso ? formatDateTime(iso, locale) : dash),
      date: (iso) => (iso ? formatDate(iso, locale) : dash),
    };
  }, [locale, setLocale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n needs an I18nProvider above it');
  return value;
}
