import cliProgress from 'cli-progress';
import type { EnrolmentProgress } from './bulk-enrolment.service.js';

/** Photos between two lines of progress when the output is not a terminal (a log, a pipe). */
const LINE_EVERY = 100;

/** A bar on a terminal; a line per 100 photos elsewhere, which a log keeps readable. */
export function enrolmentProgress(stream: NodeJS.WriteStream = process.stderr): EnrolmentProgress {
  return stream.isTTY ? new ProgressBar(stream) : new ProgressLines(stream);
}

class ProgressBar implements EnrolmentProgress {
  private readonly bar: cliProgress.SingleBar;
  private started = 0;

  constructor(stream: NodeJS.WriteStream) {
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        format: 'enrol [{bar}] {value}/{total} photos | {rate}/s | {eta_formatted} left',
        // The estimate follows the last 50 photos: the rate settles once the workers are warm.
        etaBuffer: 50,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  start(total: number): void {
    this.started = performance.now();
    this.bar.start(total, 0, { rate: '0.0' });
  }

  advance(): void {
    const seconds = (performance.now() - this.started) / 1000;
    const done = this.bar.getProgress() * this.bar.getTotal() + 1;
    this.bar.increment(1, { rate: (done / seconds).toFixed(1) });
  }

  stop(): void {
    this.bar.stop();
  }
}

class ProgressLines implements EnrolmentProgress {
  private total = 0;
  private done = 0;
  private started = 0;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  start(total: number): void {
    this.total = total;
    this.started = performance.now();
  }

  advance(): void {
    this.done += 1;
    if (this.done % LINE_EVERY !== 0 && this.done !== this.total) return;
    const seconds = (performance.now() - this.started) / 1000;
    const rate = this.done / seconds;
    const left = Math.round((this.total - this.done) / rate);
    this.stream.write(
      `enrol: ${this.done}/${this.total} photos, ${rate.toFixed(1)}/s, ` +
        `${this.done === this.total ? 'done' : `about ${formatDuration(left)} left`}\n`,
    );
  }

  stop(): void {}
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}
