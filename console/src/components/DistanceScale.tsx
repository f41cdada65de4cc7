import type { CalibrationAnswer } from '../api.ts';
import { distance as showDistance } from '../format.ts';

const WIDTH = 560;
const HEIGHT = 84;
const PAD = 20;
const BAR = { top: 26, height: 18 };

/**
 * The distance on a scale: closer is more alike. The threshold applied splits it into match and no
 * match; the three security levels are marked where the calibration has them.
 */
export function DistanceScale({
  distance,
  threshold,
  calibration,
}: {
  distance: number;
  threshold: number;
  calibration?: CalibrationAnswer;
}) {
  const levels = calibration?.levels;
  const top = Math.max(0.15, distance * 1.1, threshold * 1.4);
  const x = (value: number) => PAD + (Math.min(value, top) / top) * (WIDTH - 2 * PAD);
  const step = top > 0.3 ? 0.1 : 0.05;
  const ticks = Array.from({ length: Math.floor(top / step) + 1 }, (_, index) =>
    Number((index * step).toFixed(2)),
  );
  const bottom = BAR.top + BAR.height;
  // The pair's label stays inside the picture however close to an end it falls.
  const labelX = Math.min(Math.max(x(distance), PAD + 40), WIDTH - PAD - 40);
  return (
    <svg
      class="scale"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={`Distance ${showDistance(distance)} against the threshold ${showDistance(threshold)}`}
    >
      <rect
        class="scale-match"
        x={x(0)}
        y={BAR.top}
        width={x(threshold) - x(0)}
        height={BAR.height}
      />
      <rect
        class="scale-miss"
        x={x(threshold)}
        y={BAR.top}
        width={x(top) - x(threshold)}
        height={BAR.height}
      />
      <text class="scale-zone" x={x(threshold) - 6} y={BAR.top + 13} text-anchor="end">
        match
      </text>
      <text class="scale-zone" x={x(threshold) + 6} y={BAR.top + 13}>
        no match
      </text>
      {ticks.map((tick) => (
        <g key={tick}>
          <line class="scale-tick" x1={x(tick)} x2={x(tick)} y1={bottom} y2={bottom + 4} />
          <text class="scale-label" x={x(tick)} y={bottom + 14} text-anchor="middle">
            {tick}
          </text>
        </g>
      ))}
      {levels &&
        (['high', 'medium', 'low'] as const).map((name) => (
          <g key={name}>
            <line
              class="scale-level"
              x1={x(levels[name])}
              x2={x(levels[name])}
              y1={BAR.top}
              y2={bottom + 20}
            />
            <text
              class="scale-label scale-level-name"
              x={x(levels[name])}
              y={bottom + 30}
              text-anchor="middle"
            >
              {name}
            </text>
          </g>
        ))}
      <line
        class="scale-threshold"
        x1={x(threshold)}
        x2={x(threshold)}
        y1={BAR.top - 4}
        y2={bottom + 4}
      />
      <line
        class="scale-pointer-line"
        x1={x(distance)}
        x2={x(distance)}
        y1={BAR.top - 8}
        y2={bottom}
      />
      <circle class="scale-pointer" cx={x(distance)} cy={BAR.top + BAR.height / 2} r={6} />
      <text class="scale-pair" x={labelX} y={BAR.top - 12} text-anchor="middle">
        this pair: {showDistance(distance)}
      </text>
    </svg>
  );
}
