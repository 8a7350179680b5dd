// Which model a checkpoint is. Qwen3-VL-Embedding and Qwen3-VL-Reranker publish the same architecture
// (Qwen3VLForConditionalGeneration, same config keys); the embedding checkpoints carry no lm_head
// (the 8B one not even with tie_word_embeddings false), and each repository's model card names it.
import type { ModelKind } from '../store/manifest.ts';
import { textNames } from './names.ts';
import type { CheckpointSource } from './checkpointSource.ts';

export interface DetectedKind {
  kind: ModelKind;
  /** Why: shown by `sift convert`, so a wrong guess is visible. */
  reason: string;
}

/** The model card's first heading, e.g. "Qwen3-VL-Embedding-2B" (null without a README.md). */
async function modelCardTitle(source: CheckpointSource): Promise<string | null> {
  if (!(await source.hasFile('README.md'))) return null;
  // Hugging Face model cards start with YAML front matter, whose comments also start with '#'.
  const text = new TextDecoder().decode(await source.readFile('README.md')).replace(/^---\r?\n[\s\S]*?\r?\n---\r?\n/, '');
  return /^#\s+(.+)$/m.exec(text)?.[1].trim() ?? null;
}

/**
 * `requested` (sift convert --kind) wins; else an untied config without lm_head is an embedding model;
 * else the model card's title decides; else a reranker (what Sift converted before embedding models).
 */
export async function detectModelKind(source: CheckpointSource, requested?: ModelKind): Promise<DetectedKind> {
  if (requested) return { kind: requested, reason: 'as asked (--kind)' };
  const tied = (source.rawConfig as { tie_word_embeddings?: boolean; text_config?: { tie_word_embeddings?: boolean } }) ?? {};
  const untied = tied.tie_word_embeddings === false || tied.text_config?.tie_word_embeddings === false;
  if (untied && !source.has(textNames.lmHead))
    return { kind: 'embedding', reason: 'the config does not tie lm_head to the embeddings and the checkpoint has none' };
  const title = await modelCardTitle(source);
  if (title && /embedding/i.test(title)) return { kind: 'embedding', reason: `the model card is titled "${title}"` };
  if (title && /reranker/i.test(title)) return { kind: 'reranker', reason: `the model card is titled "${title}"` };
  return {
    kind: 'reranker',
    reason: 'nothing names the model (no README.md title): converted as a reranker; pass --kind embedding if it is not',
  };
}
