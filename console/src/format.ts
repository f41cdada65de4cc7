/** A rate as "1 in N" a person can picture: 2.76e-7 is "about 1 in 3.6 million". */
export function oneIn(rate: number): string {
  if (rate <= 0) return 'none measured';
  if (rate >= 0.5) return `${Math.round(rate * 100)}%`;
  const n = 1 / rate;
  if (n >= 1e9) return `about 1 in ${round(n / 1e9)} billion`;
  if (n >= 1e6) return `about 1 in ${round(n / 1e6)} million`;
  if (n >= 1e4) return `about 1 in ${Math.round(n / 1e3)} thousand`;
  return `about 1 in ${Math.round(n).toLocaleString('en')}`;
}

function round(value: number): string {
  return value >= 10 ? String(Math.round(value)) : value.toFixed(1);
}

export function percent(rate: number, digits = 1): string {
  return `${(rate * 100).toFixed(digits)}%`;
}

export function distance(value: number): string {
  return value.toFixed(4);
}

export function when(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

export function bytes(size: number): string {
  if (size >= 2 ** 30) return `${(size / 2 ** 30).toFixed(size >= 10 * 2 ** 30 ? 0 : 1)} GB`;
  if (size >= 1 << 20) return `${(size / (1 << 20)).toFixed(1)} MB`;
  if (size >= 1 << 10) return `${Math.round(size / (1 << 10))} KB`;
  return `${size} B`;
}
