// The operator console at /console: its own strict Content-Security-Policy (self-served styles and
// script, no inline script), sessions and CSRF on every form, sign-in with an admin token or OIDC, the
// pages (overview, people, groups, audit, mapping) and their actions (retry failed work, reconcile,
// preview a mapping). Nothing but the sign-in page and the static assets answers without a session.
import cookieParser from 'cookie-parser';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { AdminService } from '../core/admin.js';
import { createSecretMatcher } from '../http/secret-compare.js';
import type { ConsoleDeps } from './console-deps.js';
import { createConsoleCsrf } from './console-csrf.js';
import { ConsolePageError, createConsolePages } from './console-pages.js';
import { createSessionMiddleware, hasSession, isSignedIn, sessionOf, signIn, signOut } from './console-session.js';
import { createViews, STATIC_DIR, type PageFrame } from './console-views.js';
import { createOidcSignIn } from './oidc-sign-in.js';

/** No inline script or style, nothing from elsewhere; forms post only to the console. */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** A pasted mapping is YAML of a few hundred lines at most. */
const FORM_MAX_BYTES = 262_144;

type Middleware = (req: Request, res: Response, next: NextFunction) => void;

/** A sign-in with a token that is not an admin token (counted by the rate limit as a failed authentication). */
class SignInRefused extends Error {
  override readonly name = 'SignInRefused';
}

export function createConsole(options: {
  readonly deps: ConsoleDeps;
  readonly admin: AdminService;
  readonly adminTokens: readonly string[];
  /** The per-client rate limit around an authentication step (failed sign-ins limited per address); absent = none. */
  readonly rateLimit?: (authenticate: Middleware) => Middleware;
}): Router {
  const { deps, admin } = options;
  const router = Router();
  const views = createViews();
  const csrf = createConsoleCsrf({ secret: deps.sessionSecret });
  const matchToken = createSecretMatcher(options.adminTokens);
  const pages = createConsolePages({ deps, admin });
  const oidc = deps.oidc === null ? null : createOidcSignIn({ config: deps.oidc, publicBaseUrl: deps.publicBaseUrl, sealKey: deps.sessionSecret });

  router.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    next();
  });
  router.use('/static', express.static(STATIC_DIR, { index: false, fallthrough: false, redirect: false }));
  router.use(cookieParser());
  router.use(createSessionMiddleware({ secret: deps.sessionSecret, ttlSeconds: deps.sessionTtlSeconds }));
  router.use(express.urlencoded({ extended: false, limit: FORM_MAX_BYTES }));

  function frame(req: Request, res: Response, title: string, section: PageFrame['section'], notice: string | null = null): PageFrame {
    // A static file's error page has no session, and offers no form.
    const token = hasSession(req) ? csrf.token(req, res) : '';
    return { title, section, operator: isSignedIn(req) ? (sessionOf(req).operator ?? null) : null, csrf: token, notice };
  }

  function page(res: Response, view: string, data: PageFrame & Record<string, unknown>, status = 200): void {
    const body = views.render(view, data);
    res.status(status).type('html').send(views.render('layout', { ...data, body }));
  }

  function signInPage(req: Request, res: Response, problem: string | null, status = 200): void {
    page(res, 'sign-in', { ...frame(req, res, 'Sign in', null), problem, oidc: oidc !== null }, status);
  }

  router.get('/sign-in', (req, res) => {
    if (isSignedIn(req)) return res.redirect(303, '/console');
    signInPage(req, res, null);
  });

  const checkToken: Middleware = (req, res, next) => {
    const token = typeof req.body?.token === 'string' ? req.body.token.trim() : '';
    const index = token === '' ? -1 : matchToken(token);
    if (index < 0) return next(new SignInRefused('not an admin token'));
    res.locals.principal = `operator:token:${index}`;
    res.locals.operator = `admin token #${index + 1}`;
    next();
  };
  router.post('/sign-in', csrf.protect, options.rateLimit ? options.rateLimit(checkToken) : checkToken, async (req, res) => {
    await signIn(req, String(res.locals.operator), 'token', deps.sessionTtlSeconds);
    res.redirect(303, '/console');
  });

  if (oidc !== null) {
    router.get('/oidc/start', async (req, res) => {
      let authorizationUrl: string;
      try {
        authorizationUrl = await oidc.start(req, res);
      } catch {
        // Discovery failed: the issuer is down or not an OpenID provider (its answer is not shown).
        return signInPage(req, res, 'The identity provider could not be reached; try again, or sign in with an admin token.', 502);
      }
      res.redirect(303, authorizationUrl);
    });
    router.get('/oidc/callback', async (req, res) => {
      const outcome = await oidc.finish(req, res);
      if (!outcome.ok) return signInPage(req, res, outcome.problem, 403);
      await signIn(req, outcome.operator, 'oidc', deps.sessionTtlSeconds);
      // A page that moves on by itself: the navigation back from the IdP is cross-site, and a
      // SameSite=Strict cookie set at its end is only sent on the next, same-site navigation.
      page(res, 'signed-in', { ...frame(req, res, 'Signed in', null) });
    });
  }

  // Everything below needs a session: pages send the browser to the sign-in, actions are refused.
  router.use((req, res, next) => {
    if (isSignedIn(req)) return next();
    if (req.method === 'GET' || req.method === 'HEAD') return res.redirect(303, '/console/sign-in');
    page(res, 'problem', { ...frame(req, res, 'Signed out', null), problem: 'Your session has ended. Sign in again.' }, 401);
  });

  router.post('/sign-out', csrf.protect, (req, res) => {
    signOut(req);
    res.redirect(303, '/console/sign-in');
  });

  router.get('/', async (req, res) => {
    const notice = typeof req.query.done === 'string' ? pages.noticeOf(req.query.done) : null;
    page(res, 'overview', { ...frame(req, res, 'Overview', 'overview', notice), ...(await pages.overview()) });
  });
  router.post('/actions/retry-failed', csrf.protect, async (_req, res) => {
    const retried = await admin.retryFailed();
    res.redirect(303, `/console?done=retried-${retried}`);
  });
  router.post('/actions/reconcile', csrf.protect, async (req, res) => {
    const dryRun = req.body?.dryRun === 'true';
    const report = await admin.reconcile({ dryRun });
    const found = Object.values(report.counts).reduce((sum, n) => sum + n, 0);
    res.redirect(303, `/console?done=${dryRun ? 'dry-run' : 'reconcile'}-${found}`);
  });

  router.get('/people', async (req, res) => {
    page(res, 'people', { ...frame(req, res, 'People', 'people'), ...(await pages.people(req.query)) });
  });
  router.get('/people/:id', async (req, res) => {
    const person = await pages.person(req.params.id as string);
    page(res, 'person', { ...frame(req, res, person.title, 'people'), ...person });
  });
  router.get('/groups', async (req, res) => {
    page(res, 'groups', { ...frame(req, res, 'Groups', 'groups'), ...(await pages.groups(req.query)) });
  });
  router.get('/groups/:id', async (req, res) => {
    const group = await pages.group(req.params.id as string, req.query);
    page(res, 'group', { ...frame(req, res, group.title, 'groups'), ...group });
  });
  router.get('/audit', async (req, res) => {
    page(res, 'audit', { ...frame(req, res, 'Audit', 'audit'), ...(await pages.audit(req.query)) });
  });
  router.get('/mapping', async (req, res) => {
    page(res, 'mapping', { ...frame(req, res, 'Mapping', 'mapping'), ...(await pages.mapping(null)) });
  });
  router.post('/mapping/preview', csrf.protect, async (req, res) => {
    const text = typeof req.body?.mapping === 'string' ? req.body.mapping : '';
    page(res, 'mapping', { ...frame(req, res, 'Mapping', 'mapping'), ...(await pages.mapping(text)) });
  });

  router.use((req, res) => {
    page(res, 'problem', { ...frame(req, res, 'Not found', null), problem: `Nothing at ${req.path}.` }, 404);
  });

  // Errors as pages, never Express's own HTML or a stack trace.
  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    if (error instanceof SignInRefused) return signInPage(req, res, 'That is not an admin token of this bridge.', 401);
    const known = consoleProblem(error);
    if (known === null) return next(error);
    page(res, 'problem', { ...frame(req, res, 'Problem', null), problem: known.message }, known.status);
  });
  return router;
}

/** What an operator is told for an error the console understands; null = the app's error handler. */
function consoleProblem(error: unknown): { status: number; message: string } | null {
  if (error instanceof ConsolePageError) return { status: error.status, message: error.message };
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  if (code === 'EBADCSRFTOKEN') return { status: 403, message: 'This form was not sent from this console session (CSRF check failed). Reload the page and try again.' };
  if (code === 'busy') return { status: 409, message: 'Another reconcile is running; try again when it has finished.' };
  const status = typeof error === 'object' && error !== null && 'status' in error ? Number(error.status) : NaN;
  if (status === 413) return { status: 413, message: 'That form is too large.' };
  if (status === 429) return { status: 429, message: 'Too many refused sign-ins from this address; wait a moment and try again.' };
  if (status === 404) return { status: 404, message: 'No such file.' };
  if (status === 400) return { status: 400, message: 'That form could not be read.' };
  return null;
}
