// How one rule runs on a synchronous engine (SQLite) and on an asynchronous one (PostgreSQL): a rule is
// a generator that yields each engine call's result (`yield* step(engine.call())`) and gets back its
// value. The synchronous runner hands the value straight back; the asynchronous one awaits the yielded
// promise first, so the engine's calls run one after another, on the transaction's connection.

/** An engine interface with every method asynchronous. */
export type AsyncEngine<E> = {
  readonly [K in keyof E]: E[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<R> : never;
};

/** A rule in progress: it yields engine results and finally returns `R`. */
export type Rule<R> = Generator<unknown, R, unknown>;

/** One engine call's result, as the rule sees it once its runner has handed it back. */
export function* step<T>(result: T): Generator<unknown, T, unknown> {
  return (yield result) as T;
}

/** Runs `rule` over a synchronous engine: each result is already the value. */
export function runSync<E, R>(engine: E, rule: (engine: E) => Rule<R>): R {
  const running = rule(engine);
  let next = running.next();
  while (next.done !== true) next = running.next(next.value);
  return next.value;
}

/** Runs `rule` over an asynchronous engine: each result is a promise, awaited before the rule goes on. */
export async function runAsync<E, R>(engine: AsyncEngine<E>, rule: (engine: E) => Rule<R>): Promise<R> {
  // The one place the asynchronous engine stands in for the synchronous one: the rule only ever hands
  // an engine call's result to `step`, and this runner replaces that promise by its value.
  const running = rule(engine as unknown as E);
  let next = running.next();
  while (next.done !== true) next = running.next(await next.value);
  return next.value;
}
