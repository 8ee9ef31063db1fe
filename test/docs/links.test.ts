/**
 * The README and docs/ link only to files of this repository, and every
 * relative link resolves: to an existing file, and where it names a heading
 * (`#…`), to a heading of that file (GitHub's anchors).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? markdownFiles(full) : name.endsWith('.md') ? [full] : [];
  });
}

const FILES = [path.join(ROOT, 'README.md'), ...markdownFiles(path.join(ROOT, 'docs'))];

/** Inline links `[text](target)` outside fenced code blocks. */
function linksOf(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]);
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(file: string): string[] {
  const prose = readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return [...prose.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchorOf(match[1]));
}

function problemsOf(file: string, markdown = readFileSync(file, 'utf8')): string[] {
  return linksOf(markdown).flatMap((link) => {
    if (/^[a-z]+:/i.test(link)) return [`${link}: links outside the repository`];
    const [target, anchor] = link.split('#');
    const resolved = target === '' ? file : path.resolve(path.dirname(file), target);
    if (!resolved.startsWith(ROOT + path.sep)) return [`${link}: leaves the repository`];
    if (!existsSync(resolved)) return [`${link}: no such file`];
    if (anchor !== undefined && statSync(resolved).isFile() && !anchorsOf(resolved).includes(anchor)) return [`${link}: no heading #${anchor} in ${path.relative(ROOT, resolved)}`];
    return [];
  });
}

/** Every text file of the project, except generated code, dependencies and applied migrations (immutable: their checksums are recorded). */
function projectFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    const relative = path.relative(ROOT, full);
    if (['node_modules', '.git', '.data', '.tools', 'dist', 'coverage'].includes(name) || relative === path.join('prisma', 'generated') || relative === path.join('prisma', 'migrations')) return [];
    if (statSync(full).isDirectory()) return projectFiles(full);
    return /\.(ts|mts|mjs|js|md|sh|json|yml|yaml|prisma|sql)$/.test(name) || name === 'run' || name === 'Dockerfile' ? [full] : [];
  });
}

/** Names of the design documents outside the repository, built so that this file does not name them itself. */
const OUTSIDE = new RegExp(['\\.\\./shared', '/work/shared', 'DESIGN\\.md', 'CONVENTIONS\\.md'].join('|'));

describe('the project refers to no document outside the repository', () => {
  test('no file names the design documents outside it: docs/ holds what they said', () => {
    const found = projectFiles(ROOT)
      .filter((file) => file !== __filename && file !== path.join(ROOT, 'package-lock.json'))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .flatMap((text, index) => (OUTSIDE.test(text) ? [`${path.relative(ROOT, file)}:${index + 1}: ${text.trim()}`] : [])),
      );
    expect(found).toEqual([]);
  });

  test('the check finds such a reference', () => {
    expect(OUTSIDE.test('see ../' + 'shared/DESIGN' + '.md')).toBe(true);
    expect(OUTSIDE.test('the canonical story (docs/domain.md)')).toBe(false);
  });
});

describe('links in README.md and docs/', () => {
  test.each(FILES.map((file) => [path.relative(ROOT, file), file]))('every link in %s resolves to a file (and heading) of the repository', (_name, file) => {
    expect(problemsOf(file)).toEqual([]);
  });

  test('the README links to every document in docs/: none is left for a reader to stumble on', () => {
    const linked = new Set(linksOf(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).map((link) => link.split('#')[0]));
    const documents = markdownFiles(path.join(ROOT, 'docs')).map((file) => path.relative(ROOT, file).split(path.sep).join('/'));
    expect(documents).toEqual(expect.arrayContaining(['docs/domain.md', 'docs/trust-model.md', 'docs/conventions.md']));
    expect(documents.filter((document) => !linked.has(document))).toEqual([]);
  });

  test('the checker finds what it must: a missing file, a missing heading, a link outside', () => {
    const docsFile = path.join(ROOT, 'docs', 'example.md');
    expect(problemsOf(docsFile, '[a](nope.md) [b](domain.md#nope) [c](https://example.com) [d](../../outside.md) [e](domain.md#invariants) [f](../README.md)')).toEqual([
      'nope.md: no such file',
      'domain.md#nope: no heading #nope in docs/domain.md',
      'https://example.com: links outside the repository',
      '../../outside.md: leaves the repository',
    ]);
    expect(linksOf('see [a](docs/a.md) and [b](https://example.com)\n```\n[c](not-a-link.md)\n```\n')).toEqual(['docs/a.md', 'https://example.com']);
    expect(anchorOf('The settlement ledger (`domain/ledger.ts`)')).toBe('the-settlement-ledger-domainledgerts');
    expect(anchorOf('Money, precision and value dates')).toBe('money-precision-and-value-dates');
  });
});
