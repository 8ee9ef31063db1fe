import fc from 'fast-check';
import { D, Money } from '../../domain/money';
import { checkDirectRepayment, checkSalePayment, checkSellerPayout, feeScheduleOfTerms, priceSale, saleFee, splitRepayment } from '../../domain/sales';

const usd = (amount: string) => Money.of(amount, 'USD');

describe('pricing a sale', () => {
  test('per unit: 20 000 kg × 1.30 = 26 000.00', () => {
    const priced = priceSale([{ lotId: 'a', quantity: new D('20000') }], { pricePerUnit: usd('1.30') });
    expect(priced.totalPrice.toFixedString()).toBe('26000.00');
    expect(priced.totalQuantity.toFixed()).toBe('20000');
  });

  test('as a total: 1 000.00 for 300 kg + 100 kg is 2.50 per kg', () => {
    const priced = priceSale([{ lotId: 'a', quantity: new D('300') }, { lotId: 'b', quantity: new D('100') }], { totalPrice: usd('1000.00') });
    expect([priced.totalPrice.toFixedString(), priced.pricePerUnit.toFixed()]).toEqual(['1000.00', '2.5']);
  });

  test('a lot listed twice or a zero quantity is refused', () => {
    expect(() => priceSale([{ lotId: 'a', quantity: new D('1') }, { lotId: 'a', quantity: new D('2') }], { pricePerUnit: usd('1') })).toThrow(/listed twice/);
    expect(() => priceSale([{ lotId: 'a', quantity: new D('0') }], { pricePerUnit: usd('1') })).toThrow(/greater than zero/);
  });
});

describe('fee on sale', () => {
  test('30 days × 0.002 USD/kg/day × 20 000 kg = 1 200.00', () => {
    const fee = saleFee({ kind: 'STORAGE_DAYS', days: 30, dailyStorageRatePerUnit: usd('0.002'), unit: 'kg' }, { totalQuantity: new D('20000'), totalPrice: usd('26000.00') });
    expect(fee.toFixedString()).toBe('1200.00');
  });

  test('PERCENT_OF_PROCEEDS is stored in percent and converted to a fraction: 1.5 % of 26 000.00 = 390.00', () => {
    expect(feeScheduleOfTerms({ kind: 'PERCENT_OF_PROCEEDS', percent: new D('1.5') })).toEqual({ kind: 'PERCENT_OF_PROCEEDS', percent: new D('0.015') });
    const fee = saleFee({ kind: 'PERCENT_OF_PROCEEDS', percent: new D('1.5') }, { totalQuantity: new D('20000'), totalPrice: usd('26000.00') });
    expect(fee.toFixedString()).toBe('390.00');
    // 100 % (the terms' maximum) is the whole price, not 100 times it.
    expect(saleFee({ kind: 'PERCENT_OF_PROCEEDS', percent: new D('100') }, { totalQuantity: new D('1'), totalPrice: usd('26000.00') }).toFixedString()).toBe('26000.00');
  });

  test('no fee schedule charges nothing', () => {
    expect(saleFee(null, { totalQuantity: new D('5'), totalPrice: usd('10.00') }).toFixedString()).toBe('0.00');
  });
});

describe('payments', () => {
  test('a payment up to the remaining due is taken; one cent more is an overpayment', () => {
    const sale = { totalPrice: usd('26000.00'), amountPaid: usd('10000.00') };
    expect(checkSalePayment(sale, usd('16000.00'))).toEqual({ remainingAfter: usd('0.00'), fullyPaid: true });
    expect(checkSalePayment(sale, usd('6000.00')).remainingAfter.toFixedString()).toBe('10000.00');
    expect(() => checkSalePayment(sale, usd('16000.01'))).toThrow(/remaining due is 16 000.00 USD/);
    expect(() => checkSalePayment(sale, Money.of('1.00', 'EUR'))).toThrow(/EUR/);
  });

  test('a direct repayment is at most what is owed; a payout at most the seller payable', () => {
    const owed = { fees: usd('0.00'), interest: usd('120.00'), principal: usd('12000.00') };
    expect(() => checkDirectRepayment(usd('12120.00'), owed)).not.toThrow();
    expect(() => checkDirectRepayment(usd('12120.01'), owed)).toThrow(/owes 12 120.00 USD/);
    expect(() => checkSellerPayout(usd('12680.01'), usd('12680.00'))).toThrow(/owes the seller 12 680.00 USD/);
  });

  test('the canonical payment splits 1 200.00 / 120.00 / 12 000.00 / 12 680.00; another order changes who is paid first', () => {
    const owed = { fees: usd('1200.00'), interest: usd('120.00'), principal: usd('12000.00') };
    const split = splitRepayment(usd('26000.00'), ['FEES', 'INTEREST', 'PRINCIPAL'], owed);
    expect([split.fees, split.interest, split.principal, split.toSeller].map((m) => m.toFixedString())).toEqual(['1200.00', '120.00', '12000.00', '12680.00']);
    const principalFirst = splitRepayment(usd('12500.00'), ['PRINCIPAL', 'INTEREST', 'FEES'], owed);
    // 12 500 → principal 12 000.00, interest 120.00, fees 380.00, seller 0.00
    expect([principalFirst.principal, principalFirst.interest, principalFirst.fees, principalFirst.toSeller].map((m) => m.toFixedString())).toEqual(['12000.00', '120.00', '380.00', '0.00']);
  });

  test('property: the parts always sum to the payment and no step takes more than it is owed', () => {
    const cents = fc.integer({ min: 0, max: 10_000_000 }).map((c) => usd((c / 100).toFixed(2)));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), cents, cents, cents, (paymentCents, fees, interest, principal) => {
        const payment = usd((paymentCents / 100).toFixed(2));
        const split = splitRepayment(payment, ['INTEREST', 'FEES', 'PRINCIPAL'], { fees, interest, principal });
        expect(split.fees.plus(split.interest).plus(split.principal).plus(split.toSeller).equals(payment)).toBe(true);
        expect(split.fees.lte(fees) && split.interest.lte(interest) && split.principal.lte(principal)).toBe(true);
      }),
    );
  });
});
