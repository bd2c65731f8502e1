import { describe, expect, it } from 'vitest';
import { reflowPdfText } from '../../../src/shared/reflow';

describe('reflowPdfText', () => {
  it('joins printed lines into paragraphs and keeps the real paragraph breaks', () => {
    const page = [
      'The survey counted the birds along the river bank in',
      'spring and in autumn, with the same three observers on',
      'each of the twelve walks.',
      'Counts rose in the second year, mostly near the old mill',
      'where the water is slow.',
    ].join('\n');
    expect(reflowPdfText(page)).toBe(
      'The survey counted the birds along the river bank in spring and in autumn, with the same three observers on each of the twelve walks.\n\n' +
        'Counts rose in the second year, mostly near the old mill where the water is slow.',
    );
  });

  it('keeps headings, list items and blank-line breaks as their own paragraphs', () => {
    const page = ['Costs', 'The budget for the whole project came to a little under', 'forty thousand.', '• travel', '• equipment and', 'repairs', '', '— 3 —'].join('\n');
    expect(reflowPdfText(page)).toBe('Costs\n\nThe budget for the whole project came to a little under forty thousand.\n\n• travel\n\n• equipment and repairs\n\n— 3 —');
  });

  it('mends a word hyphenated at the end of a line, and leaves real hyphens alone', () => {
    const page = ['A long paragraph about the exam-', 'ple of reflowing a well-known text', 'that was printed on paper.'].join('\n');
    expect(reflowPdfText(page)).toBe('A long paragraph about the example of reflowing a well-known text that was printed on paper.');
  });

  it('normalises Windows line ends and trims each line', () => {
    expect(reflowPdfText('  one line of text that runs to the edge  \r\nand goes on.\r\n')).toBe('one line of text that runs to the edge and goes on.');
    expect(reflowPdfText('')).toBe('');
  });
});
