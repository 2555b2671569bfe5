import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { RequestState } from '../../core/request/request-state.ts';
import { cardGallery } from '../../local/teams/card-gallery.ts';
import { validateAdaptiveCard } from '../support/adaptive-card-validation.ts';

const run = promisify(execFile);

describe('the card gallery', () => {
  const gallery = cardGallery();

  it('has every card the bot sends, in every state', () => {
    const names = [...gallery.keys()];
    for (const state of Object.values(RequestState)) {
      expect(names.some((name) => name.startsWith('request-status-'))).toBe(true);
      expect(
        gallery.has(`request-status-${state.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}`),
      ).toBe(true);
    }
    for (const name of [
      'welcome',
      'help',
      'request-form',
      'my-requests',
      'approval-approver',
      'approval-observer',
      'approval-approved',
      'approval-rejected',
      'approval-expired',
      'approval-escalated',
      'delivery',
      'delivery-confirmed',
      'notification-shipped',
    ]) {
      expect(gallery.has(name), name).toBe(true);
    }
  });

  it.each([...gallery])('%s is a strict Adaptive Card 1.5 (msteams aside)', (_name, card) => {
    expect(validateAdaptiveCard(JSON.parse(JSON.stringify(card)))).toEqual([]);
  });

  it('only the approver view of a pending approval has buttons; both refresh for the approvers', () => {
    const approver = gallery.get('approval-approver')!;
    const observer = gallery.get('approval-observer')!;
    expect(approver.actions?.map((a) => a.title)).toEqual(['Approve', 'Reject']);
    expect(observer.actions).toBeUndefined();
    expect(observer.refresh?.userIds).toEqual(approver.refresh?.userIds);
    expect(gallery.get('approval-approved')!.refresh).toBeUndefined();
  });

  it('a shipped key comes with the delivery form and a link to the carrier’s tracking page', () => {
    expect(gallery.get('notification-shipped')!.actions).toContainEqual({
      type: 'Action.OpenUrl',
      title: 'Track the parcel',
      url: 'https://www.postnord.se/en/our-tools/track-and-trace?shipmentId=UA123456789SE',
    });
    expect(JSON.stringify(gallery.get('notification-shipped'))).toContain('serialLastDigits');
  });

  it('`npm run cards -- --out DIR` writes one JSON file per card', async () => {
    const out = await mkdtemp(join(tmpdir(), 'courier-cards-'));
    try {
      await run('npm', ['run', '-s', 'cards', '--', '--out', out]);
      const files = (await readdir(out)).sort();
      expect(files).toEqual([...gallery.keys()].map((name) => `${name}.json`).sort());
      const welcome = JSON.parse(await readFile(join(out, 'welcome.json'), 'utf8'));
      expect(welcome).toEqual(JSON.parse(JSON.stringify(gallery.get('welcome'))));
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('strict card validation', () => {
  const base = { type: 'AdaptiveCard', version: '1.5' };

  it('refuses a property outside 1.5', () => {
    const problems = validateAdaptiveCard({
      ...base,
      body: [{ type: 'TextBlock', text: 'x', bogus: true }],
    });
    expect(problems.join('\n')).toMatch(/\$\.body\[0\]\.bogus is not an Adaptive Cards 1\.5/);
  });

  it('refuses an unknown element, an older version and unknown msteams members', () => {
    expect(validateAdaptiveCard({ ...base, body: [{ type: 'Carousel' }] }).join()).toMatch(
      /UnknownElementType/,
    );
    expect(validateAdaptiveCard({ ...base, version: '1.2', body: [] }).join()).toMatch(/not 1\.5/);
    expect(
      validateAdaptiveCard({ ...base, body: [], msteams: { width: 'Full', theme: 'x' } }).join(),
    ).toMatch(/msteams\.theme/);
  });
});
