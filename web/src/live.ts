import type { LiveFrame, LiveSession } from '../../src/gateway/dashboard/api-types.js';
import { ago, amount, count, decimal, escapeHtml, percent, shortId } from './format.js';

/**
 * The live part of the page: the KPI cards and the live sessions table, fed by the `/api/live`
 * websocket (one frame a second). The socket carries the session cookie; on loss it reconnects
 * with a growing delay, and a refusal (the session ended) sends the browser to the login page.
 */
export interface LiveState {
  /** Frames received since the page loaded. */
  frames: number;
  last: LiveFrame | undefined;
}

/** Rows of the live sessions table. */
const LIVE_ROWS = 100;

export const liveState: LiveState = { frames: 0, last: undefined };

function setText(id: string, text: string): void {
  const element = document.getElementById(id);
  if (element !== null) element.textContent = text;
}

function setStatus(state: 'live' | 'connecting' | 'offline', text: string): void {
  const element = document.getElementById('live-status');
  if (element === null) return;
  element.dataset['state'] = state;
  element.textContent = text;
}

export function renderKpis(frame: LiveFrame): void {
  const k = frame.kpis;
  setText('kpi-live-visitors', count(k.liveVisitors));
  setText('kpi-sessions', count(k.sessions));
  setText('kpi-conversion-rate', percent(k.conversionRate, 2));
  setText('kpi-revenue', amount(k.revenue));
  setText('kpi-propensity', percent(k.averagePropensity, 1));
}

function row(session: LiveSession, now: number): string {
  const next = session.nextPages[0];
  return `<tr data-visitor="${escapeHtml(session.visitor)}" data-propensity="${session.propensity}">
  <td title="${escapeHtml(session.visitor)}">${escapeHtml(shortId(session.visitor))}</td>
  <td class="num"><span class="bar" style="--p:${(session.propensity * 100).toFixed(1)}%"></span>${percent(session.propensity)}</td>
  <td class="num">${decimal(session.markovProbability, 2)}</td>
  <td>${next === undefined ? '–' : `${escapeHtml(next.pageType)} <small>${percent(next.probability, 0)}</small>`}</td>
  <td class="muted">${ago(session.seenAt, now)}</td>
</tr>`;
}

export function renderSessions(sessions: readonly LiveSession[], now: number): void {
  const body = document.querySelector('#live-sessions tbody');
  if (body === null) return;
  body.innerHTML =
    sessions.length === 0
      ? '<tr class="empty"><td colspan="5">No visitor scored in the last 5 minutes.</td></tr>'
      : sessions.map((s) => row(s, now)).join('');
}

export function connectLive(): void {
  let delay = 1000;
  const open = (): void => {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/api/live?limit=${LIVE_ROWS}`);
    setStatus('connecting', 'connecting…');
    socket.addEventListener('open', () => {
      delay = 1000;
      setStatus('live', 'live');
    });
    socket.addEventListener('message', (event) => {
      const frame = JSON.parse(String(event.data)) as LiveFrame;
      liveState.frames++;
      liveState.last = frame;
      renderKpis(frame);
      renderSessions(frame.sessions, frame.at);
    });
    socket.addEventListener('close', (event) => {
      setStatus('offline', 'reconnecting…');
      // 1008: refused (e.g. another site); an HTTP 401 before the upgrade shows up as 1006.
      void fetch('/api/me', { credentials: 'same-origin' }).then((response) => {
        if (response.status === 401) location.assign('/login');
        else if (event.code !== 1008) setTimeout(open, delay);
      });
      delay = Math.min(delay * 2, 30_000);
    });
  };
  open();
}
