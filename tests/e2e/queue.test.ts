// The queue panel and the model manager in the browser (web mode, the bundled model, the real
// engine process): three jobs queue up, the waiting ones are reordered by drag and by buttons and
// run in the new order, a cancelled job is retried with the same settings, and the model manager
// shows the bundled model with its offloading plan.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { sharedHarness } from './harness';

const harness = sharedHarness();

const row = (page: Page, prompt: string) =>
  page.locator('[data-testid=gen-job]', { has: page.locator('[data-testid=job-prompt]', { hasText: prompt }) });

async function queueJob(page: Page, prompt: string, steps: number, seed: number): Promise<void> {
  await page.fill('[data-testid=gen-prompt]', prompt);
  await page.fill('[data-testid=gen-seed]', String(seed));
  await page.locator('[data-testid=generate-panel] input[type=number]').first().fill(String(steps));
  await page.click('[data-testid=gen-start]');
  await row(page, prompt).first().waitFor();
}

/** Job ids in the order their rows first showed "running". */
async function watchStarts(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { started: string[] };
    w.started = [];
    const look = () => {
      for (const li of document.querySelectorAll<HTMLElement>('[data-testid=gen-job][data-state=running]'))
        if (li.dataset.jobId && !w.started.includes(li.dataset.jobId)) w.started.push(li.dataset.jobId);
    };
    new MutationObserver(look).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['data-state'],
    });
  });
}

describe('queue panel and model manager (web mode)', () => {
  it('reorders waiting jobs, runs them in the new order, cancels and retries', async () => {
    const page = await harness().newPage();
    await watchStarts(page);
    await queueJob(page, 'alpha long job', 100, 1);
    await page.waitForSelector('[data-testid=gen-job][data-state=running]', { timeout: 30_000 });
    await queueJob(page, 'beta gold dots', 2, 2);
    await queueJob(page, 'gamma red waves', 2, 3);

    const queuedPrompts = () => page.locator('[data-testid=gen-job][data-state=queued] [data-testid=job-prompt]').allTextContents();
    expect(await queuedPrompts()).toEqual(['beta gold dots', 'gamma red waves']);
    // The first waiting job cannot move up; the last cannot move down.
    expect(await row(page, 'beta').locator('[data-testid=job-up]').isDisabled()).toBe(true);
    expect(await row(page, 'gamma').locator('[data-testid=job-down]').isDisabled()).toBe(true);
    // Drag beta below gamma, then take gamma back up with its button: two moves the engine follows.
    // Both rows in view first: the right column scrolls, and a drag that scrolls it mid-way is lost.
    await row(page, 'gamma').scrollIntoViewIfNeeded();
    await row(page, 'beta').dragTo(row(page, 'gamma'));
    await expect.poll(queuedPrompts).toEqual(['gamma red waves', 'beta gold dots']);
    await row(page, 'beta').locator('[data-testid=job-up]').click();
    await expect.poll(queuedPrompts).toEqual(['beta gold dots', 'gamma red waves']);
    await row(page, 'gamma').locator('[data-testid=job-up]').click();
    await expect.poll(queuedPrompts).toEqual(['gamma red waves', 'beta gold dots']);

    // Cancel the long job: the two waiting ones run, gamma first.
    const alphaId = await row(page, 'alpha').getAttribute('data-job-id');
    await row(page, 'alpha').locator('[data-testid=gen-cancel]').click();
    await page.waitForSelector(`[data-job-id="${alphaId}"][data-state=cancelled]`, { timeout: 30_000 });
    await row(page, 'beta').and(page.locator('[data-state=done]')).waitFor({ timeout: 60_000 });
    await row(page, 'gamma').and(page.locator('[data-state=done]')).waitFor({ timeout: 60_000 });
    const ids = {
      gamma: await row(page, 'gamma').getAttribute('data-job-id'),
      beta: await row(page, 'beta').getAttribute('data-job-id'),
    };
    const started = await page.evaluate(() => (window as unknown as { started: string[] }).started);
    expect(started).toEqual([alphaId, ids.gamma, ids.beta]);
    // Both finished images landed on the page.
    await expect.poll(() => page.locator('[data-testid=layers] li').count()).toBe(2);

    // Retry the cancelled job: a new job with the same prompt and seed; the old row stays cancelled.
    await row(page, 'alpha').locator('[data-testid=job-retry]').click();
    await expect.poll(() => row(page, 'alpha').count()).toBe(2);
    const retried = row(page, 'alpha').and(page.locator('[data-state=queued], [data-state=running]'));
    await retried.waitFor();
    expect(await retried.getAttribute('data-job-id')).not.toBe(alphaId);
    expect(await retried.locator('[data-testid=job-state]').textContent()).toMatch(/· 1$/);
    await page.waitForSelector(`[data-testid=gen-job][data-state=running]:not([data-job-id="${alphaId}"])`, { timeout: 30_000 });
    await retried.locator('[data-testid=gen-cancel]').click();
    await expect.poll(() => page.locator('[data-testid=gen-job][data-state=cancelled]').count(), { timeout: 30_000 }).toBe(2);
    await page.close({ runBeforeUnload: false });
  }, 180_000);

  it('opens the model manager with the bundled model and its offloading plan', async () => {
    const page = await harness().newPage();
    await expect.poll(() => page.locator('[data-testid=gen-model] option').allTextContents()).toEqual(['default']);
    await page.click('[data-testid=open-models]');
    const bundled = page.locator('[data-testid=model-row][data-model-id=default]');
    await bundled.waitFor();
    expect(await bundled.textContent()).toMatch(/default\s*bundled/);
    expect(await bundled.locator('[data-testid=model-precision]').textContent()).toBe('fp32');
    // The bundled model cannot be deleted from here.
    expect(await bundled.locator('[data-testid=delete-model]').count()).toBe(0);
    await expect.poll(() => page.textContent('[data-testid=model-plan]'), { timeout: 15_000 }).toMatch(/^Plan for default at 1024x1024/);
    const plan = (await page.textContent('[data-testid=model-plan]')) as string;
    expect(plan).toMatch(/RAM budget: [\d.]+ [GM]iB \(free RAM/);
    expect(plan).toMatch(/Memory:\n\s+RAM\s+peak/);

    // A RAM budget typed here is saved and the plan follows it.
    await page.fill('[data-testid=ram-budget]', '2G');
    await page.click('[data-testid=save-budgets]');
    await expect.poll(() => page.textContent('[data-testid=model-plan]'), { timeout: 15_000 }).toContain('RAM budget: 2.00 GiB (setting).');
    await page.fill('[data-testid=ram-budget]', 'lots');
    await page.click('[data-testid=save-budgets]');
    expect(await page.textContent('[data-testid=model-message]')).toMatch(/size with a unit/);

    // A full check marks the model as checked.
    await bundled.locator('[data-testid=verify-full]').click();
    await expect.poll(() => bundled.locator('[data-testid=model-verified]').textContent(), { timeout: 30_000 }).toMatch(/full check/);
    await page.click('[data-testid=close-models]');
    expect(await page.locator('[data-testid=model-manager]').count()).toBe(0);
    await page.close({ runBeforeUnload: false });
  }, 120_000);
});
