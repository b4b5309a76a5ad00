// What both programs (the bridge and the reconcile CLI) read at start: the configuration from the
// environment and the mapping file it names. Problems are printed, all at once, for the operator.
import { ConfigError, loadConfig, type Config } from './config.js';
import type { Mapping } from './core/mapping/mapping.js';
import { loadMappingFile, MappingFileError } from './mapping-file.js';

export interface Settings {
  readonly config: Config;
  readonly mapping: Mapping;
}

/** The settings, or null after writing every problem to stderr (exit with status 2 then). */
export function readSettings(env: Readonly<Record<string, string | undefined>>): Settings | null {
  try {
    const config = loadConfig(env);
    return { config, mapping: loadMappingFile(config.sync.mappingFile) };
  } catch (error) {
    if (error instanceof ConfigError || error instanceof MappingFileError) {
      process.stderr.write(`${error.message}\n`);
      return null;
    }
    throw error;
  }
}
