/**
 * The first-hour guides are one story told from three sides: their shell
 * blocks, numbered `# step N`, run in that order across the three files. This
 * checks the order is whole and consistent: steps 1..N each once, and every
 * variable a step uses was set by an earlier step (of whichever role).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const GUIDES = ['lender', 'warehouse', 'seller'];
const GIVEN = new Set(['GODOWN']);

interface Step {
  number: number;
  guide: string;
  script: string;
}

function steps(): Step[] {
  return GUIDES.flatMap((guide) => {
    const markdown = readFileSync(path.resolve(__dirname, '../../docs/first-hour', `${guide}.md`), 'utf8');
    return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => {
      const number = /^# step (\d+)\b/.exec(match[1]);
      if (!number) throw new Error(`a shell block of ${guide}.md does not start with "# step N": ${match[1].slice(0, 80)}`);
      return { number: Number(number[1]), guide, script: match[1] };
    });
  }).sort((a, b) => a.number - b.number);
}

function assigned(script: string): string[] {
  return [...script.matchAll(/(?:^|;\s*)([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]);
}

function used(script: string): string[] {
  return [...script.replace(/^#.*$/gm, '').matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map((match) => match[1]);
}

test('the steps of the three guides are numbered 1..N, each once', () => {
  const numbers = steps().map((step) => step.number);
  expect(numbers.length).toBeGreaterThan(20);
  expect(numbers).toEqual(numbers.map((_, index) => index + 1));
});

test('every variable a step uses was set by an earlier step', () => {
  const known = new Set(GIVEN);
  const missing: string[] = [];
  for (const step of steps()) {
    const setHere = assigned(step.script);
    for (const name of used(step.script)) if (!known.has(name) && !setHere.includes(name)) missing.push(`step ${step.number} (${step.guide}) uses ${name}`);
    for (const name of setHere) known.add(name);
  }
  expect(missing).toEqual([]);
  // Values handed from one party to another are among them.
  expect([...known]).toEqual(expect.arrayContaining(['WAREHOUSE_TOKEN', 'SELLER_ORG', 'WAREHOUSE_ID', 'LINE_ID', 'LOT_ID', 'DRAW_ID', 'SALE_ID', 'BUYER_ORG']));
  expect(used(steps()[7].script)).toEqual(expect.arrayContaining(['WAREHOUSE_ID', 'SELLER_ORG', 'ADA_KEY', 'GODOWN']));
});
