import { Injectable, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { routeTemplate } from '../common/route-template.js';
import { TIMED_OUT, within } from '../common/within.js';
import { EngineStatus } from '../face-engine/engine-status.js';
import { ReferenceCount } from '../store/reference-store.js';

/** Longest a scrape waits for the reference count; a slow or lost database must not hold it. */
const COUNT_TIMEOUT_MS = 2000;

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The Prometheus metrics of one running service, in a registry of its own (not prom-client's
 * global one, so that several instances can live in one process, as in the tests).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly logger = new Logger(MetricsService.name);

  private readonly requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  private readonly requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from request to the end of the response, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });

  private readonly inference = new Histogram({
    name: 'face_inference_duration_seconds',
    help: 'Time a face analysis spent in each stage inside its worker (total: all of them)',
    labelNames: ['stage'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });

  constructor(
    engine: EngineStatus,
    private readonly store: ReferenceCount,
  ) {
    collectDefaultMetrics({ register: this.registry });
    engine.onTimings((timings) => {
      for (const [stage, ms] of Object.entries(timings))
        this.inference.observe({ stage }, ms / 1000);
    });
    new Gauge({
      name: 'face_engine_queue_length',
      help: 'Face analyses waiting for a free worker',
      registers: [this.registry],
      collect(this: Gauge) {
        this.set(engine.load.queued);
      },
    });
    new Gauge({
      name: 'face_engine_in_flight',
      help: 'Face analyses running on a worker',
      registers: [this.registry],
      collect(this: Gauge) {
        this.set(engine.load.running);
      },
    });
    new Gauge({
      name: 'face_engine_info',
      help: 'The backend the face engine runs its nets on, as a label; always 1',
      labelNames: ['backend'] as const,
      registers: [this.registry],
      collect(this: Gauge<'backend'>) {
        this.reset();
        this.set({ backend: engine.backend }, 1);
      },
    });
    const countReferences = () => this.askStore(() => this.store.count(), Number.NaN);
    new Gauge({
      name: 'face_references',
      help: 'Stored references (NaN when the database did not answer)',
      registers: [this.registry],
      async collect(this: Gauge) {
        this.set(await countReferences());
      },
    });
    const countByCollection = () =>
      this.askStore(() => this.store.countByCollection(), new Map<string, number>());
    new Gauge({
      name: 'face_collection_references',
      help: 'Stored references per collection (none when the database did not answer)',
      labelNames: ['collection'] as const,
      registers: [this.registry],
      async collect(this: Gauge<'collection'>) {
        const counts = await countByCollection();
        this.reset();
        for (const [collection, count] of counts) this.set({ collection }, count);
      },
    });
  }

  /** Express middleware: counts and times every response by its route template. */
  readonly observeRequests = (req: Request, res: Response, next: NextFunction): void => {
    const stopTimer = this.requestDuration.startTimer();
    res.once('finish', () => {
      const labels = { method: req.method, route: routeTemplate(req), status: res.statusCode };
      stopTimer(labels);
      this.requests.inc(labels);
    });
    next();
  };

  /** The exposition text for a scrape. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  private async askStore<T>(count: () => Promise<T>, failed: T): Promise<T> {
    try {
      const answer = await within(count(), COUNT_TIMEOUT_MS);
      if (answer === TIMED_OUT) throw new Error('no answer');
      return answer;
    } catch (error) {
      this.logger.warn(`Reference count for /metrics failed: ${String(error)}`);
      return failed;
    }
  }
}
