// Replays every captured Okta and Entra request sequence under test/fixtures/idp/ against a fresh
// bridge on each store engine (SQLite, PostgreSQL), one test per fixture file and engine, named after
// the fixture's title: IdP behaviour is data.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverFixtures, IDPS, loadFixture, runFixture, type IdpFixture } from '../helpers/fixture-runner.js';
import { STORE_ENGINES } from '../helpers/test-bridge.js';

const FIXTURE_ROOT = fileURLToPath(new URL('../fixtures/idp/', import.meta.url));
const discovered = discoverFixtures(FIXTURE_ROOT);

describe('captured IdP requests', () => {
  it('when the fixture folders are read, then every IdP has at least one fixture', () => {
    for (const idp of IDPS) expect(discovered[idp], `no *.json under test/fixtures/idp/${idp}/`).not.toHaveLength(0);
  });

  for (const idp of IDPS) {
    describe(idp, () => {
      for (const file of discovered[idp]) {
        let fixture: IdpFixture;
        try {
          fixture = loadFixture(file, FIXTURE_ROOT);
        } catch (error) {
          it(`${path.basename(file)} is a valid fixture`, () => {
            throw error;
          });
          continue;
        }
        for (const engine of STORE_ENGINES) {
          it(`${fixture.title} [${engine}]`, async () => {
            const report = await runFixture(fixture, engine);
            expect(report.requests).toBeGreaterThanOrEqual(fixture.steps.length);
          });
        }
      }
    });
  }
});
