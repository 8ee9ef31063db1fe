import fc from 'fast-check';
import { ValidationError } from '../../domain/errors';
import { requireAccrualDate, requireValueDate, utcDay } from '../../domain/value-dates';

const day = (offset: number) => new Date(Date.UTC(2026, 10, 1 + offset)).toISOString().slice(0, 10);

describe('requireValueDate', () => {
  const bounds = {
    today: '2026-11-20',
    earliest: [
      { date: '2026-11-01', because: 'the line opened' },
      { date: '2026-11-05', because: 'the first disbursement' },
    ],
  };

  test('accepts the latest lower bound, today, and every day between', () => {
    expect(requireValueDate('body.receivedOn', '2026-11-05', bounds)).toBe('2026-11-05');
    expect(requireValueDate('body.receivedOn', '2026-11-20', bounds)).toBe('2026-11-20');
  });

  test('refuses the future and names the field and the range', () => {
    expect(() => requireValueDate('body.receivedOn', '2026-11-21', bounds)).toThrow(
      new ValidationError('body.receivedOn', 'is 2026-11-21, in the future; money can be dated from 2026-11-05 (the first disbursement) to 2026-11-20 (today)'),
    );
  });

  test('refuses a day before the latest lower bound, saying which', () => {
    expect(() => requireValueDate('body.receivedOn', '2026-11-04', bounds)).toThrow(
      new ValidationError('body.receivedOn', 'is 2026-11-04, before the first disbursement (2026-11-05); money can be dated from 2026-11-05 (the first disbursement) to 2026-11-20 (today)'),
    );
  });

  test('refuses what is not a calendar date', () => {
    expect(() => requireValueDate('body.paidOn', '2026-02-30', { today: '2026-11-20', earliest: [] })).toThrow(ValidationError);
  });

  test('property: accepted exactly when the day is within [latest bound, today]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }), fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 3 }), (valueDay, today, bounds) => {
        const floor = bounds.length === 0 ? -Infinity : Math.max(...bounds);
        const accepted = valueDay <= today && valueDay >= floor;
        const attempt = () => requireValueDate('body.receivedOn', day(valueDay), { today: day(today), earliest: bounds.map((b) => ({ date: day(b), because: `bound ${b}` })) });
        if (accepted) expect(attempt()).toBe(day(valueDay));
        else expect(attempt).toThrow(ValidationError);
      }),
    );
  });
});

describe('requireAccrualDate', () => {
  test('accrual runs only for days that are over: yesterday yes, today and later no', () => {
    expect(requireAccrualDate('date', '2026-11-19', '2026-11-20')).toBe('2026-11-19');
    expect(() => requireAccrualDate('date', '2026-11-20', '2026-11-20')).toThrow(
      new ValidationError('date', 'is 2026-11-20; accrual runs only for days that are over: at the latest 2026-11-19, the day before today (2026-11-20)'),
    );
    expect(() => requireAccrualDate('--date', '2026-12-01', '2026-11-20')).toThrow(ValidationError);
  });

  test('utcDay is the UTC calendar day of an instant', () => {
    expect(utcDay(new Date('2026-11-20T23:59:59.999Z'))).toBe('2026-11-20');
    expect(utcDay(new Date('2026-11-21T00:30:00+01:00'))).toBe('2026-11-20');
  });
});
