const SENTENCE_END = /(?<=[.!?])\s+|\n+/;
const SPEAKER_LABEL = /^[\p{L} ]{1,20}:\s+/u;
const MAX_SENTENCES = 3;

/** The sentences of a text, without speaker labels such as `Caller:`. */
export function sentencesOf(text: string): string[] {
  return text
    .split(SENTENCE_END)
    .map((part) => part.replace(SPEAKER_LABEL, '').trim())
    .filter((part) => part.length > 0);
}

function wordCount(sentence: string): number {
  return sentence.split(/\s+/).filter(Boolean).length;
}

/**
 * The key sentences of a text: the longest few (earlier ones win ties), in their original
 * order. Deterministic, so the same input always gets the same summary.
 */
export function keySentences(text: string, count = MAX_SENTENCES): string[] {
  const sentences = sentencesOf(text);
  const chosen = sentences
    .map((sentence, index) => ({ sentence, index, words: wordCount(sentence) }))
    .sort((a, b) => b.words - a.words || a.index - b.index)
    .slice(0, count)
    .sort((a, b) => a.index - b.index);
  return chosen.map((c) => c.sentence);
}

/** A short extractive summary of a text. */
export function extractiveSummary(text: string): string {
  const sentences = keySentences(text);
  if (sentences.length === 0) return 'There is nothing to summarize.';
  return sentences.map((s) => (/[.!?]$/.test(s) ? s : `${s}.`)).join(' ');
}
