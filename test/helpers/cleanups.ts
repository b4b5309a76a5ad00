// Teardown for tests that start several things (servers, sandboxes, data dirs): each cleanup is
// registered as its thing is made, and after every test they run in reverse order.
import { afterEach } from 'vitest';

export type Cleanup = () => Promise<void> | void;

/** Call at module level; `push` the cleanups of each test as it goes. */
export function cleanupsAfterEach(): { push(...cleanups: Cleanup[]): void } {
  const pending: Cleanup[] = [];
  afterEach(async () => {
    for (const cleanup of pending.splice(0).reverse()) await cleanup();
  });
  return {
    push(...cleanups) {
      pending.push(...cleanups);
    },
  };
}
