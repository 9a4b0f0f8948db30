/**
 * ssl.principal.mapping.rules read as Kafka's SslPrincipalMapper reads them:
 * DEFAULT, RULE:pattern/replacement/ with L/U, the first applying rule wins,
 * commas inside a rule's pattern, Java's group references, refused rules;
 * and Node's subject text as an RFC 2253 name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distinguishedName, parsePrincipalMappingRules, RulesError } from '../../../src/broker/auth/ssl-principal-mapper.ts';

const duke = 'CN=Duke,OU=JavaSoft,O=Sun Microsystems,L=Cupertino,ST=CA,C=US';

test('DEFAULT (and no rules at all) gives the distinguished name itself', () => {
  assert.equal(parsePrincipalMappingRules('DEFAULT').name(duke), duke);
  assert.equal(parsePrincipalMappingRules('').name(duke), duke);
});

test('a RULE applies only when its pattern matches the whole name; the first applying rule wins', () => {
  const mapper = parsePrincipalMappingRules('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/, RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L ,DEFAULT');
  assert.equal(mapper.name('CN=kafka-admin,OU=ServiceUsers,O=Unknown,L=Unknown,ST=Unknown,C=Unknown'), 'kafka-admin');
  assert.equal(mapper.name(duke), 'duke@javasoft');
  assert.equal(mapper.name('CN=other,O=kb'), 'CN=other,O=kb', 'falls through to DEFAULT');
  assert.equal(parsePrincipalMappingRules('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/').name(duke), null, 'no rule applies: no principal');
  assert.equal(parsePrincipalMappingRules('RULE:CN=Duke/x/').name(duke), null, 'a partial match does not apply');
});

test('U upper-cases; escapes: \\/ in a pattern, \\$ and \\/ in a replacement; a comma inside a pattern', () => {
  assert.equal(parsePrincipalMappingRules('RULE:^CN=([^,]+),.*$/$1/U').name(duke), 'DUKE');
  assert.equal(parsePrincipalMappingRules('RULE:^CN=a\\/b,(.*)$/x\\/\\$1$1/').name('CN=a/b,O=kb'), 'x/$1O=kb');
  const mapper = parsePrincipalMappingRules('RULE:^CN=([^,]*),O=kb$/$1.kb/,RULE:^CN=([^,]*),.*$/$1/');
  assert.equal(mapper.name('CN=alice,O=kb'), 'alice.kb');
  assert.equal(mapper.name('CN=bob,O=other'), 'bob');
});

test('group references as Java reads them: $12 with fewer groups is $1 then "2"; a group the pattern lacks is literal; $0 the whole match', () => {
  assert.equal(parsePrincipalMappingRules('RULE:^CN=(.*),O=(.*)$/$12/').name('CN=a,O=b'), 'a2');
  assert.equal(parsePrincipalMappingRules('RULE:^CN=(.*),O=(.*)$/$3-$2/').name('CN=a,O=b'), '$3-b');
  assert.equal(parsePrincipalMappingRules('RULE:^CN=(.*)$/[$0]/').name('CN=a'), '[CN=a]');
  const twelve = `^${'(.)'.repeat(12)}$`;
  assert.equal(parsePrincipalMappingRules(`RULE:${twelve}/$12$1/`).name('abcdefghijkl'), 'la');
});

test('a pattern that also matches the empty end is replaced there too (Java replaceAll)', () => {
  assert.equal(parsePrincipalMappingRules('RULE:.*/x/').name('CN=a'), 'xx');
});

test('rules that do not read are refused with the rule named', () => {
  for (const bad of ['DEFAULTS', 'RULE:/', 'RULE:^CN=(.*)$/$1', 'RULE:^CN=(.*)$/$1/LU', 'RULE:^CN=(.*)$/$1/X', 'foo', 'RULE:(/x/', 'RULE:a/$x/', 'DEFAULT,,DEFAULT x']) {
    assert.throws(() => parsePrincipalMappingRules(bad), RulesError, bad);
  }
});

test("Node's subject text becomes an RFC 2253 name: most specific first, special characters escaped", () => {
  assert.equal(distinguishedName('C=US\nST=CA\nL=Cupertino\nO=Sun Microsystems\nOU=JavaSoft\nCN=Duke'), duke);
  assert.equal(distinguishedName('O=a,b+c\nCN= lead"<x>;\\trail '), 'CN=\\ lead\\"\\<x\\>\\;\\\\trail\\ ,O=a\\,b\\+c');
  assert.equal(distinguishedName('CN=#hash'), 'CN=\\#hash');
});
