// Types of textDocuments.mjs for the bench's TypeScript (bench/fidelity/inputs.ts, bench/peerInputs.ts).
/** Deterministic English-like documents of 20…60 words. */
export function textDocuments(n: number): { text: string }[];
