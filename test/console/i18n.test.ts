/**
 * Every string the console shows comes from its catalogues: the two catalogues have the same keys,
 * no empty message, the same {placeholders}; and no .tsx file writes user-visible text itself
 * (JSX text, or a literal in a prop a person reads), which would stay untranslated.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { en } from '../../console/src/i18n/en';
import { zhCN } from '../../console/src/i18n/zh-CN';

const SOURCE_ROOT = path.resolve(__dirname, '../../console/src');
/** Props whose value a person reads (or hears, for aria-label). */
const USER_VISIBLE_PROPS = new Set(['title', 'label', 'placeholder', 'aria-label', 'alt', 'okText', 'cancelText', 'description', 'subTitle', 'tooltip', 'content', 'text', 'extra', 'emptyText', 'message', 'help']);
/** A letter of any script: punctuation, digits and symbols (·, →, %) are not words to translate. */
const WORDS = /\p{L}/u;

function tsxFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) return tsxFiles(full);
    return entry.name.endsWith('.tsx') ? [full] : [];
  });
}

/** The literal user-visible text in a TSX source, as `line: text` (empty when everything goes through the catalogue). */
export function untranslatedText(fileName: string, source: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const report = (node: ts.Node, text: string) => found.push(`${path.basename(fileName)}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${text.trim()}`);
  const literalWords = (expression: ts.Expression | undefined): string | null => {
    if (!expression) return null;
    if (ts.isStringLiteral(expression) || ts.isNoSubstitutionTemplateLiteral(expression)) return WORDS.test(expression.text) ? expression.text : null;
    if (ts.isTemplateExpression(expression)) {
      const pieces = [expression.head.text, ...expression.templateSpans.map((span) => span.literal.text)].join(' ');
      return WORDS.test(pieces) ? pieces : null;
    }
    if (ts.isConditionalExpression(expression)) return literalWords(expression.whenTrue) ?? literalWords(expression.whenFalse);
    if (ts.isBinaryExpression(expression) && (expression.operatorToken.kind === ts.SyntaxKind.BarBarToken || expression.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken)) {
      return literalWords(expression.left) ?? literalWords(expression.right);
    }
    if (ts.isParenthesizedExpression(expression)) return literalWords(expression.expression);
    return null;
  };
  const visit = (node: ts.Node) => {
    if (ts.isJsxText(node) && WORDS.test(node.text)) report(node, node.text);
    if (ts.isJsxExpression(node) && node.parent && (ts.isJsxElement(node.parent) || ts.isJsxFragment(node.parent))) {
      const words = literalWords(node.expression);
      if (words !== null) report(node, words);
    }
    if (ts.isJsxAttribute(node) && USER_VISIBLE_PROPS.has(node.name.getText(file))) {
      const value = node.initializer;
      if (value && ts.isStringLiteral(value) && WORDS.test(value.text)) report(node, `${node.name.getText(file)}="${value.text}"`);
      if (value && ts.isJsxExpression(value)) {
        const words = literalWords(value.expression);
        if (words !== null) report(node, `${node.name.getText(file)}={${words}}`);
      }
    }
    // Objects handed to components (columns, tabs, options): their user-visible keys too.
    if (ts.isPropertyAssignment(node) && USER_VISIBLE_PROPS.has(node.name.getText(file).replace(/['"]/g, '')) && file.fileName.endsWith('.tsx')) {
      const words = literalWords(node.initializer);
      if (words !== null) report(node, `${node.name.getText(file)}: ${words}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('the console speaks only through its catalogues', () => {
  test('English and 简体中文 have exactly the same keys', () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
  });

  test('no message is empty in either language', () => {
    const empty = [...Object.entries(en).map(([key, value]) => ['en', key, value]), ...Object.entries(zhCN).map(([key, value]) => ['zh-CN', key, value])].filter(([, , value]) => value.trim() === '');
    expect(empty).toEqual([]);
  });

  test('each message has the same {placeholders} in both languages', () => {
    const placeholders = (message: string) => [...message.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
    const differing = Object.keys(en)
      .filter((key) => JSON.stringify(placeholders(en[key as keyof typeof en])) !== JSON.stringify(placeholders(zhCN[key as keyof typeof en])))
      .map((key) => key);
    expect(differing).toEqual([]);
  });

  test('no .tsx file of the console shows literal text (JSX text, or a literal in title/label/placeholder/aria-label…)', () => {
    const files = tsxFiles(SOURCE_ROOT);
    expect(files.length).toBeGreaterThan(10);
    expect(files.flatMap((file) => untranslatedText(file, readFileSync(file, 'utf8')))).toEqual([]);
  });

  test('the scan finds literal text where it is, so that it can fail', () => {
    const source = `
      export const A = () => <p title="Approve it">Hello <b>{'world'}</b> {t('ok')} {' '} · {\`\${n} items\`}</p>;
      export const B = () => <Input placeholder={busy ? 'Wait' : t('x')} aria-label={t('y')} />;
      export const C = () => <Table columns={[{ title: 'Amount', key: 'a' }, { title: t('b'), key: 'b' }]} />;`;
    expect(untranslatedText('sample.tsx', source)).toEqual([
      'sample.tsx:2: title="Approve it"',
      'sample.tsx:2: Hello',
      'sample.tsx:2: world',
      'sample.tsx:2: items',
      'sample.tsx:3: placeholder={Wait}',
      'sample.tsx:4: title: Amount',
    ]);
  });
});
