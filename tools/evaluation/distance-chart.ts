import type { ScoredPair } from './verdicts.js';

export interface ChartPanel {
  title: string;
  pairs: ScoredPair[];
}

const WIDTH = 760;
const PANEL_HEIGHT = 170;
const MARGIN = { left: 48, right: 16, top: 28, bottom: 34 };
const MAX_DISTANCE = 0.24;
const BIN = 0.004;

function histogram(distances: number[]): number[] {
  const bins = new Array<number>(Math.ceil(MAX_DISTANCE / BIN)).fill(0);
  for (const distance of distances) {
    bins[Math.min(bins.length - 1, Math.floor(distance / BIN))]++;
  }
  // Shares rather than counts: same-person pairs are a small minority and would vanish otherwise.
  return bins.map((count) => (distances.length === 0 ? 0 : count / distances.length));
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Overlaid histograms of same-person and different-person distances, one panel per set, with the
 * threshold marked: the picture that shows at a glance what a threshold trades.
 */
export function distanceChart(panels: ChartPanel[], threshold: number): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (distance: number) => MARGIN.left + (distance / MAX_DISTANCE) * plotWidth;
  const parts: string[] = [];

  panels.forEach((panel, index) => {
    const top = index * PANEL_HEIGHT;
    const same = histogram(panel.pairs.filter((pair) => pair.same).map((pair) => pair.distance));
    const different = histogram(
      panel.pairs.filter((pair) => !pair.same).map((pair) => pair.distance),
    );
    const peak = Math.max(...same, ...different, 1e-9);
    const y = (share: number) => top + MARGIN.top + plotHeight * (1 - share / peak);
    const bars = (shares: number[], colour: string) =>
      shares
        .map((share, bin) =>
          share === 0
            ? ''
            : `<rect x="${x(bin * BIN).toFixed(1)}" y="${y(share).toFixed(1)}" width="${(x(BIN) - x(0)).toFixed(1)}" height="${(top + MARGIN.top + plotHeight - y(share)).toFixed(1)}" fill="${colour}" fill-opacity="0.55"/>`,
        )
        .join('');
    const sameCount = panel.pairs.filter((pair) => pair.same).length;
    parts.push(
      `<text x="${MARGIN.left}" y="${top + 18}" font-size="13" font-weight="bold">${escape(panel.title)}: ${sameCount} same-person, ${panel.pairs.length - sameCount} different-person pairs</text>`,
      bars(different, '#d9534f'),
      bars(same, '#2b7bb9'),
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${top + MARGIN.top + plotHeight}" y2="${top + MARGIN.top + plotHeight}" stroke="#333"/>`,
    );
    for (let tick = 0; tick <= MAX_DISTANCE + 1e-9; tick += 0.04) {
      parts.push(
        `<line x1="${x(tick)}" x2="${x(tick)}" y1="${top + MARGIN.top + plotHeight}" y2="${top + MARGIN.top + plotHeight + 4}" stroke="#333"/>`,
        `<text x="${x(tick)}" y="${top + MARGIN.top + plotHeight + 16}" font-size="10" text-anchor="middle">${tick.toFixed(2)}</text>`,
      );
    }
    parts.push(
      `<line x1="${x(threshold)}" x2="${x(threshold)}" y1="${top + MARGIN.top - 4}" y2="${top + MARGIN.top + plotHeight}" stroke="#000" stroke-dasharray="4 3"/>`,
      `<text x="${x(threshold) + 4}" y="${top + MARGIN.top + 8}" font-size="11">threshold ${threshold}</text>`,
    );
  });

  const height = panels.length * PANEL_HEIGHT + 24;
  const legendY = height - 8;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    `<rect x="${MARGIN.left}" y="${legendY - 10}" width="12" height="10" fill="#2b7bb9" fill-opacity="0.55"/>`,
    `<text x="${MARGIN.left + 16}" y="${legendY}" font-size="11">same person</text>`,
    `<rect x="${MARGIN.left + 110}" y="${legendY - 10}" width="12" height="10" fill="#d9534f" fill-opacity="0.55"/>`,
    `<text x="${MARGIN.left + 126}" y="${legendY}" font-size="11">different people (bar height: share of each kind's pairs; x: cosine distance)</text>`,
    '</svg>',
  ].join('\n');
}
