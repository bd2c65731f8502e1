/**
 * Answers of up to 200 KB in the shapes that are hardest on a Markdown renderer: SECURITY.md
 * item 28 says none may block the page for more than 50 ms. Used by the e2e rendering budget
 * test and by the bench, so both measure the same text.
 */
export const PATHOLOGICAL_LIMIT = 200 * 1024;

const fit = (text: string): string => text.slice(0, PATHOLOGICAL_LIMIT);
const lines = (count: number, line: (i: number) => string): string => Array.from({ length: count }, (_, i) => line(i)).join('\n');

/** Each shape's answer, and a piece of its text that must show once rendered. */
export const PATHOLOGICAL_ANSWERS: Record<string, { answer: string; visible: string }> = {
  'emphasis runs': { answer: fit('*a'.repeat(PATHOLOGICAL_LIMIT)), visible: '*a*a' },
  'mixed delimiter runs': { answer: fit('*_a'.repeat(PATHOLOGICAL_LIMIT)), visible: '*_a*_a' },
  'deep quotes': { answer: fit('>'.repeat(2000) + ' deep\n\n' + lines(5000, (i) => `${'>'.repeat(i % 60)} level ${i % 60}`)), visible: 'level 59' },
  'nested lists': { answer: fit(lines(4000, (i) => `${' '.repeat((i % 80) * 2)}- item ${i}`)), visible: 'item 79' },
  'long tables': { answer: fit('| a | b | c |\n|---|---|---|\n' + lines(12_000, (i) => `| **${i}** | _x_ | [y](https://x.io/${i}) |`)), visible: '| **11' },
  'huge code block': { answer: fit('```js\n' + lines(9000, (i) => `const v${i} = "<b>${i}</b>";`)) + '\n```', visible: 'const v1 = "<b>1</b>";' },
  '10 000 links': { answer: fit(lines(100, (block) => Array.from({ length: 100 }, (_, i) => `<https://x.io/${block * 100 + i}>`).join(' ') + '\n')), visible: 'https://x.io/9999' },
  'ordinary long answer': { answer: fit(lines(3000, (i) => `## Part ${i}\n\nSome **bold**, some \`code\`, a [link](https://example.com/${i}) and a list:\n\n- one\n- two\n`)), visible: 'Part 1' },
};
