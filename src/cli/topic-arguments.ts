/**
 * The topic arguments of `kb consume`: each is a topic name or, when it
 * starts with '^', a regular expression (librdkafka's convention, as in
 * `kcat -G group '^orders-.*'`) selecting the cluster's topics whose names
 * it matches, internal topics excepted (as Kafka's consumers do).
 * `parseTopicArguments` throws an Error for an invalid name (Kafka's rules,
 * src/controller/topic-names.ts) or regular expression; `selectTopics`
 * lists the topics the arguments name, in order and once each, and throws
 * an Error for a pattern that matches none. Names are not checked to exist
 * here: the command says which one is missing.
 */
import { topicNameProblem } from '../controller/topic-names.ts';

export type TopicArgument = { name: string } | { pattern: RegExp };

export function parseTopicArguments(args: string[]): TopicArgument[] {
  return args.map((arg) => {
    if (!arg.startsWith('^')) {
      const problem = topicNameProblem(arg);
      if (problem) throw new Error(`${problem} (a regular expression of topic names starts with '^')`);
      return { name: arg };
    }
    try {
      return { pattern: new RegExp(arg) };
    } catch (err) {
      throw new Error(`'${arg}' is not a regular expression: ${(err as Error).message}`);
    }
  });
}

/** The topics named or matched (`topics`: the cluster's topics, with whether each is internal). */
export function selectTopics(selected: TopicArgument[], topics: { name: string; internal: boolean }[]): string[] {
  const names = new Set<string>();
  for (const arg of selected) {
    if ('name' in arg) {
      names.add(arg.name);
      continue;
    }
    const matched = topics.filter((t) => !t.internal && arg.pattern.test(t.name)).map((t) => t.name);
    if (matched.length === 0) throw new Error(`no topic matches '${arg.pattern.source}' (kb topic list shows the topics)`);
    for (const name of matched.sort()) names.add(name);
  }
  return [...names];
}
