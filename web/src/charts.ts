import { BarChart, FunnelChart, LineChart, MapChart, SankeyChart } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import type {
  AttributionResponse,
  CountriesResponse,
  FailuresResponse,
  FunnelResponse,
  ModelQualityResponse,
  PageFlowResponse,
  TimelineResponse,
} from '../../src/gateway/dashboard/api-types.js';
import { amount, count, percent } from './format.js';
import { worldMap } from './world.js';

// Only what the dashboard draws, so the bundle stays small (echarts/core is tree-shakable).
echarts.use([
  BarChart,
  FunnelChart,
  LineChart,
  MapChart,
  SankeyChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

const world = worldMap();
echarts.registerMap('world', world.geoJson as never);

const PALETTE = ['#2563eb', '#f59e0b', '#10b981', '#8b5cf6', '#ef4444', '#0891b2', '#64748b'];
const TEXT = { color: '#334155', fontSize: 11 };

/** Every chart of the page by name, for resizing and for the browser tests' probe. */
export const charts = new Map<string, echarts.ECharts>();

function chart(name: string, id: string): echarts.ECharts {
  const existing = charts.get(name);
  if (existing !== undefined) return existing;
  const element = document.getElementById(id);
  if (element === null) throw new Error(`no element #${id}`);
  const instance = echarts.init(element, undefined, { renderer: 'canvas' });
  charts.set(name, instance);
  return instance;
}

window.addEventListener('resize', () => {
  for (const instance of charts.values()) instance.resize();
});

/** How many data items each chart's series hold now (the tests' probe reads this). */
export function seriesSizes(): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const [name, instance] of charts) {
    const option = instance.getOption() as {
      series?: Array<{ data?: unknown[]; links?: unknown[] }>;
    };
    sizes[name] = (option.series ?? []).reduce(
      (n, series) => n + (series.data?.length ?? 0) + (series.links?.length ?? 0),
      0,
    );
  }
  return sizes;
}

export function renderTimeline(data: TimelineResponse): void {
  const points = data.points;
  chart('timeline', 'chart-timeline').setOption(
    {
      color: PALETTE,
      grid: { left: 44, right: 48, top: 28, bottom: 24 },
      tooltip: { trigger: 'axis' },
      legend: { top: 0, textStyle: TEXT },
      xAxis: { type: 'time', axisLabel: TEXT },
      yAxis: [
        { type: 'value', name: 'sessions', nameTextStyle: TEXT, axisLabel: TEXT },
        {
          type: 'value',
          name: 'conv.',
          nameTextStyle: TEXT,
          axisLabel: { ...TEXT, formatter: (v: number) => percent(v, 0) },
          splitLine: { show: false },
        },
      ],
      series: [
        {
          name: 'Sessions',
          type: 'bar',
          data: points.map((p) => [p.at, p.sessions]),
          barMaxWidth: 14,
        },
        {
          name: 'Conversion rate',
          type: 'line',
          yAxisIndex: 1,
          showSymbol: false,
          smooth: true,
          data: points.map((p) => [p.at, p.conversionRate]),
        },
      ],
    },
    { notMerge: true },
  );
}

export function renderFunnel(data: FunnelResponse): void {
  chart('funnel', 'chart-funnel').setOption(
    {
      color: PALETTE,
      tooltip: {
        trigger: 'item',
        formatter: (p: { name: string; value: number; data: { rate: number } }) =>
          `${p.name}: ${count(p.value)} visitors (${percent(p.data.rate)} of the first step)`,
      },
      series: [
        {
          type: 'funnel',
          sort: 'none',
          left: 8,
          right: 8,
          top: 8,
          bottom: 8,
          minSize: '12%',
          gap: 2,
          label: {
            position: 'inside',
            color: '#fff',
            fontSize: 11,
            formatter: (p: { name: string; value: number }) => `${p.name}  ${count(p.value)}`,
          },
          data: data.steps.map((s) => ({
            name: s.label,
            value: s.visitors,
            rate: s.rateFromStart,
          })),
        },
      ],
    },
    { notMerge: true },
  );
}

const nodeName = (node: PageFlowResponse['links'][number]['from'], step: number): string =>
  node.kind === 'page'
    ? `${step}. ${node.pageType}`
    : node.kind === 'conversion'
      ? 'Conversion'
      : 'Exit';

export function renderSankey(data: PageFlowResponse): void {
  const nodes = new Map<string, { name: string; itemStyle?: { color: string } }>();
  const links = data.links.map((link) => {
    const source = nodeName(link.from, link.step);
    const target = nodeName(link.to, link.step + 1);
    for (const name of [source, target]) {
      if (!nodes.has(name)) {
        const color = name === 'Conversion' ? '#10b981' : name === 'Exit' ? '#94a3b8' : undefined;
        nodes.set(name, color === undefined ? { name } : { name, itemStyle: { color } });
      }
    }
    return { source, target, value: link.sessions };
  });
  chart('sankey', 'chart-sankey').setOption(
    {
      color: PALETTE,
      tooltip: { trigger: 'item' },
      series: [
        {
          type: 'sankey',
          left: 8,
          right: 90,
          top: 8,
          bottom: 8,
          nodeGap: 6,
          emphasis: { focus: 'adjacency' },
          label: { fontSize: 10, color: '#1e293b' },
          lineStyle: { color: 'gradient', opacity: 0.35 },
          data: [...nodes.values()],
          links,
        },
      ],
    },
    { notMerge: true },
  );
}

export function renderAttribution(data: AttributionResponse): void {
  const channels = data.channels.slice(0, 10);
  const series = (
    [
      ['Markov', (r: AttributionResponse['channels'][number]) => r.markov.conversions],
      ['First touch', (r: AttributionResponse['channels'][number]) => r.first.conversions],
      ['Last touch', (r: AttributionResponse['channels'][number]) => r.last.conversions],
      ['Linear', (r: AttributionResponse['channels'][number]) => r.linear.conversions],
    ] as const
  ).map(([name, value]) => ({
    name,
    type: 'bar' as const,
    barMaxWidth: 10,
    data: channels.map((r) => Number(value(r).toFixed(2))),
  }));
  chart('attribution', 'chart-attribution').setOption(
    {
      color: PALETTE,
      grid: { left: 110, right: 16, top: 26, bottom: 22 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 0, textStyle: TEXT },
      xAxis: { type: 'value', name: 'conversions', nameTextStyle: TEXT, axisLabel: TEXT },
      yAxis: {
        type: 'category',
        inverse: true,
        data: channels.map((r) => r.channel),
        axisLabel: TEXT,
      },
      series,
    },
    { notMerge: true },
  );
}

export function renderMap(data: CountriesResponse): void {
  const known = data.countries.filter((c) => c.country !== '');
  const max = Math.max(1, ...known.map((c) => c.sessions));
  chart('map', 'chart-map').setOption(
    {
      tooltip: {
        trigger: 'item',
        formatter: (p: { name: string; value: number }) =>
          `${world.names.get(p.name) ?? p.name}: ${Number.isFinite(p.value) ? count(p.value) : 0} sessions`,
      },
      visualMap: {
        min: 0,
        max,
        left: 8,
        bottom: 8,
        calculable: true,
        itemHeight: 80,
        textStyle: TEXT,
        inRange: { color: ['#dbeafe', '#1d4ed8'] },
      },
      series: [
        {
          type: 'map',
          map: 'world',
          roam: true,
          zoom: 1.15,
          emphasis: { label: { show: false } },
          itemStyle: { areaColor: '#f1f5f9', borderColor: '#cbd5e1' },
          data: known.map((c) => ({ name: c.country, value: c.sessions })),
        },
      ],
    },
    { notMerge: true },
  );
}

export function renderCalibration(data: ModelQualityResponse): void {
  chart('calibration', 'chart-calibration').setOption(
    {
      color: PALETTE,
      grid: { left: 40, right: 12, top: 26, bottom: 28 },
      tooltip: { trigger: 'item' },
      legend: { top: 0, right: 0, textStyle: TEXT },
      xAxis: {
        type: 'value',
        min: 0,
        max: 1,
        name: 'predicted',
        nameLocation: 'middle',
        nameGap: 18,
        nameTextStyle: TEXT,
        axisLabel: TEXT,
      },
      yAxis: {
        type: 'value',
        min: 0,
        max: 1,
        name: 'observed',
        nameTextStyle: TEXT,
        axisLabel: TEXT,
      },
      series: [
        {
          name: 'Model',
          type: 'line',
          symbolSize: 6,
          data: data.calibration.map((b) => [b.meanPredicted, b.observedRate, b.count]),
        },
        {
          name: 'Perfect',
          type: 'line',
          symbol: 'none',
          itemStyle: { color: '#94a3b8' },
          lineStyle: { type: 'dashed', color: '#94a3b8' },
          data: [
            [0, 0],
            [1, 1],
          ],
        },
      ],
    },
    { notMerge: true },
  );
}

export function renderFailures(data: FailuresResponse): void {
  chart('failures', 'chart-failures').setOption(
    {
      color: ['#ef4444'],
      grid: { left: 120, right: 24, top: 8, bottom: 24 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'value', minInterval: 1, axisLabel: TEXT },
      yAxis: {
        type: 'category',
        inverse: true,
        data: data.reasons.map((r) => r.reason),
        axisLabel: TEXT,
      },
      series: [
        {
          name: 'Failed events',
          type: 'bar',
          barMaxWidth: 16,
          label: {
            show: true,
            position: 'right',
            fontSize: 10,
            formatter: (p: { value: number }) => amount(p.value),
          },
          data: data.reasons.map((r) => r.count),
        },
      ],
    },
    { notMerge: true },
  );
}
