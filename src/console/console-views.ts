// The console's server-rendered pages: Eta templates under views/ (escaped by default), each page in
// one layout with the navigation, the operator's name, the sign-out form and the CSRF token.
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';

/** Copied beside the compiled module by `npm run build` (package.json). */
export const VIEWS_DIR = fileURLToPath(new URL('./views', import.meta.url));
export const STATIC_DIR = fileURLToPath(new URL('./static', import.meta.url));

export interface PageFrame {
  readonly title: string;
  /** Which navigation entry is current. */
  readonly section: 'overview' | 'people' | 'groups' | 'audit' | 'mapping' | null;
  readonly operator: string | null;
  readonly csrf: string;
  /** A notice shown above the page (an action's result). */
  readonly notice?: string | null;
}

export function createViews(): { render(view: string, data: PageFrame & Record<string, unknown>): string } {
  const eta = new Eta({ views: VIEWS_DIR, cache: true, autoEscape: true, autoTrim: false });
  return { render: (view, data) => eta.render(view, { ...data, duration }) };
}

/** Seconds as an operator reads them: `45 s`, `12 min`, `3 h 20 min`. */
export function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
