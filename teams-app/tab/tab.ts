import type { RequestView } from '../../core/request/request-view.ts';
import { RequestState } from '../../core/request/request-state.ts';
import { stringsFor } from '../../functions/bot/bot-strings.ts';
import { HAPPY_PATH, stageName } from '../../functions/bot/cards/stage-timeline.ts';
import { accessToken, type TabConfig } from './tab-auth.ts';

const strings = stringsFor(navigator.language);
const main = document.querySelector<HTMLElement>('#main')!;
const config = (await (await fetch('config.json')).json()) as TabConfig;
/** How long a revealed PIN stays on screen. */
const PIN_VISIBLE_MS = (config.pinVisibleSeconds ?? 30) * 1000;

async function api<T>(path: string, body?: unknown): Promise<T> {
  const token = await accessToken(config);
  const answer = await fetch(`${config.apiBase}/api/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await answer.json()) as T & { error?: { message: string } };
  if (!answer.ok) throw new Error(json.error?.message ?? `The service answered ${answer.status}.`);
  return json;
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const made = document.createElement(tag);
  if (text !== undefined) made.textContent = text;
  if (className) made.className = className;
  return made;
}

/** The stages as a timeline: done, current, still to come (or how it ended). */
function timeline(state: RequestState): HTMLElement {
  const list = element('ol', undefined, 'timeline');
  const at = HAPPY_PATH.indexOf(state);
  const stages = at >= 0 ? HAPPY_PATH : [RequestState.Requested, state];
  stages.forEach((stage, index) => {
    const done = at >= 0 ? index < at || state === RequestState.Completed : index === 0;
    const current = at >= 0 ? index === at : index === 1;
    const item = element(
      'li',
      `${done ? '✓' : current ? '➜' : '○'} ${stageName(strings, stage)}`,
      at < 0 && current ? 'ended' : done ? 'done' : current ? 'current' : 'later',
    );
    if (current) item.setAttribute('aria-current', 'step');
    list.appendChild(item);
  });
  return list;
}

function revealButton(view: RequestView, holder: HTMLElement): HTMLElement {
  const button = element('button', strings.revealInTab);
  button.addEventListener('click', () => {
    button.disabled = true;
    void api<{ pin: string }>(`requests/${view.requestId}/pin`, {}).then(
      ({ pin }) => {
        const shown = element('div');
        shown.append(
          element('p', `Your PIN (shown once; it disappears in ${PIN_VISIBLE_MS / 1000} seconds):`),
          element('p', pin, 'pin'),
          element(
            'p',
            'Your key asks you to choose a new PIN the first time you use it: type this one, then your own.',
          ),
        );
        holder.replaceChildren(shown);
        setTimeout(() => {
          holder.replaceChildren(
            element(
              'p',
              'The PIN is hidden and gone from the service. If you did not note it, report the key lost to get a new one.',
            ),
          );
        }, PIN_VISIBLE_MS);
      },
      (error: Error) => {
        holder.replaceChildren(element('p', error.message, 'error'));
      },
    );
  });
  return button;
}

async function myRequests(): Promise<void> {
  const { requests } = await api<{ requests: RequestView[] }>('requests/mine');
  main.replaceChildren(element('h1', strings.myRequestsTitle));
  if (requests.length === 0)
    main.appendChild(element('p', strings.noRequests.replace(/\*\*/g, '')));
  for (const view of requests) {
    const card = element('section', undefined, 'request');
    card.dataset.requestId = view.requestId;
    card.append(
      element('h2', strings.requestTitle.replace('{requestId}', view.requestId)),
      timeline(view.state),
    );
    if (view.trackingNumber) {
      card.appendChild(
        element('p', `${strings.trackingFact}: ${view.carrier ?? ''} ${view.trackingNumber}`),
      );
    }
    if (view.actions.includes('reveal-pin')) {
      const holder = element('div');
      holder.appendChild(revealButton(view, holder));
      card.appendChild(holder);
    } else if (view.actions.includes('confirm-delivery')) {
      card.appendChild(
        element(
          'p',
          'When the key arrives, confirm it in the chat with the last digits of its serial; the PIN then appears here.',
        ),
      );
    }
    main.appendChild(card);
  }
}

async function approvals(): Promise<void> {
  const { requests } = await api<{ requests: RequestView[] }>('approvals/pending');
  main.replaceChildren(element('h1', 'Approvals'));
  if (requests.length === 0) main.appendChild(element('p', 'Nothing waits for your decision.'));
  for (const view of requests) {
    const card = element('section', undefined, 'request');
    const name = view.requester.displayName ?? view.requester.id;
    card.append(
      element('h2', strings.approvalTitle.replace('{name}', name)),
      element('p', `${strings.keyClassFact}: ${view.keyClass}`),
    );
    for (const approved of [true, false]) {
      const button = element('button', approved ? strings.approve : strings.reject);
      button.addEventListener('click', () => {
        void api(`requests/${view.requestId}/decision`, { approved }).then(
          () => card.replaceChildren(element('p', strings.decisionRecorded)),
          (error: Error) => card.appendChild(element('p', error.message, 'error')),
        );
      });
      card.appendChild(button);
    }
    main.appendChild(card);
  }
}

interface QueuedJob {
  jobId: string;
  requestId?: string;
  state?: string;
  keyClass?: { name?: string } | string;
}

async function queue(): Promise<void> {
  const { jobs } = await api<{ jobs: QueuedJob[] }>('station/queue');
  main.replaceChildren(element('h1', 'Mailroom queue'));
  const table = element('table');
  const head = element('tr');
  for (const title of ['Job', 'State', 'Key type']) head.appendChild(element('th', title));
  table.appendChild(head);
  for (const job of jobs) {
    const row = element('tr');
    const keyClass = typeof job.keyClass === 'string' ? job.keyClass : (job.keyClass?.name ?? '');
    for (const value of [job.jobId, job.state ?? '', keyClass])
      row.appendChild(element('td', value));
    table.appendChild(row);
  }
  main.appendChild(jobs.length ? table : element('p', 'The queue is empty.'));
}

const PAGES: Record<string, () => Promise<void>> = {
  requests: myRequests,
  approvals,
  queue,
};

async function show(): Promise<void> {
  const name = location.hash.slice(1) || 'requests';
  for (const link of document.querySelectorAll('nav a')) {
    if (link.getAttribute('href')?.endsWith(`#${name}`)) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  try {
    await (PAGES[name] ?? myRequests)();
  } catch (error) {
    main.replaceChildren(element('p', (error as Error).message, 'error'));
  }
}

// Keep the persona when moving between pages outside Teams.
for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
  link.href = `${location.search}${link.getAttribute('href') ?? ''}`;
}
window.addEventListener('hashchange', () => void show());
await show();
