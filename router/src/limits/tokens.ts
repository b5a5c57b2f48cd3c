import { GraphQLError, parse, type DocumentNode } from 'graphql';

export type ParseOutcome = { document: DocumentNode } | { tooManyTokens: true } | { syntaxError: GraphQLError };

const TOO_MANY_TOKENS = /Document contains more th(?:an|at) \d+ tokens/;

export const isTooManyTokensMessage = (message: string) => TOO_MANY_TOKENS.test(message);

/** Parses, giving up as soon as the document holds more than maxTokens tokens. */
export function parseWithinTokens(source: string, maxTokens: number): ParseOutcome {
  try {
    return { document: parse(source, { maxTokens, noLocation: true }) };
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    return isTooManyTokensMessage(error.message) ? { tooManyTokens: true } : { syntaxError: error };
  }
}
