// The admin API client the CLI uses. Errors from the server keep their code and message.
import { JaegisError, type ErrorCode } from '@jaegis/runtime'

export class ApiClient {
  constructor(readonly baseUrl: string, private readonly token: string | undefined) {}

  async request<T = Record<string, unknown>>(method: string, path: string, body?: BodyInit, headers: Record<string, string> = {}): Promise<T> {
    const res = await this.raw(method, path, body, headers)
    const text = await res.text()
    let data: unknown
    try {
      data = text ? JSON.parse(text) : {}
    } catch {
      throw new JaegisError('INTERNAL', `server answered ${res.status} with non-JSON: ${text.slice(0, 200)}`)
    }
    if (!res.ok) throw errorFrom(res.status, data)
    return data as T
  }

  async raw(method: string, path: string, body?: BodyInit, headers: Record<string, string> = {}): Promise<Response> {
    const h: Record<string, string> = { ...headers }
    if (this.token && path.startsWith('/_api/')) h.authorization = `Bearer ${this.token}`
    try {
      return await fetch(this.baseUrl + path, { method, body, headers: h })
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause
      throw new JaegisError('INTERNAL', `cannot reach the Jaegis server at ${this.baseUrl} (${cause?.code ?? (err as Error).message}): is \`jaegis serve\` running? Set --url or JAEGIS_URL.`)
    }
  }
}

/** A JaegisError from an error response body {"error":{"code","message"}}. */
export function errorFrom(status: number, data: unknown): JaegisError {
  const e = (data as { error?: { code?: string; message?: string } })?.error
  const code = (e?.code ?? 'INTERNAL') as ErrorCode
  const hint = status === 401 && !(e?.message ?? '').includes('key') ? ' (pass --token, set JAEGIS_TOKEN, or point --data at the server\'s data directory)' : ''
  return new JaegisError(code, `${e?.message ?? `HTTP ${status}`}${hint}`)
}
