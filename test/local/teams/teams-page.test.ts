import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../functions/support/courier-stack.ts';
import { claimed, TestStation } from '../../functions/support/test-station.ts';
import { launchChromium, type TestBrowser } from '../../support/chromium.ts';
import {
  CHROMIUM,
  missingRequirement,
  NSS_TOOLS,
  strictRequirements,
} from '../../support/system-requirement.ts';

const missing = missingRequirement(CHROMIUM) ?? missingRequirement(NSS_TOOLS);
/** Screenshots for people to look at: test-output/ is git-ignored. */
const SCREENSHOTS = fileURLToPath(new URL('../../../test-output/teams-page/', import.meta.url));

describe.skipIf(missing !== undefined && !strictRequirements)(
  'the local Teams page in headless Chromium',
  () => {
    let stack: TestStack;
    let chrome: TestBrowser;

    beforeAll(async () => {
      if (missing) throw new Error(missing);
      await mkdir(SCREENSHOTS, { recursive: true });
      stack = await startTestStack({ pinVisibleSeconds: 3 });
      chrome = await launchChromium(stack.host.caPem);
    }, 90_000);
    afterAll(async () => {
      await chrome?.close();
      await stack?.stop();
    });

    async function open(persona: string): Promise<Page> {
      const page = await chrome.browser.newPage();
      await page.goto(`${stack.teams.url}/?persona=${persona}`);
      await expect.poll(() => page.locator('body').getAttribute('data-persona')).toBe(persona);
      return page;
    }

    it('request a key, approve it as the manager, and both views of the card follow', async () => {
      const lars = await open('manager');
      const maja = await open('employee');
      await maja.getByText('Hi Maja Lind, I am Passkey Courier').waitFor();

      await maja.getByLabel('Message').fill('request a key');
      await maja.getByRole('button', { name: 'Send' }).click();
      await maja.getByText('Request a security key').first().waitFor();
      await maja.getByLabel('I want a backup key').check();
      await maja.getByLabel(/Ship to/).fill('Desk 4.12, Malmö office');
      await maja.screenshot({ path: `${SCREENSHOTS}1-request-form.png`, fullPage: true });
      await maja.getByRole('button', { name: 'Send request' }).click();
      await maja.getByText(/Your request .* is on its way to/).waitFor();

      // The personal tab, outside Teams: signed in as the persona (auth code + PKCE, local tenant).
      const tab = await chrome.browser.newPage();
      await tab.goto(`${stack.teams.tabUrl}?persona=employee`);
      await tab.locator('section.request [aria-current="step"]').first().waitFor();
      expect(await tab.locator('section.request').first().textContent()).toMatch(
        /➜ (Requested|Waiting for approval)/,
      );
      await tab.goto(`${stack.teams.tabUrl}?persona=manager#approvals`);
      await tab.getByText('Security key request from Maja Lind').waitFor();
      await tab.screenshot({ path: `${SCREENSHOTS}2-tab-approvals.png`, fullPage: true });

      // Teams refreshes the card into Lars's own view, with the buttons (only he gets them).
      const approve = lars.getByRole('button', { name: 'Approve' });
      await approve.waitFor({ timeout: 40_000 });
      await lars.screenshot({ path: `${SCREENSHOTS}2-approver-view.png`, fullPage: true });
      const stored = stack.teams
        .as('manager')
        .chat()
        .find((m) => JSON.stringify(m.card).includes('Security key request from Maja Lind'))!;
      expect(JSON.stringify(stored.card)).not.toContain('"Approve"');

      await approve.click();
      await lars.getByText(/Approved by Lars Eriksson/).waitFor();
      await lars.screenshot({ path: `${SCREENSHOTS}3-approver-decided.png`, fullPage: true });
      // The shared message changed too: a fresh page (no personal view yet) shows the decision.
      const again = await open('manager');
      await again.getByText(/Approved by Lars Eriksson/).waitFor();
      expect(await again.getByRole('button', { name: 'Approve' }).count()).toBe(0);
      await again.screenshot({ path: `${SCREENSHOTS}4-shared-view-decided.png`, fullPage: true });

      await maja.getByText(/Lars Eriksson approved your request/).waitFor({ timeout: 40_000 });
      await maja.screenshot({ path: `${SCREENSHOTS}5-requester-notified.png`, fullPage: true });
      await tab.goto(`${stack.teams.tabUrl}?persona=employee#requests`);
      await tab.getByText('➜ Approved, waiting for the mailroom').waitFor();
      await tab.screenshot({ path: `${SCREENSHOTS}6-tab-my-requests.png`, fullPage: true });
      await tab.goto(`${stack.teams.tabUrl}?persona=operator#queue`);
      await tab.getByRole('cell', { name: /^job-/ }).first().waitFor();
      await tab.screenshot({ path: `${SCREENSHOTS}7-tab-mailroom-queue.png`, fullPage: true });

      // The mailroom programs and ships the key; Maja confirms it on the card, then reveals the
      // PIN in the tab, once.
      const operator = stack.as('operator');
      const job = claimed(await operator.post('station/claim-next', { stationId: 'mailroom-1' }));
      const station = new TestStation(operator, 'mailroom-1');
      const programmed = await station.program(job);
      await station.confirmPinChange(job);
      await station.ship(job);
      await maja.getByText('Has your key arrived?').waitFor({ timeout: 40_000 });
      await maja.getByLabel(/Last 4 or more digits/).fill(String(programmed.serial).slice(-6));
      await maja.getByRole('button', { name: 'I have the key' }).last().click();
      await maja.getByText(/delivery confirmed/).waitFor();
      await maja.screenshot({ path: `${SCREENSHOTS}8-delivery-confirmed.png`, fullPage: true });
      await tab.goto(`${stack.teams.tabUrl}?persona=employee#requests`);
      await tab.getByRole('button', { name: 'Reveal PIN' }).click();
      const pin = tab.locator('.pin');
      await pin.waitFor();
      expect(await pin.textContent()).toMatch(/^\d{6,}$/);
      await tab.getByText(/choose a new PIN the first time/).waitFor();
      await tab.getByText(/The PIN is hidden and gone from the service/).waitFor();
      expect(await tab.locator('.pin').count()).toBe(0);
      // The workflow completes the request: the tab shows it, and no second reveal.
      await expect
        .poll(
          async () => {
            await tab.reload();
            await tab.locator('section.request').first().waitFor();
            return tab.locator('section.request').first().textContent();
          },
          { timeout: 30_000, interval: 1000 },
        )
        .toMatch(/✓ PIN revealed✓ Completed/);
      expect(await tab.getByRole('button', { name: 'Reveal PIN' }).count()).toBe(0);
      await tab.screenshot({ path: `${SCREENSHOTS}9-tab-completed.png`, fullPage: true });
    }, 150_000);
  },
);
