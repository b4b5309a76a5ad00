// How a policy binding's limits read in text (audit details, reconcile findings, the mapping preview,
// `npm run explain`): ` (boundaries: a, b; parameters: k=v)`, or nothing for a binding without limits.

export function limitsText(boundaries: readonly string[], parameters: Readonly<Record<string, string>>): string {
  const entries = Object.entries(parameters);
  const parts = [
    boundaries.length > 0 ? `boundaries: ${boundaries.join(', ')}` : null,
    entries.length > 0 ? `parameters: ${entries.map(([k, v]) => `${k}=${v}`).join(', ')}` : null,
  ].filter((part): part is string => part !== null);
  return parts.length === 0 ? '' : ` (${parts.join('; ')})`;
}
