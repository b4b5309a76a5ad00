// A console session as a browser gets one, over plain HTTP: the sign-in page's cookies and CSRF token,
// then the admin token posted; for tests and benchmarks that talk to /console without a browser.

export interface ConsoleSession {
  /** The Cookie header to send. */
  readonly cookie: string;
  /** A CSRF token of the signed-in session, for its forms. */
  readonly csrf: string;
}

const CSRF_FIELD = /name="_csrf" value="([^"]+)"/;

/** Signs in at `url`/console with `token`; throws unless the console accepts it. */
export async function consoleSignIn(url: string, token: string): Promise<ConsoleSession> {
  const cookies = new Map<string, string>();
  const keep = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const [name = '', ...value] = pair.split('=');
      cookies.set(name, value.join('='));
    }
  };
  const header = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const form = await fetch(`${url}/console/sign-in`);
  keep(form);
  const signedIn = await fetch(`${url}/console/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: CSRF_FIELD.exec(await form.text())?.[1] ?? '', token }).toString(),
  });
  keep(signedIn);
  if (signedIn.status !== 303) throw new Error(`the console refused the sign-in: ${signedIn.status}`);
  const overview = await fetch(`${url}/console`, { headers: { cookie: header() } });
  keep(overview);
  const csrf = CSRF_FIELD.exec(await overview.text())?.[1];
  if (overview.status !== 200 || csrf === undefined) throw new Error(`the console's overview answered ${overview.status}`);
  return { cookie: header(), csrf };
}
