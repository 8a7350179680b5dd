// A malformed document fails alone (the others are paired and scored); a malformed query or request
// field still fails the whole request, naming the field.
import { describe, expect, it } from 'vitest';
import {
  buildRerankConversations,
  promptCommand,
  RequestError,
  separateMalformedDocuments,
  validateRequest,
} from '../../src/prompt/index.ts';

const QUERY = { text: 'a query' };

describe('document shapes fail only their document', () => {
  const bad: [string, unknown, RegExp][] = [
    ['text: {}', { text: {} }, /^documents\[1\]\.text must be a string or a list of strings, got \{\}$/],
    ['text: [1]', { text: ['a', 1] }, /^documents\[1\]\.text must be a string or a list of strings, got \["a",1\]$/],
    ['image: 5', { image: 5 }, /^documents\[1\]\.image must be a file path, URL, data URL, file, or a list of them, got 5$/],
    ['image: [[…]]', { image: [['a.png']] }, /^documents\[1\]\.image must be .*, got \[\["a\.png"\]\]$/],
    ['video: null in a list', { video: ['a.mp4', null] }, /^documents\[1\]\.video must be /],
    ['a misspelt field', { txt: 'x' }, /^documents\[1\] has an unknown field "txt" \(expected text, image, video, clip\)$/],
    ['a string document', 'just text', /^documents\[1\] must be an object like \{"text": "…", "image": "…"\}, got "just text"$/],
    ['an empty image path', { image: '' }, /^documents\[1\]\.image contains an empty string$/],
  ];
  it.each(bad)('%s', (_, doc, message) => {
    const request = { query: QUERY, documents: [{ text: 'good' }, doc, { text: 'also good' }] };
    expect(validateRequest(request)).toBe(request);
    const { request: usable, problems } = separateMalformedDocuments(request as never);
    expect([...problems.keys()]).toEqual([1]);
    const p = problems.get(1)!;
    expect(p).toBeInstanceOf(RequestError);
    expect(p.code).toBe('bad-document');
    expect(p.message).toMatch(message);
    // The others pair as before; the bad one pairs as an empty document (then gets its error, not a score).
    const conversations = buildRerankConversations(usable);
    expect(conversations).toHaveLength(3);
    expect(JSON.stringify(conversations[0])).toContain('good');
    expect(JSON.stringify(conversations[2])).toContain('also good');
  });

  it('sift prompt gives a malformed document its problem and the others their prompts', async () => {
    const out = await promptCommand({ query: QUERY, documents: [{ text: 'good' }, { text: {} } as never] }, { expand: false });
    expect(out.prompts[0].text).toContain('good');
    expect(out.prompts[1]).toEqual({ text: '', tokens: null, error: 'documents[1].text must be a string or a list of strings, got {}' });
  });

  it('a well-formed request is returned as it is, with no problems', () => {
    const request = { query: QUERY, documents: [{ text: 'a' }, null, { image: 'x.png', video: [['f1.png', 'f2.png']] }] };
    const { request: usable, problems } = separateMalformedDocuments(request as never);
    expect(usable).toBe(request);
    expect(problems.size).toBe(0);
  });
});

describe('the query and the request fields still fail the whole request, naming the field', () => {
  it.each([
    [{ query: { text: {} }, documents: [] }, /^query\.text must be a string or a list of strings, got \{\}$/],
    [{ query: { image: 5 }, documents: [] }, /^query\.image must be /],
    [{ query: 'a dog', documents: [] }, /^query must be an object like/],
    [{ query: QUERY, documents: 'a, b' }, /^"documents" must be a list/],
    [{ query: QUERY, documents: [], instruction: 7 }, /^"instruction" must be a string/],
  ])('%j', (request, message) => {
    let err: unknown;
    try {
      validateRequest(request);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RequestError);
    expect((err as RequestError).code).toBe('bad-request');
    expect((err as Error).message).toMatch(message);
  });
});
