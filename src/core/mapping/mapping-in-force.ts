// The mapping the bridge applies now: what the sync, the SCIM edge (emailChange), the access chain
// and the console read; reloaded on request (a broken file keeps the mapping in force and reports its
// problems); checked against Dynatrace — one check at a time, shared by whoever asks meanwhile — a check
// overtaken by a reload changing nothing.
import type { Mapping } from './mapping.js';

/** What a reload read: a mapping, or the problems of a file that is not one. */
export type MappingSource = { readonly mapping: Mapping } | { readonly problems: readonly string[] };

export interface MappingInForce {
  current(): Mapping;
  /** What the last check of the mapping in force found (empty before the first). */
  problems(): readonly string[];
  /** Whether the mapping in force has been checked against Dynatrace (readiness). */
  checked(): boolean;
  /** Checks the mapping in force against Dynatrace (environments, policy and boundary names). */
  check(): Promise<{ readonly problems: readonly string[] }>;
  /** Reads the mapping again (when it has a source) and checks it; a broken source keeps the one in force. */
  reload(): Promise<{ readonly problems: readonly string[] }>;
}

export interface MappingInForceOptions {
  readonly initial: Mapping;
  /** Reads the mapping again (MAPPING_FILE); absent: a reload keeps the mapping and checks it again. */
  readonly load?: () => MappingSource;
  /** The problems of `mapping` against Dynatrace; rejects when Dynatrace cannot be asked. */
  readonly check: (mapping: Mapping) => Promise<readonly string[]>;
  /** Told before a reloaded mapping is checked (names resolved for the old one are forgotten). */
  readonly onReload?: () => void;
}

export function createMappingInForce(options: MappingInForceOptions): MappingInForce {
  let mapping = options.initial;
  let problems: readonly string[] = [];
  let checked = false;

  /** The check of the mapping in force now running, shared by whoever asks meanwhile (start-up, readiness probes). */
  let running: { readonly mapping: Mapping; readonly result: Promise<{ problems: readonly string[] }> } | null = null;

  function check(): Promise<{ problems: readonly string[] }> {
    const checking = mapping;
    if (running?.mapping === checking) return running.result;
    const result = (async () => {
      const found = await options.check(checking);
      if (mapping === checking) {
        problems = found;
        checked = true;
      }
      return { problems: found };
    })();
    const entry = { mapping: checking, result };
    running = entry;
    void result
      .finally(() => {
        if (running === entry) running = null;
      })
      .catch(() => undefined);
    return result;
  }

  return {
    current: () => mapping,
    problems: () => problems,
    checked: () => checked,
    check,
    async reload() {
      if (options.load !== undefined) {
        const source = options.load();
        if ('problems' in source) return { problems: source.problems };
        mapping = source.mapping;
        checked = false;
      }
      options.onReload?.();
      return check();
    },
  };
}
