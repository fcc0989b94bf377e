import type {
  AttributionResponse,
  CountriesResponse,
  FailuresResponse,
  FunnelResponse,
  MeResponse,
  ModelQualityResponse,
  PageFlowResponse,
  TimelineResponse,
} from '../../src/gateway/dashboard/api-types.js';
import { ApiFailure, getJson, postJson, type RangeQuery } from './api.js';
import {
  renderAttribution,
  renderCalibration,
  renderFailures,
  renderFunnel,
  renderMap,
  renderSankey,
  renderTimeline,
  seriesSizes,
} from './charts.js';
import { count, decimal, escapeHtml, percent } from './format.js';
import { connectLive, liveState } from './live.js';
import './style.css';

/** What the browser tests read: load rounds, chart sizes, live frames. */
interface DashboardProbe {
  loads: number;
  errors: string[];
  seriesSizes(): Record<string, number>;
  liveFrames(): number;
}

declare global {
  interface Window {
    pathcastDashboard: DashboardProbe;
  }
}

const probe: DashboardProbe = {
  loads: 0,
  errors: [],
  seriesSizes,
  liveFrames: () => liveState.frames,
};
window.pathcastDashboard = probe;

function currentRange(): RangeQuery {
  const select = document.querySelector<HTMLSelectElement>('#range');
  const span = Number(select?.value ?? 604_800_000);
  const to = Date.now() + 1;
  return { from: to - span, to };
}

function note(id: string, text: string): void {
  const element = document.getElementById(id);
  if (element !== null) element.textContent = text;
}

function renderModel(data: ModelQualityResponse): void {
  const source = {
    serving: 'model in service',
    stored: 'latest stored model',
    live_scores: 'live scores vs outcomes',
    none: 'no data yet',
  }[data.source];
  note('model-note', `${data.version ?? ''} · ${source}`);
  const metrics = document.getElementById('model-metrics');
  if (metrics !== null) {
    metrics.innerHTML = [
      ['AUC', decimal(data.auc, 3)],
      ['Log-loss', decimal(data.logLoss, 3)],
      ['ECE', decimal(data.ece, 3)],
      ['Examples', count(data.examples)],
    ]
      .map(
        ([label, value]) =>
          `<div><span class="label">${escapeHtml(label ?? '')}</span><span id="model-${escapeHtml(
            (label ?? '').toLowerCase(),
          )}" class="value">${escapeHtml(value ?? '')}</span></div>`,
      )
      .join('');
  }
  renderCalibration(data);
}

/** Reads every report of the range and draws it; one failing report does not stop the others. */
async function loadAll(): Promise<void> {
  const range = currentRange();
  const tasks: Array<Promise<void>> = [
    getJson<TimelineResponse>('timeline', { ...range }).then((d) => {
      note('timeline-note', `per ${d.bucket}`);
      renderTimeline(d);
    }),
    getJson<FunnelResponse>('funnel', { ...range }).then(renderFunnel),
    getJson<PageFlowResponse>('page-flow', { ...range }).then((d) => {
      note(
        'flow-note',
        `${count(d.sessions)} sessions · ${percent(d.sessions === 0 ? null : d.converted / d.sessions)} convert`,
      );
      renderSankey(d);
    }),
    getJson<AttributionResponse>('attribution', { ...range }).then(renderAttribution),
    getJson<CountriesResponse>('countries', { ...range }).then(renderMap),
    getJson<ModelQualityResponse>('model', { ...range }).then(renderModel),
    getJson<FailuresResponse>('failures', { ...range }).then(renderFailures),
  ];
  const results = await Promise.allSettled(tasks);
  for (const result of results) {
    if (result.status === 'rejected') {
      const error = result.reason as Error;
      if (error instanceof ApiFailure && error.status === 401) {
        location.assign('/login');
        return;
      }
      probe.errors.push(error.message);
    }
  }
  probe.loads++;
}

async function start(): Promise<void> {
  let me: MeResponse;
  try {
    me = await getJson<MeResponse>('me');
  } catch {
    location.assign('/login');
    return;
  }
  note('site-name', me.site);
  note('geo-credit', me.geoAttribution);
  document.querySelector('#range')?.addEventListener('change', () => void loadAll());
  document.querySelector('#logout')?.addEventListener('click', () => {
    void postJson('logout', undefined).then(() => location.assign('/login'));
  });
  connectLive();
  await loadAll();
  // Stored reports change as sessions close; re-read them every 30 s.
  setInterval(() => void loadAll(), 30_000);
}

void start();
