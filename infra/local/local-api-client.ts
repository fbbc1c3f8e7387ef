// A small client of the local management API: the runner's demo set-up talks to it exactly as a user's
// script would (register, log in, create a project, a credential, a data source, a webhook).
export async function callLocalApi<T>(
  apiUrl: string,
  method: string,
  pathName: string,
  token: string | undefined,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${apiUrl}${pathName}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}
