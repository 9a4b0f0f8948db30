/**
 * `ssl.principal.mapping.rules`: a client certificate's subject to a user
 * name, with Kafka's syntax and semantics (its SslPrincipalMapper). Pure.
 *
 * Rules are separated by commas (whitespace around them ignored), tried in
 * order, the first that applies wins:
 * - `DEFAULT`: the distinguished name itself.
 * - `RULE:pattern/replacement/` with an optional `L` or `U` after the last
 *   slash (lower- or upper-case the result): applies when `pattern` (a
 *   regular expression) matches the whole name; the result is the name with
 *   every match of `pattern` replaced by `replacement`, where `$n` is group
 *   n (Java's reading: `$12` is group 12 if there is one, else group 1 and
 *   a "2"; a group beyond the pattern's is the literal text), and a
 *   backslash takes the next character literally (so `\/` and `\$`). In
 *   the pattern and the replacement a backslash also escapes the `/`.
 * With no rule applying the name maps to nothing (null): Kafka then fails
 * the authentication. An empty rules text means `DEFAULT`.
 *
 * The distinguished name is in RFC 2253 form as Java prints it (most
 * specific first, `CN=client,OU=eng,O=kb,C=DE`): `distinguishedName` turns
 * Node's subject text (one `key=value` line per attribute, in certificate
 * order) into that form, escaping `,+"\<>;` in values.
 */

export interface PrincipalMapper {
  /** The user name the rules give `distinguishedName`, null when none applies. */
  name(distinguishedName: string): string | null;
}

interface Rule {
  /** null: DEFAULT. */
  whole: RegExp | null;
  every: RegExp | null;
  groups: number;
  replacement: string;
  caseFold: '' | 'L' | 'U';
}

/** One rule as Kafka's pattern reads it: the pattern and replacement allow `\`-escapes and no bare `/`. */
const rulePattern = /^(?:(DEFAULT)|RULE:((?:\\.|[^\\/])*)\/((?:\\.|[^\\/])*)\/([LU]?))$/s;

export class RulesError extends Error {
  override name = 'RulesError';
}

/** Parses `ssl.principal.mapping.rules`; throws RulesError naming the rule that does not read. */
export function parsePrincipalMappingRules(text: string): PrincipalMapper {
  const rules = splitRules(text.trim() === '' ? 'DEFAULT' : text).map(parseRule);
  return {
    name(distinguishedName) {
      for (const rule of rules) {
        const name = apply(rule, distinguishedName);
        if (name !== null) return name;
      }
      return null;
    },
  };
}

/** Splits at the commas between rules (a comma inside a rule's pattern or replacement stays: Kafka splits after a whole rule). */
function splitRules(text: string): string[] {
  const out: string[] = [];
  const rule = /\s*(DEFAULT|RULE:(?:\\.|[^\\/])*\/(?:\\.|[^\\/])*\/[LU]?[^,]*?|[^,]*?)\s*(?:,|$)/gsy;
  let rest = text.trim();
  while (rest !== '') {
    rule.lastIndex = 0;
    const match = rule.exec(rest);
    if (!match || match[0] === '') throw new RulesError(`ssl.principal.mapping.rules: cannot read "${rest}"`);
    if (match[1] !== '') out.push(match[1]);
    rest = rest.slice(match[0].length).trim();
  }
  return out;
}

function parseRule(text: string): Rule {
  const match = rulePattern.exec(text);
  if (!match) throw new RulesError(`ssl.principal.mapping.rules: "${text}" is neither DEFAULT nor RULE:pattern/replacement/[LU]`);
  if (match[1] !== undefined) return { whole: null, every: null, groups: 0, replacement: '', caseFold: '' };
  const pattern = match[2];
  let whole: RegExp;
  let every: RegExp;
  try {
    whole = new RegExp(`^(?:${pattern})$`, 's');
    every = new RegExp(pattern, 'gs');
  } catch (err) {
    throw new RulesError(`ssl.principal.mapping.rules: the pattern of "${text}" is not a regular expression: ${(err as Error).message}`);
  }
  const groups = new RegExp(`${pattern}|`).exec('')!.length - 1;
  checkReplacement(text, match[3]);
  return { whole, every, groups, replacement: match[3], caseFold: match[4] as Rule['caseFold'] };
}

/** A `$` must be followed by a group number (Java refuses anything else). */
function checkReplacement(rule: string, replacement: string): void {
  for (let i = 0; i < replacement.length; i++) {
    if (replacement[i] === '\\') i++;
    else if (replacement[i] === '$' && !/[0-9]/.test(replacement[i + 1] ?? '')) {
      throw new RulesError(`ssl.principal.mapping.rules: "${rule}": a $ in the replacement must name a group ($1) or be escaped (\\$)`);
    }
  }
}

function apply(rule: Rule, distinguishedName: string): string | null {
  if (rule.whole === null || rule.every === null) return distinguishedName;
  if (!rule.whole.test(distinguishedName)) return null;
  const result = distinguishedName.replace(rule.every, (...args: unknown[]) => expand(rule, args.slice(0, rule.groups + 1) as (string | undefined)[]));
  return rule.caseFold === 'L' ? result.toLowerCase() : rule.caseFold === 'U' ? result.toUpperCase() : result;
}

/** The replacement for one match (`groups[0]` the whole match), read as Java's Matcher.appendReplacement after Kafka's escaping of groups that do not exist. */
function expand(rule: Rule, groups: (string | undefined)[]): string {
  const text = rule.replacement;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      out += text[i + 1] ?? '';
      i++;
    } else if (c === '$') {
      let group = Number(text[i + 1]);
      if (group > rule.groups) {
        out += '$'; // no such group: the literal text
        continue;
      }
      i++;
      while (i + 1 < text.length && /[0-9]/.test(text[i + 1]) && group * 10 + Number(text[i + 1]) <= rule.groups) group = group * 10 + Number(text[++i]);
      out += groups[group] ?? '';
    } else {
      out += c;
    }
  }
  return out;
}

const rfc2253Special = /[,+"\\<>;]/g;

/** Node's subject text (`C=DE\nO=kb\nCN=client`, certificate order) as an RFC 2253 name (`CN=client,O=kb,C=DE`). */
export function distinguishedName(nodeSubject: string): string {
  return nodeSubject
    .split('\n')
    .filter((line) => line !== '')
    .reverse()
    .map((line) => {
      const eq = line.indexOf('=');
      const value = line.slice(eq + 1).replace(rfc2253Special, (c) => `\\${c}`);
      return `${line.slice(0, eq)}=${value.replace(/^[ #]/, (c) => `\\${c}`).replace(/ $/, '\\ ')}`;
    })
    .join(',');
}
