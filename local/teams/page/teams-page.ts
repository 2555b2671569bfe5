import * as AC from 'adaptivecards';
import { TEAMS_HOST_CONFIG } from './teams-host-config.ts';

interface Persona {
  name: string;
  id: string;
  displayName: string;
  teamsUserId: string;
}
interface ChatMessage {
  id: string;
  from: 'bot' | 'user';
  text?: string;
  card?: Record<string, unknown>;
  replyToId?: string;
  version: number;
}
interface InvokeAnswer {
  statusCode: number;
  type: string;
  value: unknown;
}

const chat = document.querySelector<HTMLDivElement>('#chat')!;
const select = document.querySelector<HTMLSelectElement>('#persona')!;
const compose = document.querySelector<HTMLFormElement>('#compose')!;
const input = document.querySelector<HTMLInputElement>('#text')!;
const hostConfig = new AC.HostConfig(TEAMS_HOST_CONFIG);

// Teams renders **bold** and the like in TextBlocks.
AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  result.outputHtml = escaped
    .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/\n/g, '<br>');
  result.didProcess = true;
};

let persona: Persona | undefined;
/** What this persona sees instead of the stored card: Universal Actions' personal views. */
const personalViews = new Map<string, { version: number; card: Record<string, unknown> }>();
const rendered = new Map<string, string>();

async function api<T>(path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? (undefined as T) : ((await response.json()) as T);
}

const base = (who: Persona) => `/api/personas/${encodeURIComponent(who.name)}`;

async function invoke(message: ChatMessage, verb: string, data: unknown): Promise<InvokeAnswer> {
  return api<InvokeAnswer>(`${base(persona!)}/invoke`, { verb, data, replyToId: message.id });
}

function showNotice(element: HTMLElement, text: string): void {
  const notice = document.createElement('div');
  notice.className = 'notice';
  notice.setAttribute('role', 'status');
  notice.textContent = text;
  element.appendChild(notice);
}

function renderCard(message: ChatMessage, json: Record<string, unknown>): HTMLElement {
  const card = new AC.AdaptiveCard();
  card.hostConfig = hostConfig;
  card.parse(json);
  card.onExecuteAction = (action) => {
    if (action instanceof AC.ExecuteAction) {
      void invoke(message, action.verb ?? '', action.data).then((answer) => {
        if (answer.type === 'application/vnd.microsoft.card.adaptive') {
          personalViews.set(message.id, {
            version: message.version,
            card: answer.value as Record<string, unknown>,
          });
          rendered.delete(message.id);
          void refresh();
        } else {
          showNotice(holder, String(answer.value));
        }
      });
    } else if (action instanceof AC.OpenUrlAction && action.url) {
      window.open(action.url, '_blank', 'noopener');
    }
  };
  const holder = document.createElement('div');
  holder.appendChild(card.render()!);
  return holder;
}

/** Teams asks the bot for a personal view when the card names the viewer in refresh.userIds. */
async function viewFor(message: ChatMessage): Promise<Record<string, unknown> | undefined> {
  const personal = personalViews.get(message.id);
  if (personal && personal.version === message.version) return personal.card;
  const refresh = message.card?.refresh as
    { action?: { verb?: string; data?: unknown }; userIds?: string[] } | undefined;
  if (refresh?.action?.verb && refresh.userIds?.includes(persona!.teamsUserId)) {
    const answer = await invoke(message, refresh.action.verb, refresh.action.data ?? {});
    if (answer.type === 'application/vnd.microsoft.card.adaptive') {
      const card = answer.value as Record<string, unknown>;
      personalViews.set(message.id, { version: message.version, card });
      return card;
    }
  }
  return message.card;
}

async function refresh(): Promise<void> {
  if (!persona) return;
  const messages = await api<ChatMessage[]>(`${base(persona)}/chat`);
  for (const message of messages) {
    const key = `${message.version}:${personalViews.get(message.id)?.version ?? 0}`;
    if (rendered.get(message.id) === key) continue;
    let element = chat.querySelector<HTMLElement>(`[data-id="${CSS.escape(message.id)}"]`);
    if (!element) {
      element = document.createElement('div');
      element.dataset.id = message.id;
      element.className = `message ${message.from}`;
      chat.appendChild(element);
    }
    element.dataset.version = String(message.version);
    element.replaceChildren();
    // A line that answers a card (a reminder under an approval card) says so, as Teams does.
    const original = message.replyToId
      ? messages.find((m) => m.id === message.replyToId)
      : undefined;
    if (original?.card && !message.card) {
      const reply = document.createElement('div');
      reply.className = 'reply';
      reply.textContent = 'Reply to a card';
      element.appendChild(reply);
    }
    if (message.text) {
      const text = document.createElement('div');
      text.textContent = message.text;
      element.appendChild(text);
    }
    const view = message.card ? await viewFor(message) : undefined;
    if (view) element.appendChild(renderCard(message, view));
    rendered.set(message.id, `${message.version}:${personalViews.get(message.id)?.version ?? 0}`);
  }
}

async function choose(name: string): Promise<void> {
  const personas = await api<Persona[]>('/api/personas');
  persona = personas.find((p) => p.name === name);
  if (!persona) return;
  chat.replaceChildren();
  rendered.clear();
  personalViews.clear();
  document.body.dataset.persona = persona.name;
  await api(`${base(persona)}/install`, {});
  await refresh();
}

compose.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text || !persona) return;
  input.value = '';
  void api(`${base(persona)}/messages`, { text }).then(refresh);
});
select.addEventListener('change', () => void choose(select.value));

const personas = await api<Persona[]>('/api/personas');
for (const p of personas) {
  const option = document.createElement('option');
  option.value = p.name;
  option.textContent = `${p.displayName} (${p.name})`;
  select.appendChild(option);
}
const wanted = new URLSearchParams(location.search).get('persona') ?? personas[0]?.name ?? '';
select.value = wanted;
await choose(wanted);
setInterval(() => void refresh(), 1000);
