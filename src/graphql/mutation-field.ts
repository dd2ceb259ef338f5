/**
 * The contract's mutation shape: `name(input: NameInput!): NameResult!` where
 * NameResult is the union of NameSuccess and the listed error types.
 */
export function resultUnion(mutationName: string) {
  const base = mutationName.charAt(0).toUpperCase() + mutationName.slice(1);
  return {
    directResult: true as const,
    union: { name: `${base}Result`, description: `What \`${mutationName}\` returns: \`${base}Success\` or a typed error.` },
  };
}
