import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { saslprep, SaslprepError } from '../../src/protocol/saslprep.ts';

const prep = (text: string) => saslprep(text, { stored: true });

describe('saslprep (RFC 4013)', () => {
  it('gives the results of the RFC 4013 section 3 examples', () => {
    assert.equal(prep('I\u00adX'), 'IX', 'soft hyphen mapped to nothing');
    assert.equal(prep('user'), 'user');
    assert.equal(prep('USER'), 'USER', 'case is preserved');
    assert.equal(prep('\u00aa'), 'a', 'NFKC');
    assert.equal(prep('\u2168'), 'IX', 'NFKC');
    assert.throws(() => prep('\u0007'), SaslprepError, 'prohibited character');
    assert.throws(() => prep('\u0627\u0031'), SaslprepError, 'bidi check');
  });

  it('maps non-ASCII spaces to a space and drops zero-width characters', () => {
    assert.equal(prep('a\u00a0b\u3000c'), 'a b c');
    assert.equal(prep('p\u00adass\ufeffword\u180b'), 'password');
  });

  it('refuses controls, private use, non-characters, lone surrogates and tags', () => {
    for (const bad of ['a\u0000b', 'tab\t', 'del\u007f', '\u0085', '\ue000', '\ufdd0', '\uffff', '\u{1fffe}', '\ud800', '\u202e', '\u{e0041}', '\u{10fffd}']) {
      assert.throws(() => prep(bad), SaslprepError, JSON.stringify(bad));
    }
  });

  it('accepts right-to-left text that starts and ends right-to-left, and refuses it mixed with left-to-right letters', () => {
    assert.equal(prep('\u05d0\u05d1\u05d2'), '\u05d0\u05d1\u05d2');
    assert.equal(prep('\u0627 1 \u0628'), '\u0627 1 \u0628');
    assert.throws(() => prep('\u05d0a\u05d1'), /RandALCat and LCat/);
  });

  it('refuses unassigned code points only in stored strings', () => {
    assert.throws(() => saslprep('x\u0378', { stored: true }), /Unassigned code point/);
    assert.equal(saslprep('x\u0378', { stored: false }), 'x\u0378');
  });
});
