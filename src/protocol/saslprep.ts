/**
 * SASLprep (RFC 4013, the stringprep profile of RFC 3454) for SCRAM and
 * PLAIN user names and passwords: non-ASCII spaces map to U+0020, the
 * "commonly mapped to nothing" characters are dropped, the result is NFKC
 * normalized, and prohibited output (controls, private use, non-characters,
 * surrogates, tagging and display-changing characters) and strings breaking
 * the bidi rule are refused with a SaslprepError naming the code point.
 *
 * Written by hand: the well-kept package (@mongodb-js/saslprep) is not a
 * dependency of kb, and the profile is a few tables on top of the
 * runtime's NFKC. Two approximations, both on the strict side only for
 * text no client sends in practice: table D.2 ("L" bidi class) is taken as
 * the Unicode letters and spacing marks outside table D.1, and
 * "unassigned" (table A.1, refused in stored strings) is the runtime's
 * Unicode version rather than 3.2.
 */

/** Why a string cannot be prepared. */
export class SaslprepError extends Error {
  override name = 'SaslprepError';
}

type Ranges = readonly (readonly [number, number])[];

function inRanges(ranges: Ranges, cp: number): boolean {
  return ranges.some(([low, high]) => cp >= low && cp <= high);
}

/** C.1.2: non-ASCII space characters. */
const nonAsciiSpaces: Ranges = [[0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200b], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000]];
/** B.1: commonly mapped to nothing. */
const mappedToNothing: Ranges = [
  [0xad, 0xad], [0x34f, 0x34f], [0x1806, 0x1806], [0x180b, 0x180d], [0x200b, 0x200d], [0x2060, 0x2060], [0xfe00, 0xfe0f], [0xfeff, 0xfeff],
];
/** C.2.1, C.2.2, C.3, C.5, C.6, C.7, C.8, C.9 (C.1.2 above, C.4 by arithmetic). */
const prohibited: Ranges = [
  [0x0, 0x1f], [0x7f, 0x9f], [0x340, 0x341], [0x6dd, 0x6dd], [0x70f, 0x70f], [0x180e, 0x180e], [0x200c, 0x200f], [0x2028, 0x202e],
  [0x2060, 0x2063], [0x206a, 0x206f], [0x2ff0, 0x2ffb], [0xd800, 0xdfff], [0xe000, 0xf8ff], [0xfeff, 0xfeff], [0xfff9, 0xfffd],
  [0x1d173, 0x1d17a], [0xe0001, 0xe0001], [0xe0020, 0xe007f], [0xf0000, 0xffffd], [0x100000, 0x10fffd],
];
/** D.1: characters with bidi property R or AL. */
const randAL: Ranges = [
  [0x5be, 0x5be], [0x5c0, 0x5c0], [0x5c3, 0x5c3], [0x5d0, 0x5ea], [0x5f0, 0x5f4], [0x61b, 0x61b], [0x61f, 0x61f], [0x621, 0x63a],
  [0x640, 0x64a], [0x66d, 0x66f], [0x671, 0x6d5], [0x6dd, 0x6dd], [0x6e5, 0x6e6], [0x6fa, 0x6fe], [0x700, 0x70d], [0x710, 0x710],
  [0x712, 0x72c], [0x780, 0x7a5], [0x7b1, 0x7b1], [0x200f, 0x200f], [0xfb1d, 0xfb1d], [0xfb1f, 0xfb28], [0xfb2a, 0xfb36],
  [0xfb38, 0xfb3c], [0xfb3e, 0xfb3e], [0xfb40, 0xfb41], [0xfb43, 0xfb44], [0xfb46, 0xfbb1], [0xfbd3, 0xfd3d], [0xfd50, 0xfd8f],
  [0xfd92, 0xfdc7], [0xfdf0, 0xfdfc], [0xfe70, 0xfe74], [0xfe76, 0xfefc],
];
const leftToRight = /[\p{L}\p{Mc}]/u;
const unassigned = /\p{Cn}/u;

const hex = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * The prepared form of `text`. `stored`: the string is being stored (a new
 * password), so unassigned code points are refused too, as RFC 4013 asks;
 * a string being checked against a stored one (a login) may hold them.
 */
export function saslprep(text: string, options: { stored: boolean }): string {
  let mapped = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (inRanges(nonAsciiSpaces, cp)) mapped += ' ';
    else if (!inRanges(mappedToNothing, cp)) mapped += ch;
  }
  const normalized = mapped.normalize('NFKC');
  const codePoints = [...normalized].map((ch) => ch.codePointAt(0)!);
  for (const cp of codePoints) {
    if (inRanges(prohibited, cp) || inRanges(nonAsciiSpaces, cp) || (cp & 0xfffe) === 0xfffe || (cp >= 0xfdd0 && cp <= 0xfdef)) {
      throw new SaslprepError(`character ${hex(cp)} is not allowed (RFC 4013)`);
    }
    if (options.stored && unassigned.test(String.fromCodePoint(cp))) throw new SaslprepError(`character ${hex(cp)} is unassigned in Unicode`);
  }
  if (codePoints.some((cp) => inRanges(randAL, cp))) {
    const first = codePoints[0];
    const last = codePoints[codePoints.length - 1];
    if (codePoints.some((cp) => !inRanges(randAL, cp) && leftToRight.test(String.fromCodePoint(cp)))) {
      throw new SaslprepError('right-to-left and left-to-right characters are mixed (RFC 3454 section 6)');
    }
    if (!inRanges(randAL, first) || !inRanges(randAL, last)) throw new SaslprepError('right-to-left text must start and end with a right-to-left character (RFC 3454 section 6)');
  }
  return normalized;
}
