/** A rough token count for budgeting: about four characters per token for English text. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * Splits text into chunks of at most `maxChars`, on line boundaries so that no speaker turn
 * is cut; a single line longer than the budget is cut on its own.
 */
export function splitOnLines(text: string, maxChars: number): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const line of text.split('\n').flatMap((l) => cutLongLine(l, maxChars))) {
    if (current !== '' && current.length + 1 + line.length > maxChars) {
      chunks.push(current);
      current = '';
    }
    current = current === '' ? line : `${current}\n${line}`;
  }
  if (current !== '') chunks.push(current);
  return chunks;
}

function cutLongLine(line: string, maxChars: number): string[] {
  if (line.length <= maxChars) return [line];
  const parts: string[] = [];
  for (let start = 0; start < line.length; start += maxChars) parts.push(line.slice(start, start + maxChars));
  return parts;
}
