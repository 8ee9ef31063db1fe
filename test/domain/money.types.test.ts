/**
 * Type-level guarantees of Money. The `@ts-expect-error` lines below must
 * each be a compile error; if one ever compiles, TypeScript reports the
 * directive as unused (TS2578). Jest runs with diagnostics off, so the first
 * test compiles this very file with the project's compiler options and
 * asserts there are no diagnostics: the test fails when a guarantee breaks.
 */
import path from 'path';
import ts from 'typescript';
import { CurrencyMismatchError } from '../../domain/errors';
import { D, Money } from '../../domain/money';

/** Never called: exists only to be type-checked. */
export function typeGuarantees(): void {
  const price = Money.of('1', 'USD');

  // @ts-expect-error a JS number is not money; amounts are decimal strings or Decimals
  Money.of(1, 'USD');

  // @ts-expect-error adding a bare number to money does not compile
  price.plus(1);

  // @ts-expect-error a decimal is not money either: it has no currency
  price.minus(new D('1'));

  // @ts-expect-error a factor is a Decimal or a decimal string, never a JS number
  price.times(1.5);

  // @ts-expect-error comparing money with a number does not compile
  price.gt(0);

  // @ts-expect-error Money has no public constructor; use Money.of
  new Money(new D('1'), 'USD');

  // @ts-expect-error amount is read-only
  price.amount = new D('2');

  // @ts-expect-error currency is read-only
  price.currency = 'EUR';
}

describe('Money types', () => {
  test('every @ts-expect-error in this file is a real compile error', () => {
    const configPath = path.resolve(__dirname, '../../tsconfig.json');
    const config = ts.readConfigFile(configPath, (file) => ts.sys.readFile(file));
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, path.dirname(configPath));
    const program = ts.createProgram([__filename], { ...options, noEmit: true });
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file === undefined || d.file.fileName === program.getSourceFile(__filename)?.fileName)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  }, 60_000);

  test('adding two currencies is a runtime error because currency codes are runtime strings', () => {
    expect(() => Money.of('1.00', 'USD').plus(Money.of('1.00', 'EUR'))).toThrow(CurrencyMismatchError);
  });
});
