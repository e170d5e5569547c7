/**
 * Debian's Chromium driven by playwright-core, for the browser tests (the demo page, the
 * operator page): a fresh profile per run, and every console error and uncaught page error kept,
 * so a test can require that there were none.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** The flags every run uses (no GPU, no network beyond loopback, no first-run or sync noise). */
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Chromium {
  context: BrowserContext;
  page: Page;
  /** The page's console errors and uncaught errors (`pageerror: …`), in order. */
  consoleErrors: string[];
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** A headless Chromium with one page of `viewport`'s size. */
export async function openChromium(viewport: { width: number; height: number }): Promise<Chromium> {
  // A fresh profile per run (playwright passes it as --user-data-dir).
  const profile = mkdtempSync(join(tmpdir(), "edgesign-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(`pageerror: ${error.message}`));
  return {
    context,
    page,
    consoleErrors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
