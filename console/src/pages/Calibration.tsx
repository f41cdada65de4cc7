import { falseAcceptRate } from '../../../src/face-engine/false-accept-rate.ts';
import { getJson, type CalibrationAnswer } from '../api.ts';
import { ErrorNote } from '../components/Notice.tsx';
import { oneIn, percent } from '../format.ts';
import { useLoad } from '../hooks.ts';
// Measured by `npm run calibrate` on the labelled sets (docs/recognition.md) and committed; the
// console carries the genuine-pair side of it, which the service itself has no use for.
import { model as measuredModel, realWorld, sets } from '../../../docs/calibration/summary.json';

/** The labelled sets, as docs/recognition.md describes them. */
const SET_NAMES: Record<string, string> = {
  'lfw-dev': 'LFW View 2 folds 1-5: real-world news photos, 2,086 people',
  deepface: "web photos of well-known people (DeepFace's master.csv)",
  people: 'tight 150 px crops, 8 people',
  orl: 'the ORL database: grey 92 × 112 lab photos, 40 people',
};

interface RocPoint {
  threshold: number;
  falseRejectRate: number;
  allPairsFar: number;
}

const ROC = (realWorld.roc as RocPoint[]).slice().sort((a, b) => a.threshold - b.threshold);

export function Calibration() {
  const table = useLoad(() => getJson<CalibrationAnswer>('/calibration'), []);
  const calibration = table.data;
  return (
    <>
      <header class="page-head">
        <div>
          <h1>Calibration</h1>
          <p class="lede">
            Where the threshold sits: how often strangers are let through, and how often the same
            person is turned away.
          </p>
        </div>
      </header>
      <ErrorNote error={table.error} />
      {calibration && !calibration.levels && (
        <p class="notice notice-error">
          The running model ({calibration.model}) has no calibration: verdicts use the threshold{' '}
          {calibration.default_threshold} with no false accept rate. Run{' '}
          <code>npm run calibrate -- --write-table</code>.
        </p>
      )}
      {calibration?.levels && (
        <>
          <section class="panel panel-flat" aria-labelledby="rates-title">
            <h2 id="rates-title">Error rates against the threshold</h2>
            <RatesChart calibration={calibration} />
            <Legend calibration={calibration} />
          </section>
          <div class="two">
            <section class="panel panel-flat" aria-labelledby="roc-title">
              <h2 id="roc-title">ROC curve</h2>
              <RocChart calibration={calibration} />
              <p class="muted">
                Each point is a threshold: the share of genuine lfw-dev pairs accepted against the
                false accept rate over all {calibration.impostor_pairs?.toLocaleString('en')} pairs
                of strangers.
              </p>
            </section>
            <section class="panel panel-flat" aria-labelledby="points-title">
              <h2 id="points-title">Operating points</h2>
              <OperatingPoints calibration={calibration} />
            </section>
          </div>
          <section class="panel panel-flat" aria-labelledby="sets-title">
            <h2 id="sets-title">Measured on</h2>
            <p>
              False accept rates: {calibration.measured_on}. False reject rates: the 1,500 genuine
              pairs of lfw-dev
              {measuredModel === calibration.model
                ? ''
                : ` (measured on ${measuredModel}, not the running model)`}
              . At the default threshold {calibration.default_threshold}, each labelled set:
            </p>
            <table>
              <caption class="visually-hidden">
                Accuracy of each labelled set at the default threshold
              </caption>
              <thead>
                <tr>
                  <th scope="col">set</th>
                  <th scope="col">what</th>
                  <th scope="col" class="num">
                    pairs
                  </th>
                  <th scope="col" class="num">
                    accuracy
                  </th>
                  <th scope="col" class="num">
                    false accepts
                  </th>
                  <th scope="col" class="num">
                    false rejects
                  </th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(sets).map(([name, { atDefault }]) => (
                  <tr key={name}>
                    <th scope="row">{name}</th>
                    <td>{SET_NAMES[name] ?? ''}</td>
                    <td class="num">{atDefault.pairs.toLocaleString('en')}</td>
                    <td class="num">{percent(atDefault.accuracy)}</td>
                    <td class="num">{atDefault.falseAccepts}</td>
                    <td class="num">{atDefault.falseRejects}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p class="muted">
              Reproduce with <code>npm run calibrate</code> (docs/recognition.md).
            </p>
          </section>
        </>
      )}
    </>
  );
}

type Levels = NonNullable<CalibrationAnswer['levels']>;

function marks(calibration: CalibrationAnswer): [string, number][] {
  const levels = calibration.levels as Levels;
  return [
    ['high', levels.high],
    ['medium', levels.medium],
    ['default', calibration.default_threshold],
    ['low', levels.low],
  ];
}

/** The rates 10^0 to 10^-7 as a person reads them. */
const RATE_LABELS = ['100%', '10%', '1%', '0.1%', '1 in 10k', '1 in 100k', '1 in 1M', '1 in 10M'];

const W = 720;
const H = 320;
const M = { left: 68, right: 16, top: 24, bottom: 40 };
const LOG_MIN = -7;

function logY(rate: number): number {
  const exponent = Math.max(LOG_MIN, Math.log10(Math.max(rate, 10 ** LOG_MIN)));
  return M.top + (exponent / LOG_MIN) * (H - M.top - M.bottom);
}

function RatesChart({ calibration }: { calibration: CalibrationAnswer }) {
  const [from, to] = [0.03, 0.12];
  const x = (value: number) => M.left + ((value - from) / (to - from)) * (W - M.left - M.right);
  const far = calibration.far.filter(([distance]) => distance >= from && distance <= to);
  const line = (points: [number, number][]) =>
    points
      .map(([px, py], index) => `${index ? 'L' : 'M'}${x(px).toFixed(1)} ${logY(py).toFixed(1)}`)
      .join(' ');
  const frr = ROC.map((point) => [point.threshold, point.falseRejectRate] as [number, number]);
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label={`False accept rate falling from ${oneIn(far[far.length - 1]?.[1] ?? 0)} to ${oneIn(far[0]?.[1] ?? 0)} as the threshold tightens from ${to} to ${from}; false reject rate ${percent(ROC[0].falseRejectRate)} at ${ROC[0].threshold} to ${percent(ROC[ROC.length - 1].falseRejectRate)} at ${ROC[ROC.length - 1].threshold}`}
    >
      <Grid x={x} from={from} to={to} />
      {marks(calibration).map(([name, value]) => (
        <g key={name} class={`chart-mark chart-mark-${name}`}>
          <line x1={x(value)} x2={x(value)} y1={M.top} y2={H - M.bottom} />
          <text x={x(value) + 3} y={M.top + 10}>
            {name}
          </text>
        </g>
      ))}
      <path class="series series-far" d={line(far)} />
      <path class="series series-frr" d={line(frr)} />
      {frr.map(([px, py]) => (
        <circle key={px} class="series-frr-dot" cx={x(px)} cy={logY(py)} r={3} />
      ))}
      <text class="axis-title" x={(M.left + W - M.right) / 2} y={H - 6} text-anchor="middle">
        threshold (cosine distance): a match is closer than this
      </text>
    </svg>
  );
}

function Grid({ x, from, to }: { x: (value: number) => number; from: number; to: number }) {
  const xs: number[] = [];
  for (let tick = Math.ceil(from * 100) / 100; tick <= to + 1e-9; tick += 0.01)
    xs.push(Number(tick.toFixed(2)));
  return (
    <g class="grid">
      {Array.from({ length: -LOG_MIN + 1 }, (_, exponent) => (
        <g key={exponent}>
          <line
            x1={M.left}
            x2={W - M.right}
            y1={logY(10 ** -exponent)}
            y2={logY(10 ** -exponent)}
          />
          <text x={M.left - 6} y={logY(10 ** -exponent) + 4} text-anchor="end">
            {RATE_LABELS[exponent]}
          </text>
        </g>
      ))}
      {xs.map((tick) => (
        <text key={tick} x={x(tick)} y={H - M.bottom + 16} text-anchor="middle">
          {tick.toFixed(2)}
        </text>
      ))}
    </g>
  );
}

function Legend({ calibration }: { calibration: CalibrationAnswer }) {
  return (
    <ul class="legend">
      <li class="legend-far">false accept rate: strangers judged the same person (log scale)</li>
      <li class="legend-frr">false reject rate: the same person judged a stranger</li>
      <li class="legend-mark">
        the default threshold {calibration.default_threshold} and the high, medium and low security
        levels
      </li>
    </ul>
  );
}

function RocChart({ calibration }: { calibration: CalibrationAnswer }) {
  const w = 360;
  const h = 300;
  const m = { left: 48, right: 12, top: 16, bottom: 40 };
  const x = (far: number) =>
    m.left + ((Math.log10(Math.max(far, 1e-7)) + 7) / 7) * (w - m.left - m.right);
  const accept = [0.8, 0.85, 0.9, 0.95, 1];
  const y = (rate: number) => m.top + ((1 - rate) / 0.2) * (h - m.top - m.bottom);
  const points = ROC.map((point) => ({
    ...point,
    px: x(point.allPairsFar),
    py: y(1 - point.falseRejectRate),
  }));
  const levels = new Map(marks(calibration).map(([name, value]) => [value, name]));
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${w} ${h}`}
      role="img"
      aria-label={`ROC: ${points.map((point) => `${percent(1 - point.falseRejectRate)} accepted at a false accept rate of ${point.allPairsFar.toExponential(1)}`).join('; ')}`}
    >
      <g class="grid">
        {accept.map((rate) => (
          <g key={rate}>
            <line x1={m.left} x2={w - m.right} y1={y(rate)} y2={y(rate)} />
            <text x={m.left - 6} y={y(rate) + 4} text-anchor="end">
              {Math.round(rate * 100)}%
            </text>
          </g>
        ))}
        {[-7, -5, -3, -1].map((exponent) => (
          <text key={exponent} x={x(10 ** exponent)} y={h - m.bottom + 16} text-anchor="middle">
            1e{exponent}
          </text>
        ))}
      </g>
      <path
        class="series series-roc"
        d={points
          .map(
            (point, index) => `${index ? 'L' : 'M'}${point.px.toFixed(1)} ${point.py.toFixed(1)}`,
          )
          .join(' ')}
      />
      {points.map((point) => {
        const name = levels.get(point.threshold);
        return (
          <g key={point.threshold} class={name ? 'roc-point roc-point-named' : 'roc-point'}>
            <circle cx={point.px} cy={point.py} r={name ? 5 : 3} />
            {name && (
              <text x={point.px + 7} y={point.py + 12}>
                {name}
              </text>
            )}
          </g>
        );
      })}
      <text class="axis-title" x={(m.left + w - m.right) / 2} y={h - 6} text-anchor="middle">
        false accept rate (log)
      </text>
    </svg>
  );
}

function OperatingPoints({ calibration }: { calibration: CalibrationAnswer }) {
  const rows = marks(calibration).map(([name, threshold]) => {
    const far = falseAcceptRate(calibration, threshold);
    const measured = ROC.find((point) => Math.abs(point.threshold - threshold) < 1e-6);
    return { name, threshold, far, frr: measured?.falseRejectRate };
  });
  return (
    <table>
      <caption class="visually-hidden">The default threshold and the security levels</caption>
      <thead>
        <tr>
          <th scope="col">level</th>
          <th scope="col" class="num">
            threshold
          </th>
          <th scope="col">strangers let through</th>
          <th scope="col" class="num">
            same person refused
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.name}>
            <th scope="row">{row.name}</th>
            <td class="num">{row.threshold}</td>
            <td>{oneIn(row.far)}</td>
            <td class="num">{row.frr === undefined ? '—' : percent(row.frr)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
