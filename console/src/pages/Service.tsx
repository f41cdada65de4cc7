import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorNote } from '../components/Notice.tsx';
import { bytes } from '../format.ts';

const REFRESH_MS = 3000;
/** Refreshes the latency chart keeps: two minutes. */
const HISTORY = 40;

interface Readiness {
  status: string;
  info?: Record<string, { status: string; [detail: string]: unknown }>;
  error?: Record<string, { status: string; message?: string }>;
  details?: Record<string, { status: string; [detail: string]: unknown }>;
}

/** The lines of a Prometheus exposition this page reads: name{labels} value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

interface Histogram {
  count: number;
  sum: number;
  buckets: [le: number, count: number][];
}

function histogram(
  samples: Sample[],
  name: string,
  keep: (labels: Record<string, string>) => boolean,
): Histogram {
  const buckets = new Map<number, number>();
  let count = 0;
  let sum = 0;
  for (const sample of samples) {
    if (!keep(sample.labels)) continue;
    if (sample.name === `${name}_count`) count += sample.value;
    else if (sample.name === `${name}_sum`) sum += sample.value;
    else if (sample.name === `${name}_bucket`) {
      const le = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
      buckets.set(le, (buckets.get(le) ?? 0) + sample.value);
    }
  }
  return { count, sum, buckets: [...buckets].sort((a, b) => a[0] - b[0]) };
}

/** The requests between two scrapes: their count, mean and 95th percentile (bucket bound). */
function between(
  before: Histogram,
  after: Histogram,
): { count: number; mean?: number; p95?: number } {
  const count = after.count - before.count;
  if (count <= 0) return { count: 0 };
  const mean = (after.sum - before.sum) / count;
  const earlier = new Map(before.buckets);
  const p95 = after.buckets.find(
    ([le, total]) => total - (earlier.get(le) ?? 0) >= 0.95 * count,
  )?.[0];
  return { count, mean, p95 };
}

const value = (samples: Sample[], name: string) =>
  samples.find((sample) => sample.name === name)?.value;

interface Tick {
  at: number;
  requests: number;
  meanMs?: number;
  inferences: number;
  inferenceMs?: number;
}

/** The API's own requests: not this page's polling, nor the console's files. */
const isApiRequest = ({ route = '' }: Record<string, string>) =>
  !/^\/(metrics|health|console)/.test(route);

export function Service() {
  const [ready, setReady] = useState<{ answer?: Readiness; status?: number; error?: Error }>({});
  const [now, setNow] = useState<{ samples: Sample[]; ticks: Tick[] }>({ samples: [], ticks: [] });
  const last = useRef<{ http: Histogram; inference: Histogram } | undefined>(undefined);

  useEffect(() => {
    let live = true;
    const refresh = async () => {
      try {
        // Both are public: readiness and metrics answer without a key, as a load balancer needs.
        const [health, metrics] = await Promise.all([fetch('/health/ready'), fetch('/metrics')]);
        const answer = (await health.json()) as Readiness;
        const samples = parseMetrics(await metrics.text());
        if (!live) return;
        setReady({ answer, status: health.status });
        const http = histogram(samples, 'http_request_duration_seconds', isApiRequest);
        const inference = histogram(
          samples,
          'face_inference_duration_seconds',
          (labels) => labels.stage === 'total',
        );
        const previous = last.current;
        last.current = { http, inference };
        setNow((before) => {
          const ticks = previous
            ? [
                ...before.ticks,
                (() => {
                  const requests = between(previous.http, http);
                  const inferences = between(previous.inference, inference);
                  return {
                    at: Date.now(),
                    requests: requests.count,
                    meanMs: requests.mean === undefined ? undefined : requests.mean * 1000,
                    inferences: inferences.count,
                    inferenceMs: inferences.mean === undefined ? undefined : inferences.mean * 1000,
                  };
                })(),
              ].slice(-HISTORY)
            : before.ticks;
          return { samples, ticks };
        });
      } catch (error) {
        if (live) setReady({ error: error as Error });
      }
    };
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);

  const checks = { ...(ready.answer?.details ?? {}) };
  const engine = checks.faceEngine as
    { backend?: string; model?: string; workers?: number } | undefined;
  const storage = checks.storage as
    { roomBytes?: number; message?: string; status: string } | undefined;
  const queue = value(now.samples, 'face_engine_queue_length');
  const inFlight = value(now.samples, 'face_engine_in_flight');
  const references = value(now.samples, 'face_references');
  const latest = now.ticks[now.ticks.length - 1];
  const http = histogram(now.samples, 'http_request_duration_seconds', isApiRequest);

  return (
    <>
      <header class="page-head">
        <div>
          <h1>Service</h1>
          <p class="lede">Readiness and load, refreshed every {REFRESH_MS / 1000} seconds.</p>
        </div>
        <p class={`badge ${ready.status === 200 ? 'badge-ok' : 'badge-bad'}`} role="status">
          {ready.status === undefined ? 'checking…' : ready.status === 200 ? 'Ready' : 'Not ready'}
        </p>
      </header>
      <ErrorNote error={ready.error} />
      <dl class="stats">
        <Stat
          term="Database"
          value={checks.database?.status ?? '…'}
          good={checks.database?.status === 'up'}
        />
        <Stat
          term="Storage"
          value={
            !storage
              ? '…'
              : storage.status !== 'up'
                ? (storage.message ?? 'full')
                : storage.roomBytes === undefined
                  ? 'room to write'
                  : `${bytes(storage.roomBytes)} free`
          }
          good={storage?.status === 'up'}
        />
        <Stat term="Backend" value={engine?.backend ?? '…'} />
        <Stat term="Workers" value={engine?.workers === undefined ? '…' : String(engine.workers)} />
        <Stat term="In flight" value={inFlight === undefined ? '…' : String(inFlight)} />
        <Stat
          term="Queued"
          value={queue === undefined ? '…' : String(queue)}
          good={queue === undefined || queue < 10}
        />
        <Stat
          term="Photos enrolled"
          value={references === undefined ? '…' : references.toLocaleString('en')}
        />
        <Stat
          term="Latency, last 3 s"
          value={latest?.meanMs === undefined ? 'idle' : `${Math.round(latest.meanMs)} ms`}
          note={latest?.meanMs === undefined ? undefined : 'mean of the API requests'}
        />
        <Stat
          term="API requests since start"
          value={http.count.toLocaleString('en')}
          note={
            http.count === 0 ? undefined : `${Math.round((http.sum / http.count) * 1000)} ms mean`
          }
        />
      </dl>
      {engine?.model && (
        <p class="muted">
          Model <code>{engine.model}</code>
        </p>
      )}
      <section class="panel panel-flat" aria-labelledby="latency-title">
        <h2 id="latency-title">Recent requests</h2>
        <LatencyChart ticks={now.ticks} />
      </section>
    </>
  );
}

function Stat({
  term,
  value,
  note,
  good,
}: {
  term: string;
  value: string;
  note?: string;
  good?: boolean;
}) {
  return (
    <div class={good === undefined ? 'stat' : good ? 'stat stat-good' : 'stat stat-bad'}>
      <dt>{term}</dt>
      <dd>
        {value}
        {note && <small>{note}</small>}
      </dd>
    </div>
  );
}

function LatencyChart({ ticks }: { ticks: Tick[] }) {
  const w = 720;
  const h = 180;
  const m = { left: 48, right: 12, top: 12, bottom: 24 };
  const top =
    Math.max(50, ...ticks.map((tick) => Math.max(tick.meanMs ?? 0, tick.inferenceMs ?? 0))) * 1.15;
  const x = (index: number) => m.left + (index / (HISTORY - 1)) * (w - m.left - m.right);
  const y = (ms: number) => h - m.bottom - (ms / top) * (h - m.top - m.bottom);
  const offset = HISTORY - ticks.length;
  const path = (pick: (tick: Tick) => number | undefined) =>
    ticks
      .map((tick, index) => [index, pick(tick)] as const)
      .filter(([, ms]) => ms !== undefined)
      .map(
        ([index, ms], at) =>
          `${at ? 'L' : 'M'}${x(offset + index).toFixed(1)} ${y(ms as number).toFixed(1)}`,
      )
      .join(' ');
  const requests = ticks.reduce((total, tick) => total + tick.requests, 0);
  return (
    <>
      <svg
        class="chart"
        viewBox={`0 0 ${w} ${h}`}
        role="img"
        aria-label={`${requests} API requests in the last ${ticks.length * (REFRESH_MS / 1000)} seconds`}
      >
        <g class="grid">
          {[0, 0.5, 1].map((share) => (
            <g key={share}>
              <line x1={m.left} x2={w - m.right} y1={y(share * top)} y2={y(share * top)} />
              <text x={m.left - 6} y={y(share * top) + 4} text-anchor="end">
                {Math.round(share * top)} ms
              </text>
            </g>
          ))}
        </g>
        {ticks.length < 2 && (
          <text class="chart-waiting" x={w / 2} y={h / 2} text-anchor="middle">
            Collecting: a point every {REFRESH_MS / 1000} seconds
          </text>
        )}
        <path class="series series-latency" d={path((tick) => tick.meanMs)} />
        {ticks.map(
          (tick, index) =>
            tick.meanMs !== undefined && (
              <circle
                key={tick.at}
                class="series-latency-dot"
                cx={x(offset + index)}
                cy={y(tick.meanMs)}
                r={3}
              />
            ),
        )}
        <path class="series series-inference" d={path((tick) => tick.inferenceMs)} />
      </svg>
      <ul class="legend">
        <li class="legend-latency">API request, mean of each 3 s</li>
        <li class="legend-inference">one photo's inference in a worker</li>
        <li class="legend-none">
          {requests} API requests in the last {Math.round((ticks.length * REFRESH_MS) / 1000)} s
        </li>
      </ul>
    </>
  );
}
