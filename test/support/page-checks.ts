import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

/**
 * The little of the DOM the checks below use inside the page. Declared here, in this module only,
 * so that the DOM's types never reach the Node code the same compilation checks.
 */
interface PageElement {
  outerHTML: string;
  textContent: string | null;
  labels?: ArrayLike<PageElement> | null;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  hasAttribute(name: string): boolean;
  matches(selector: string): boolean;
  checkVisibility(): boolean;
  blur?(): void;
}
declare const document: {
  activeElement: PageElement | null;
  getElementById(id: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
};

/** Controls a person can operate, as the browser would let them take focus. */
const CONTROLS =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), ' +
  'textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/**
 * What goes wrong on a page without a test asking: a script error, a console error, a request
 * that failed or was answered 4xx/5xx (but those a test expects, by path and status).
 */
export class PageProblems {
  private readonly problems: string[] = [];
  private readonly expected: { path: string; status: number }[] = [];

  constructor(page: Page) {
    page.on('pageerror', (error) => this.problems.push(`script error: ${error.message}`));
    page.on('console', (message) => {
      // A 4xx answer also logs "Failed to load resource": the response listener judges those.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        this.problems.push(`console error: ${message.text()}`);
      }
    });
    page.on('requestfailed', (request) => {
      if (request.url().startsWith('http')) {
        this.problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
      }
    });
    page.on('response', (response) => {
      if (response.status() < 400) return;
      const { pathname } = new URL(response.url());
      const index = this.expected.findIndex(
        (entry) => pathname === entry.path && response.status() === entry.status,
      );
      if (index >= 0) this.expected.splice(index, 1);
      else
        this.problems.push(`${response.status()} for ${response.request().method()} ${pathname}`);
    });
  }

  /** The next answer `status` to `path` is what the test provokes. */
  expect(path: string, status: number): void {
    this.expected.push({ path, status });
  }

  assertNone(): void {
    assert.deepEqual(this.problems, [], 'the page had problems');
  }
}

/**
 * Every visible control has a name a screen reader reads (a label, aria-label or its text), every
 * image an alt, every role="img" a label.
 */
export async function assertLabelled(page: Page): Promise<void> {
  const unlabelled = await page.evaluate((selector) => {
    const nameOf = (element: PageElement): string => {
      const aria = element.getAttribute('aria-label')?.trim();
      if (aria) return aria;
      const labelledBy = element.getAttribute('aria-labelledby');
      if (labelledBy) {
        return labelledBy
          .split(/\s+/)
          .map((id) => document.getElementById(id)?.textContent ?? '')
          .join(' ')
          .trim();
      }
      const labels = element.labels;
      if (labels?.length) {
        return Array.from(labels, (label) => label.textContent ?? '')
          .join(' ')
          .trim();
      }
      if (element.matches('button, a, summary')) return element.textContent?.trim() ?? '';
      return element.getAttribute('title')?.trim() ?? '';
    };
    const missing: string[] = [];
    for (const element of document.querySelectorAll(`${selector}, input, select, textarea`)) {
      if (element.checkVisibility() && !nameOf(element))
        missing.push(element.outerHTML.slice(0, 160));
    }
    for (const image of document.querySelectorAll('img')) {
      if (!image.hasAttribute('alt')) missing.push(image.outerHTML.slice(0, 160));
    }
    for (const figure of document.querySelectorAll('[role="img"]')) {
      if (!nameOf(figure)) missing.push(figure.outerHTML.slice(0, 160));
    }
    return missing;
  }, CONTROLS);
  assert.deepEqual(unlabelled, [], 'controls and images without a name');
}

/** Tab, from the top of the page, reaches every visible control. */
export async function assertKeyboardReachable(page: Page): Promise<void> {
  const total = await page.evaluate((selector) => {
    const controls = [...document.querySelectorAll(selector)].filter((element) =>
      element.checkVisibility(),
    );
    controls.forEach((element, index) => element.setAttribute('data-probe', String(index)));
    document.activeElement?.blur?.();
    return controls.length;
  }, CONTROLS);
  const reached = new Set<string>();
  // A date input takes a Tab per field (day, month, year, hours, minutes): room for those.
  for (let press = 0; press < total * 6 + 10 && reached.size < total; press++) {
    await page.keyboard.press('Tab');
    const probe = await page.evaluate(
      () => document.activeElement?.getAttribute('data-probe') ?? null,
    );
    if (probe !== null) reached.add(probe);
  }
  const unreached = await page.evaluate(
    (seen) =>
      [...document.querySelectorAll('[data-probe]')]
        .filter((element) => !seen.includes(element.getAttribute('data-probe') ?? ''))
        .map((element) => element.outerHTML.slice(0, 160)),
    [...reached],
  );
  assert.deepEqual(unreached, [], 'controls the keyboard does not reach');
}
