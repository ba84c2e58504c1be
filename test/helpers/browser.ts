/**
 * Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core, headless, with a
 * fresh empty profile per run. A missing browser fails the tests (CI installs it); only
 * BERTH_TEST_SKIP_BROWSER=1 skips them, with a loud notice.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { expect } from "vitest";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CHROMIUM = process.env.BERTH_TEST_CHROMIUM ?? "/usr/bin/chromium";
const SCREENSHOTS = path.join(ROOT, "docs/screenshots");
const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/** True when the browser tests should run; throws when Chromium is missing and skipping was not asked. */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.BERTH_TEST_SKIP_BROWSER === "1") {
    process.stdout.write(
      `\n*** ${CHROMIUM} is missing and BERTH_TEST_SKIP_BROWSER=1: the browser tests of the web pages are SKIPPED. ***\n\n`,
    );
    return false;
  }
  throw new Error(
    `Chromium is not installed at ${CHROMIUM} (apt-get install chromium). Set BERTH_TEST_SKIP_BROWSER=1 to skip the browser tests.`,
  );
}

/** CSP violations the browser reported; checkPage asserts there are none. */
const cspViolations: string[] = [];

export interface TestBrowser {
  readonly context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(baseUrl: string): Promise<TestBrowser> {
  const profile = mkdtempSync(path.join(tmpdir(), "berth-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1200, height: 900 },
    baseURL: baseUrl,
  });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      // A page that needs inline script or style would log a CSP violation: fail on any.
      page.on("console", (message) => {
        if (message.type() === "error" && /Content Security Policy/i.test(message.text()))
          cspViolations.push(message.text());
      });
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Runs axe-core in the page and fails on any serious or critical violation, naming them. */
export async function expectNoSeriousA11yViolations(page: Page, label: string): Promise<void> {
  // addScriptTag would insert an inline <script>, which the pages' CSP rightly blocks; evaluate is not
  // subject to the page's CSP.
  await page.evaluate(readFileSync(AXE, "utf8"));
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: unknown }[] }[] }>;
        };
      }
    ).axe;
    const result = await axe.run();
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => JSON.stringify(n.target)),
    }));
  });
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious, `${label}: ${JSON.stringify(serious, null, 2)}`).toEqual([]);
}

/**
 * Writes docs/screenshots/<name>.png (committed, shown in the README), but only under `npm run
 * screenshots` (BERTH_SCREENSHOTS=1): a test run must leave the working tree as it found it.
 */
export async function screenshot(page: Page, name: string, mask: Locator[] = []): Promise<void> {
  if (process.env.BERTH_SCREENSHOTS !== "1") return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true, mask, animations: "disabled" });
}

/** Every page check at once: no serious a11y violation, no CSP violation, then a screenshot when named. */
export async function checkPage(page: Page, label: string, shot?: string, mask: Locator[] = []): Promise<void> {
  await expectNoSeriousA11yViolations(page, label);
  expect(cspViolations, label).toEqual([]);
  if (shot) await screenshot(page, shot, mask);
}

export async function signInWithForm(page: Page, username: string, password: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Username or email").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname !== "/login");
}
