import { GraphQLError, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * A document may call `login` once. Each call costs a deliberately slow
 * password hash, and aliases (`a: login(...) b: login(...)`) would let one
 * request run dozens of them: 30 took 14.6 s of CPU in the security review.
 * Fragments count where they are defined, so spreading one twice counts once
 * (GraphQL merges the two into one call anyway).
 */
export const oneLoginPerDocument: ValidationRule = (context) => {
  let calls = 0;
  return {
    Field(node) {
      if (node.name.value !== 'login' || context.getParentType() !== context.getSchema().getMutationType()) return;
      calls += 1;
      if (calls === 2) {
        context.reportError(
          new GraphQLError('Sign in once per request: `login` may appear only once in a document (aliases included); send each sign-in as its own request', {
            nodes: [node],
          }),
        );
      }
    },
  };
};

export function oneLoginPerRequest(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(oneLoginPerDocument);
    },
  };
}
