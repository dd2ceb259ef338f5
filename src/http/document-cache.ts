import type { DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';

/** As many documents as Yoga's own cache keeps. */
const DOCUMENTS_KEPT = 1024;

/**
 * Each GraphQL document is parsed and validated once, as Yoga's
 * `parserAndValidationCache` does, without its per-request cost: Yoga keys
 * validation results by the names of all ~30 validation rules, joined anew
 * on every request (a few per cent of a small request's CPU). Here every
 * request is validated with the same rules (graphql-js's, graphql-armor's
 * limits, oneLoginPerRequest: plugins that add them unconditionally), so the
 * parsed document alone is the key. A parse error is kept too and thrown
 * again, as Yoga does.
 *
 * It must come after every plugin that changes how documents are parsed or
 * validated (graphql-armor), like Yoga's cache, which it replaces.
 */
export function documentCache(): Plugin {
  const documents = new LRUCache<string, DocumentNode>({ max: DOCUMENTS_KEPT });
  const parseErrors = new LRUCache<string, Error>({ max: DOCUMENTS_KEPT });
  const validations = new WeakMap<DocumentNode, readonly Error[]>();
  return {
    onParse({ params, setParsedDocument }) {
      const text = String(params.source);
      const document = documents.get(text);
      if (document) {
        setParsedDocument(document);
        return;
      }
      const error = parseErrors.get(text);
      if (error) throw error;
      return ({ result }) => {
        if (result instanceof Error) parseErrors.set(text, result);
        else if (result) documents.set(text, result);
      };
    },
    onValidate({ params, setResult }) {
      const known = validations.get(params.documentAST);
      if (known) {
        setResult(known);
        return;
      }
      return ({ result }) => {
        validations.set(params.documentAST, result);
      };
    },
  };
}
