// The bench's text documents: the same every run, so runs compare.

/** Deterministic English-like documents of 20…60 words. */
export function textDocuments(n) {
  const words = (
    'a the dog woman man beach sunset sand waves golden retriever plays runs ball water sky orange evening walk ' +
    'happy calm shore friend pet joy moment family photo summer coast trip park city street car train book recipe garden ' +
    'mountain river forest night light music game child old young small large red blue green quiet loud'
  ).split(' ');
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: n }, (_, i) => {
    const len = 20 + ((i * 13) % 41);
    const text = Array.from({ length: len }, () => words[Math.floor(rnd() * words.length)]).join(' ');
    return { text: `${text[0].toUpperCase()}${text.slice(1)}.` };
  });
}
