import fc from 'fast-check';
import { advanceRateFor, validateCreditTerms, type CreditTerms, type TermsProblem } from '../../domain/credit-terms';
import { D, Money } from '../../domain/money';

const d = (value: string) => new D(value);
const usd = (amount: string) => Money.of(amount, 'USD');

/** The canonical apples line (docs/domain.md, "The canonical story"): 50 % advance, fee on sale = 30 days of storage. */
function appleLineTerms(overrides: Partial<CreditTerms> = {}): CreditTerms {
  return {
    currency: 'USD',
    limit: usd('100000.00'),
    defaultAdvanceRate: d('0.5'),
    advanceRatesByCommodity: { ONIONS: d('0.55') },
    haircut: d('0.10'),
    annualInterestRate: d('0.12'),
    dayCount: 'ACT_360',
    feeSchedule: {
      onSale: { kind: 'STORAGE_DAYS', days: 30, dailyStorageRatePerUnit: usd('0.0004'), unit: 'kg' },
      perDraw: null,
    },
    maxMarkAgeHours: 48,
    marginCallLtv: d('0.6'),
    liquidationLtv: d('0.8'),
    targetLtv: d('0.45'),
    curePeriodHours: 72,
    stockCountIntervalDays: 30,
    maturityDate: '2026-12-31',
    approvalThresholds: { autoApproveUpTo: usd('5000.00'), singleApproverUpTo: usd('25000.00') },
    approvalWindowHours: 48,
    waterfallOrder: ['FEES', 'INTEREST', 'PRINCIPAL'],
    ...overrides,
  };
}

function problemsAt(problems: TermsProblem[], field: string): string[] {
  return problems.filter((p) => p.field === field).map((p) => p.reason);
}

describe('validateCreditTerms', () => {
  test('the canonical apples line is consistent', () => {
    expect(validateCreditTerms(appleLineTerms())).toEqual([]);
  });

  test('a percent-of-proceeds fee and a per-draw fee are accepted', () => {
    const terms = appleLineTerms({
      feeSchedule: { onSale: { kind: 'PERCENT_OF_PROCEEDS', percent: d('1.5') }, perDraw: usd('25.00') },
    });
    expect(validateCreditTerms(terms)).toEqual([]);
  });

  describe('LTV thresholds', () => {
    test('targetLtv at or above marginCallLtv is refused, saying both values', () => {
      const problems = validateCreditTerms(
        appleLineTerms({ targetLtv: d('0.8'), marginCallLtv: d('0.7'), liquidationLtv: d('0.9'), defaultAdvanceRate: d('0.85'), advanceRatesByCommodity: {} }),
      );
      expect(problemsAt(problems, 'terms.targetLtv')).toContain('targetLtv 0.8 must be below marginCallLtv 0.7');
    });

    test('targetLtv equal to marginCallLtv is refused (the hysteresis gap must not be empty)', () => {
      const problems = validateCreditTerms(appleLineTerms({ targetLtv: d('0.6') }));
      expect(problemsAt(problems, 'terms.targetLtv')).toContain('targetLtv 0.6 must be below marginCallLtv 0.6');
    });

    test('marginCallLtv at or above liquidationLtv is refused', () => {
      const problems = validateCreditTerms(appleLineTerms({ marginCallLtv: d('0.8') }));
      expect(problemsAt(problems, 'terms.marginCallLtv')).toEqual(['marginCallLtv 0.8 must be below liquidationLtv 0.8']);
    });

    test('liquidationLtv above 1.5 is refused; 1.5 itself is allowed', () => {
      expect(problemsAt(validateCreditTerms(appleLineTerms({ liquidationLtv: d('1.5') })), 'terms.liquidationLtv')).toEqual([]);
      expect(problemsAt(validateCreditTerms(appleLineTerms({ liquidationLtv: d('1.51') })), 'terms.liquidationLtv')).toEqual([
        'liquidationLtv 1.51 must be at most 1.5 (a fraction: 1.5 means 150 %)',
      ]);
    });

    test('targetLtv of zero is refused', () => {
      expect(problemsAt(validateCreditTerms(appleLineTerms({ targetLtv: d('0') })), 'terms.targetLtv')).toEqual([
        'targetLtv 0 must be greater than 0',
      ]);
    });

    test('an advance rate above marginCallLtv is refused: a full draw would open a margin call', () => {
      const problems = validateCreditTerms(appleLineTerms({ advanceRatesByCommodity: { ONIONS: d('0.65') } }));
      expect(problemsAt(problems, 'terms.advanceRatesByCommodity.ONIONS')).toEqual([
        'advanceRatesByCommodity.ONIONS 0.65 must not exceed marginCallLtv 0.6, or a full draw would open a margin call at once',
      ]);
    });

    test('targetLtv above an advance rate is refused: a cured line would still be over its base', () => {
      const problems = validateCreditTerms(appleLineTerms({ advanceRatesByCommodity: { PEARS: d('0.4') } }));
      expect(problemsAt(problems, 'terms.targetLtv')).toEqual([
        'targetLtv 0.45 must not exceed advanceRatesByCommodity.PEARS 0.4, or a cured line would still be over its borrowing base',
      ]);
    });

    test('any strictly ordered thresholds up to 1.5 that bracket the advance rates are accepted', () => {
      const basisPoints = fc.integer({ min: 1, max: 15000 });
      fc.assert(
        fc.property(fc.uniqueArray(basisPoints, { minLength: 4, maxLength: 4 }), (points) => {
          const [target, rate, marginCall, liquidation] = [...points].sort((a, b) => a - b).map((bp) => new D(bp).div(10000));
          fc.pre(rate.lte(1));
          const terms = appleLineTerms({
            targetLtv: target,
            defaultAdvanceRate: rate,
            advanceRatesByCommodity: {},
            marginCallLtv: marginCall,
            liquidationLtv: liquidation,
          });
          expect(validateCreditTerms(terms)).toEqual([]);
        }),
      );
    });

    test('a targetLtv at or above marginCallLtv is always reported on terms.targetLtv', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 14999 }), fc.integer({ min: 0, max: 5000 }), (marginCallBp, excessBp) => {
          const marginCall = new D(marginCallBp).div(10000);
          const target = marginCall.plus(new D(excessBp).div(10000));
          const problems = validateCreditTerms(appleLineTerms({ marginCallLtv: marginCall, targetLtv: target }));
          expect(problemsAt(problems, 'terms.targetLtv')).toContain(
            `targetLtv ${target.toString()} must be below marginCallLtv ${marginCall.toString()}`,
          );
        }),
      );
    });
  });

  describe('rates', () => {
    test.each([
      ['0', 'defaultAdvanceRate'],
      ['1.2', 'defaultAdvanceRate'],
      ['-0.1', 'defaultAdvanceRate'],
    ])('advance rate %s is refused', (rate) => {
      const problems = validateCreditTerms(appleLineTerms({ defaultAdvanceRate: d(rate) }));
      expect(problemsAt(problems, 'terms.defaultAdvanceRate')).toContain(
        `${rate} must be above 0 and at most 1 (a fraction: 0.5 means 50 %)`,
      );
    });

    test('an advance rate of exactly 1 passes the range check', () => {
      const problems = validateCreditTerms(appleLineTerms({ defaultAdvanceRate: d('1') }));
      expect(problemsAt(problems, 'terms.defaultAdvanceRate')).not.toContain(
        '1 must be above 0 and at most 1 (a fraction: 0.5 means 50 %)',
      );
    });

    test('a haircut of 1 is refused (the goods would be worth nothing); 0 is allowed', () => {
      expect(problemsAt(validateCreditTerms(appleLineTerms({ haircut: d('0') })), 'terms.haircut')).toEqual([]);
      expect(problemsAt(validateCreditTerms(appleLineTerms({ haircut: d('1') })), 'terms.haircut')).toEqual([
        '1 must be at least 0 and below 1 (a fraction: 0.1 means 10 %)',
      ]);
    });

    test('an interest rate above 1 is refused; 0 and 1 are allowed', () => {
      expect(validateCreditTerms(appleLineTerms({ annualInterestRate: d('0') }))).toEqual([]);
      expect(validateCreditTerms(appleLineTerms({ annualInterestRate: d('1') }))).toEqual([]);
      expect(problemsAt(validateCreditTerms(appleLineTerms({ annualInterestRate: d('12') })), 'terms.annualInterestRate')).toEqual([
        '12 must be between 0 and 1 inclusive (a fraction per year: 0.12 means 12 %)',
      ]);
    });

    test('a non-finite rate is refused rather than compared', () => {
      const problems = validateCreditTerms(appleLineTerms({ haircut: new D(NaN) }));
      expect(problemsAt(problems, 'terms.haircut')).toEqual(['NaN must be at least 0 and below 1 (a fraction: 0.1 means 10 %)']);
    });
  });

  describe('money fields', () => {
    test('every money field in another currency than the line is reported', () => {
      const eur = (amount: string) => Money.of(amount, 'EUR');
      const problems = validateCreditTerms(
        appleLineTerms({
          limit: eur('100000.00'),
          feeSchedule: { onSale: { kind: 'STORAGE_DAYS', days: 30, dailyStorageRatePerUnit: eur('0.0004'), unit: 'kg' }, perDraw: eur('25.00') },
          approvalThresholds: { autoApproveUpTo: eur('5000.00'), singleApproverUpTo: eur('25000.00') },
        }),
      );
      expect(problems).toEqual([
        { field: 'terms.limit', reason: '100 000.00 EUR must be in the line currency USD' },
        { field: 'terms.feeSchedule.perDraw', reason: '25.00 EUR must be in the line currency USD' },
        { field: 'terms.feeSchedule.onSale.dailyStorageRatePerUnit', reason: '0.0004 EUR must be in the line currency USD' },
        { field: 'terms.approvalThresholds.autoApproveUpTo', reason: '5 000.00 EUR must be in the line currency USD' },
        { field: 'terms.approvalThresholds.singleApproverUpTo', reason: '25 000.00 EUR must be in the line currency USD' },
      ]);
    });

    test('an unknown line currency is reported', () => {
      const problems = validateCreditTerms(appleLineTerms({ currency: 'XYZ' }));
      expect(problemsAt(problems, 'terms.currency')).toEqual(['"XYZ" must be a supported ISO 4217 currency code, e.g. "USD"']);
    });

    test('a zero limit and a limit finer than cents are refused', () => {
      expect(problemsAt(validateCreditTerms(appleLineTerms({ limit: usd('0') })), 'terms.limit')).toEqual([
        '0.00 USD must be greater than zero',
      ]);
      expect(problemsAt(validateCreditTerms(appleLineTerms({ limit: usd('100000.005') })), 'terms.limit')).toEqual([
        '100000.005 USD has more decimal places than USD allows; use 100000.00',
      ]);
    });

    test('a zero per-draw fee is refused in favour of null', () => {
      const terms = appleLineTerms({ feeSchedule: { onSale: null, perDraw: usd('0') } });
      expect(validateCreditTerms(terms)).toEqual([
        { field: 'terms.feeSchedule.perDraw', reason: '0.00 USD must be greater than zero; use null for no per-draw fee' },
      ]);
    });

    test('storage-days fee needs whole positive days and a positive daily rate', () => {
      const terms = appleLineTerms({
        feeSchedule: { onSale: { kind: 'STORAGE_DAYS', days: 0, dailyStorageRatePerUnit: usd('0'), unit: 'kg' }, perDraw: null },
      });
      expect(validateCreditTerms(terms)).toEqual([
        { field: 'terms.feeSchedule.onSale.days', reason: '0 must be a whole number greater than 0' },
        {
          field: 'terms.feeSchedule.onSale.dailyStorageRatePerUnit',
          reason: '0.00 USD must be greater than zero; use onSale null for no fee',
        },
      ]);
    });

    test.each(['0', '100.01'])('a percent-of-proceeds fee of %s percent is refused', (percent) => {
      const terms = appleLineTerms({ feeSchedule: { onSale: { kind: 'PERCENT_OF_PROCEEDS', percent: d(percent) }, perDraw: null } });
      expect(validateCreditTerms(terms)).toEqual([
        {
          field: 'terms.feeSchedule.onSale.percent',
          reason: `${percent} must be above 0 and at most 100 (in percent: 1.5 means 1.5 % of proceeds)`,
        },
      ]);
    });
  });

  describe('approval thresholds', () => {
    test('autoApproveUpTo above singleApproverUpTo is refused', () => {
      const terms = appleLineTerms({ approvalThresholds: { autoApproveUpTo: usd('30000.00'), singleApproverUpTo: usd('25000.00') } });
      expect(validateCreditTerms(terms)).toEqual([
        {
          field: 'terms.approvalThresholds.autoApproveUpTo',
          reason: 'autoApproveUpTo 30 000.00 USD must not exceed singleApproverUpTo 25 000.00 USD',
        },
      ]);
    });

    test('singleApproverUpTo above the limit is refused', () => {
      const terms = appleLineTerms({ approvalThresholds: { autoApproveUpTo: usd('0'), singleApproverUpTo: usd('100000.01') } });
      expect(validateCreditTerms(terms)).toEqual([
        {
          field: 'terms.approvalThresholds.singleApproverUpTo',
          reason: 'singleApproverUpTo 100 000.01 USD must not exceed the limit 100 000.00 USD',
        },
      ]);
    });

    test('a negative autoApproveUpTo is refused', () => {
      const terms = appleLineTerms({ approvalThresholds: { autoApproveUpTo: usd('-1.00'), singleApproverUpTo: usd('25000.00') } });
      expect(problemsAt(validateCreditTerms(terms), 'terms.approvalThresholds.autoApproveUpTo')).toEqual([
        '-1.00 USD must not be negative; use 0 to approve nothing automatically',
      ]);
    });

    test('thresholds equal to each other and to the limit are allowed', () => {
      const terms = appleLineTerms({ approvalThresholds: { autoApproveUpTo: usd('100000.00'), singleApproverUpTo: usd('100000.00') } });
      expect(validateCreditTerms(terms)).toEqual([]);
    });
  });

  describe('durations, dates and waterfall', () => {
    test.each([
      ['maxMarkAgeHours', 0],
      ['curePeriodHours', -1],
      ['stockCountIntervalDays', 1.5],
      ['approvalWindowHours', Number.NaN],
    ] as const)('%s = %s is refused', (field, value) => {
      const problems = validateCreditTerms(appleLineTerms({ [field]: value }));
      expect(problems).toEqual([{ field: `terms.${field}`, reason: `${String(value)} must be a whole number greater than 0` }]);
    });

    test.each(['2026-02-30', '31/12/2026', '2026-13-01', '2026-12-31T00:00:00Z', ''])('maturity date "%s" is refused', (date) => {
      expect(validateCreditTerms(appleLineTerms({ maturityDate: date }))).toEqual([
        { field: 'terms.maturityDate', reason: `"${date}" must be a calendar date written YYYY-MM-DD, e.g. "2026-12-31"` },
      ]);
    });

    test('a leap day is a valid maturity date', () => {
      expect(validateCreditTerms(appleLineTerms({ maturityDate: '2028-02-29' }))).toEqual([]);
    });

    test.each([
      [['FEES', 'INTEREST']],
      [['FEES', 'FEES', 'PRINCIPAL']],
      [['FEES', 'INTEREST', 'PRINCIPAL', 'FEES']],
    ] as const)('waterfall %j is refused', (order) => {
      const problems = validateCreditTerms(appleLineTerms({ waterfallOrder: order }));
      expect(problemsAt(problems, 'terms.waterfallOrder')).toEqual([
        `[${order.join(', ')}] must name each of FEES, INTEREST, PRINCIPAL exactly once, e.g. [FEES, INTEREST, PRINCIPAL]`,
      ]);
    });

    test('any order of the three buckets is accepted', () => {
      const buckets = ['FEES', 'INTEREST', 'PRINCIPAL'] as const;
      fc.assert(
        fc.property(fc.shuffledSubarray([...buckets], { minLength: 3, maxLength: 3 }), (order) => {
          expect(validateCreditTerms(appleLineTerms({ waterfallOrder: order }))).toEqual([]);
        }),
      );
    });
  });

  test('several problems are all reported at once', () => {
    const problems = validateCreditTerms(
      appleLineTerms({ haircut: d('1'), maxMarkAgeHours: 0, waterfallOrder: ['PRINCIPAL'] }),
    );
    expect(problems.map((p) => p.field)).toEqual(['terms.haircut', 'terms.maxMarkAgeHours', 'terms.waterfallOrder']);
  });
});

describe('advanceRateFor', () => {
  test('uses the commodity rate where the line sets one, else the default', () => {
    const terms = appleLineTerms();
    expect(advanceRateFor(terms, 'ONIONS').toString()).toBe('0.55');
    expect(advanceRateFor(terms, 'APPLES').toString()).toBe('0.5');
  });

  test('does not mistake inherited object keys for commodities', () => {
    expect(advanceRateFor(appleLineTerms(), 'toString').toString()).toBe('0.5');
  });
});
