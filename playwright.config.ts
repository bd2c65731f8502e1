import { defineConfig } from '@playwright/test';

/** Debian's Chromium: Playwright's own browser download cannot work offline. */
export const CHROMIUM_PATH = process.env.BURROW_CHROMIUM ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'test/e2e',
  outputDir: 'test-results/artifacts',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  projects: [
    {
      name: 'browser-host',
      testIgnore: /electron\..*spec\.ts/,
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: CHROMIUM_PATH,
          args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
        },
        viewport: { width: 1200, height: 800 },
        trace: 'off',
      },
    },
    { name: 'electron', testMatch: /electron\..*spec\.ts/ },
  ],
});
