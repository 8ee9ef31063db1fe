// Reads a PDF on standard input and prints its text as JSON: one array of text items per page, in content order.
// A separate process because pdfjs-dist ships as ES modules only, which Jest's CommonJS runtime cannot load.
import { getDocument, VerbosityLevel } from 'pdfjs-dist/legacy/build/pdf.mjs';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const data = new Uint8Array(Buffer.concat(chunks));
const pdf = await getDocument({ data, verbosity: VerbosityLevel.ERRORS, isEvalSupported: false, disableFontFace: true }).promise;
const pages = [];
for (let number = 1; number <= pdf.numPages; number += 1) {
  const page = await pdf.getPage(number);
  const content = await page.getTextContent();
  pages.push(content.items.filter((item) => 'str' in item && item.str.trim() !== '').map((item) => item.str));
}
process.stdout.write(JSON.stringify({ pages, info: (await pdf.getMetadata()).info }));
