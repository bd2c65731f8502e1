/**
 * Text extracted from a PDF keeps the page's hard line breaks: every printed line ends in "\n",
 * mid-sentence. For reading (the passage panel), lines are joined back into paragraphs, keeping
 * the breaks that were real: a blank line, a list item or heading-like short line, a line that
 * ended a sentence well short of the page's width. Pure and renderer-safe (no imports).
 */

const LIST_ITEM = /^\s*(?:[•·▪◦*-]|\d{1,3}[.)]|[a-z][.)])\s+/i;

/** Joins a PDF page's printed lines into paragraphs; paragraphs are separated by one blank line. */
export function reflowPdfText(text: string): string {
  const blocks = text.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n+/);
  return blocks
    .map((block) => reflowBlock(block.split('\n').map((line) => line.trim()).filter((line) => line !== '')))
    .filter((block) => block !== '')
    .join('\n\n');
}

function reflowBlock(lines: readonly string[]): string {
  if (lines.length === 0) return '';
  // A printed line's width: the longest lines of the block stand for a full line.
  const fullWidth = Math.max(...lines.map((line) => line.length));
  const paragraphs: string[] = [];
  let current = '';
  lines.forEach((line, index) => {
    const previous = lines[index - 1];
    if (current === '' || previous === undefined) {
      current = line;
      return;
    }
    if (startsParagraph(line, previous, fullWidth)) {
      paragraphs.push(current);
      current = line;
    } else if (/[A-Za-z]-$/.test(current) && /^[a-z]/.test(line)) {
      // A word hyphenated at the line's end: "exam-" + "ple" → "example".
      current = current.slice(0, -1) + line;
    } else {
      current = `${current} ${line}`;
    }
  });
  paragraphs.push(current);
  return paragraphs.join('\n\n');
}

function startsParagraph(line: string, previous: string, fullWidth: number): boolean {
  if (LIST_ITEM.test(line)) return true;
  // Inside a paragraph every line but the last runs to the page's width: a line well short of
  // it ended its paragraph, or was a heading, a page number, a signature. Unless the text
  // plainly goes on (a trailing comma or hyphen, a next line in lower case).
  const short = previous.length < fullWidth * 0.7;
  return short && !/[-,]$/.test(previous) && !/^[a-z]/.test(line);
}
